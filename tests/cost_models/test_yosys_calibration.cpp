// The shipped FPGA cost table against fresh Yosys synthesis at widths that are not in its grid.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "flight/core/error.hpp"
#include "flight/cost_models/calibrate.hpp"
#include "flight/cost_models/rtl.hpp"

namespace flight::cost_models {
namespace {

bool have_yosys() { return std::system("yosys -V >/dev/null 2>&1") == 0; }

SynthOptions options(const std::string& sub) {
  SynthOptions o;
  o.workdir = (std::filesystem::temp_directory_path() / ("flight-yosys-test-" + sub)).string();
  return o;
}

TEST(YosysCalibration, ModelWithin10PercentOfYosysOnHeldOutWidths) {
  if (!have_yosys()) GTEST_SKIP() << "yosys is not installed (scripts/install-deps installs Debian's yosys)";
  const auto& table = builtin_fpga_costs();
  const auto grid = default_grid();
  ASSERT_FALSE(grid.held_out.empty());
  int i = 0;
  for (const auto& [block, p] : grid.held_out) {
    const std::string top = "held_" + std::to_string(i++);
    const auto measured = synthesize(block_verilog(block, p, top), top, synth_allows_dsp(block), options("held"), top);
    const auto model = block_cost(table, block, p);
    SCOPED_TRACE(block_name(block) + " A=" + std::to_string(p.a_bits) + " E=" + std::to_string(p.e_bits) +
                 " n=" + std::to_string(p.n_bits) + " w=" + std::to_string(p.width));
    if (measured.lut > 0) EXPECT_LE(std::abs(model.lut - measured.lut) / measured.lut, 0.10) << model.lut << " vs " << measured.lut;
    else EXPECT_LE(model.lut, 1.0);
    EXPECT_LE(std::abs(model.ff - measured.ff), std::max(1.0, 0.1 * measured.ff));
    EXPECT_EQ(model.dsp, measured.dsp);
  }
}

TEST(YosysCalibration, LaneIsTheSumOfItsBlocks) {
  if (!have_yosys()) GTEST_SKIP() << "yosys is not installed (scripts/install-deps installs Debian's yosys)";
  // A lane of 8 shift_k1 slots, a 3-level adder tree and a 24-bit accumulator: the FPGA model adds up block costs.
  const auto& table = builtin_fpga_costs();
  const BlockParams p{8, 3, 0, 0};
  const auto measured = synthesize(lane_verilog(Block::shift_k1, p, 8, 24, "lane8"), "lane8", false, options("lane"),
                                   "lane8");
  double model = 8 * block_cost(table, Block::shift_k1, p).lut;
  int width = block_output_width(Block::shift_k1, p);
  for (int nodes = 4; nodes >= 1; nodes /= 2) model += nodes * block_cost(table, Block::adder, {0, 0, 0, width++}).lut;
  model += block_cost(table, Block::adder, {0, 0, 0, 24}).lut;
  EXPECT_LE(std::abs(model - measured.lut) / measured.lut, 0.15) << model << " vs " << measured.lut;
}

}  // namespace
}  // namespace flight::cost_models
