#include "flight/cost_models/fpga_costs.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <optional>

#include "flight/core/embedded.hpp"
#include "flight/core/error.hpp"

namespace flight::cost_models {
const EmbeddedFile& embedded_table(const std::string& name);

std::string block_name(Block b) {
  switch (b) {
    case Block::shift_k1: return "shift_k1";
    case Block::shift_k2: return "shift_k2";
    case Block::mult_lut: return "mult_lut";
    case Block::mult_dsp: return "mult_dsp";
    case Block::adder: return "adder";
    case Block::requant: return "requant";
    case Block::requant_dsp: return "requant_dsp";
    case Block::fp32_mult: return "fp32_mult";
    case Block::fp32_add: return "fp32_add";
  }
  return "?";
}

Block parse_block(const std::string& name, const std::string& where) {
  for (auto b : kAllBlocks)
    if (block_name(b) == name) return b;
  throw InputError(describe_input_problem(where, "unknown block '" + name + "'",
                                          "shift_k1, shift_k2, mult_lut, mult_dsp, adder, requant, requant_dsp, fp32_mult or fp32_add",
                                          name));
}

int shift_magnitude_width(int a_bits, int e_bits) { return a_bits + (1 << e_bits) - 2; }

Axes block_axes(Block b, const BlockParams& p) {
  switch (b) {
    case Block::shift_k1:
    case Block::shift_k2: return {{p.a_bits, p.e_bits}, {"A", "E"}};
    case Block::mult_lut:
    case Block::mult_dsp: return {{p.a_bits, p.n_bits}, {"A", "n"}};
    case Block::adder: return {{p.width, 0}, {"w", "-"}};
    case Block::requant:
    case Block::requant_dsp: return {{p.width, p.a_bits}, {"w", "A"}};
    case Block::fp32_mult:
    case Block::fp32_add: return {{0, 0}, {"-", "-"}};  // fixed 32-bit blocks: one grid point
  }
  return {{0, 0}, {"-", "-"}};
}

int block_output_width(Block b, const BlockParams& p) {
  switch (b) {
    case Block::shift_k1: return shift_magnitude_width(p.a_bits, p.e_bits) + 1;
    case Block::shift_k2: return shift_magnitude_width(p.a_bits, p.e_bits) + 2;
    case Block::mult_lut:
    case Block::mult_dsp: return p.n_bits + p.a_bits;
    case Block::adder: return p.width + 1;
    case Block::requant:
    case Block::requant_dsp: return p.a_bits;
    case Block::fp32_mult:
    case Block::fp32_add: return 32;
  }
  return 0;
}

double FpgaCostTable::fixed_value(const std::string& name) const {
  auto it = fixed.find(name);
  if (it == fixed.end()) throw InputError("FPGA cost table: no fixed cost '" + name + "'");
  return it->second.value;
}

FpgaCostTable parse_fpga_costs(const CsvTable& t, const CsvTable& fixed) {
  FpgaCostTable out;
  out.provenance = t.comments;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string where = t.origin + ":" + std::to_string(t.lines[r]);
    BlockPoint pt;
    pt.block = parse_block(t.cell(r, "block"), where);
    const auto names = block_axes(pt.block, {}).names;
    if (t.cell(r, "axis1") != names[0] || t.cell(r, "axis2") != names[1]) {
      throw InputError(describe_input_problem(where, "axes of " + block_name(pt.block),
                                              std::string(names[0]) + "," + names[1],
                                              t.cell(r, "axis1") + "," + t.cell(r, "axis2")));
    }
    auto axis_value = [&](const char* column) {
      const double v = t.number(r, column);
      if (!(v >= 0 && v <= 1 << 20) || v != std::floor(v)) {
        throw InputError(describe_input_problem(where, column, "a whole number from 0 to 1048576", t.cell(r, column)));
      }
      return static_cast<int>(v);
    };
    pt.axes = {axis_value("value1"), axis_value("value2")};
    pt.measured.lut = t.number(r, "lut");
    pt.measured.ff = t.number(r, "ff");
    pt.measured.dsp = t.number(r, "dsp");
    if (pt.measured.lut < 0 || pt.measured.ff < 0 || pt.measured.dsp < 0) {
      throw InputError(describe_input_problem(where, "resource counts", "counts >= 0", "a negative count"));
    }
    out.points.push_back(pt);
  }
  for (std::size_t r = 0; r < fixed.rows.size(); ++r) {
    out.fixed[fixed.cell(r, "name")] = FixedCost{fixed.number(r, "value"), fixed.cell(r, "unit"),
                                                 fixed.cell(r, "source")};
  }
  return out;
}

const FpgaCostTable& builtin_fpga_costs() {
  static const FpgaCostTable table = [] {
    const auto& b = embedded_table("fpga_block_costs.csv");
    const auto& f = embedded_table("fpga_fixed_costs.csv");
    return parse_fpga_costs(parse_csv(b.contents, "cost_models/data/fpga_block_costs.csv"),
                            parse_csv(f.contents, "cost_models/data/fpga_fixed_costs.csv"));
  }();
  return table;
}

namespace {
// The grid values bracketing v along one axis: {lo, hi} with lo <= v <= hi (equal when v is on the grid).
std::optional<std::array<int, 2>> bracket(const std::vector<int>& grid, int v) {
  std::optional<std::array<int, 2>> best;
  int lo = INT_MIN, hi = INT_MAX;
  for (int g : grid) {
    if (g <= v) lo = std::max(lo, g);
    if (g >= v) hi = std::min(hi, g);
  }
  if (lo != INT_MIN && hi != INT_MAX) best = std::array<int, 2>{lo, hi};
  return best;
}
}  // namespace

Resources block_cost(const FpgaCostTable& table, Block b, const BlockParams& p) {
  const auto ax = block_axes(b, p);
  std::vector<int> g1, g2;
  std::map<std::pair<int, int>, Resources> at;
  for (const auto& pt : table.points) {
    if (pt.block != b) continue;
    g1.push_back(pt.axes[0]);
    g2.push_back(pt.axes[1]);
    at[{pt.axes[0], pt.axes[1]}] = pt.measured;
  }
  if (at.empty()) {
    throw InputError("FPGA cost table: block " + block_name(b) + " has no calibrated cost (run flight calibrate fpga)");
  }
  const auto b1 = bracket(g1, ax.values[0]);
  const auto b2 = bracket(g2, ax.values[1]);
  auto corner = [&](int x, int y) -> const Resources* {
    auto it = at.find({x, y});
    return it == at.end() ? nullptr : &it->second;
  };
  const Resources* c[4] = {nullptr, nullptr, nullptr, nullptr};
  if (b1 && b2) {
    c[0] = corner((*b1)[0], (*b2)[0]);
    c[1] = corner((*b1)[1], (*b2)[0]);
    c[2] = corner((*b1)[0], (*b2)[1]);
    c[3] = corner((*b1)[1], (*b2)[1]);
  }
  if (!c[0] || !c[1] || !c[2] || !c[3]) {
    auto range = [](const std::vector<int>& g) {
      return std::to_string(*std::min_element(g.begin(), g.end())) + ".." +
             std::to_string(*std::max_element(g.begin(), g.end()));
    };
    std::string expected = std::string(ax.names[0]) + " in " + range(g1);
    if (std::string(ax.names[1]) != "-") expected += ", " + std::string(ax.names[1]) + " in " + range(g2);
    std::string found = std::string(ax.names[0]) + "=" + std::to_string(ax.values[0]);
    if (std::string(ax.names[1]) != "-") found += ", " + std::string(ax.names[1]) + "=" + std::to_string(ax.values[1]);
    throw InputError(describe_input_problem("FPGA cost table", block_name(b) + " is outside its calibrated grid",
                                            expected + " (or recalibrate: flight calibrate fpga)", found));
  }
  auto frac = [](const std::array<int, 2>& br, int v) {
    return br[0] == br[1] ? 0.0 : double(v - br[0]) / double(br[1] - br[0]);
  };
  const double fx = frac(*b1, ax.values[0]), fy = frac(*b2, ax.values[1]);
  Resources r = (1 - fx) * (1 - fy) * *c[0] + fx * (1 - fy) * *c[1] + (1 - fx) * fy * *c[2] + fx * fy * *c[3];
  r.dsp = std::round(r.dsp);
  return r;
}

}  // namespace flight::cost_models
