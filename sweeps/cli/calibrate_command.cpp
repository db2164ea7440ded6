// flight calibrate fpga — fit the FPGA block costs to Yosys synthesis and write the cost table.
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "flight/core/parallel.hpp"
#include "flight/sweeps/model_file.hpp"
#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/cost_models/calibrate.hpp"
#include "progress.hpp"

namespace flight::cli {
namespace {
namespace cm = flight::cost_models;

struct CalibrateOptions {
  std::string out = "fpga_block_costs.csv";
  std::string yosys = "yosys";
  std::string family = "xc7";
  std::string workdir;
  int threads = 0;
  bool json = false;
};

std::string params_str(cm::Block b, const cm::BlockParams& p) {
  switch (b) {
    case cm::Block::shift_k1:
    case cm::Block::shift_k2: return "A=" + std::to_string(p.a_bits) + " E=" + std::to_string(p.e_bits);
    case cm::Block::mult_lut:
    case cm::Block::mult_dsp: return "A=" + std::to_string(p.a_bits) + " n=" + std::to_string(p.n_bits);
    case cm::Block::adder: return "w=" + std::to_string(p.width);
    case cm::Block::requant:
    case cm::Block::requant_dsp: return "w=" + std::to_string(p.width) + " A=" + std::to_string(p.a_bits);
    case cm::Block::fp32_mult:
    case cm::Block::fp32_add: return "fp32";
  }
  return "";
}

int run_calibrate(const CalibrateOptions& o) {
  cm::SynthOptions so;
  so.yosys = o.yosys;
  so.family = o.family;
  so.workdir = o.workdir.empty() ? (std::filesystem::temp_directory_path() / "flight-calibrate").string() : o.workdir;
  const int threads = o.threads > 0 ? o.threads : default_threads();
  Progress progress("calibrate fpga");
  const auto result = cm::calibrate(cm::default_grid(), so, threads,
                                    [&](int done, int total) { progress.update(done, total); });
  sweeps::write_file_atomically(o.out, result.csv);

  boost::json::array rows;
  double worst_held_out = 0;
  if (!o.json) {
    std::printf("%-9s %-12s %-9s %8s %8s %7s %8s %8s %4s %4s\n", "block", "widths", "set", "LUT", "LUT_mod", "err%",
                "FF", "FF_mod", "DSP", "mod");
  }
  for (const auto& pt : result.points) {
    const double err = pt.measured.lut > 0 ? 100.0 * (pt.predicted.lut - pt.measured.lut) / pt.measured.lut : 0.0;
    if (pt.held_out) worst_held_out = std::max(worst_held_out, std::abs(err));
    if (o.json) {
      rows.push_back({{"block", cm::block_name(pt.block)},
                      {"widths", params_str(pt.block, pt.params)},
                      {"held_out", pt.held_out},
                      {"lut", pt.measured.lut},
                      {"lut_model", pt.predicted.lut},
                      {"lut_error_pct", err},
                      {"ff", pt.measured.ff},
                      {"ff_model", pt.predicted.ff},
                      {"dsp", pt.measured.dsp},
                      {"dsp_model", pt.predicted.dsp}});
    } else {
      std::printf("%-9s %-12s %-9s %8.0f %8.1f %+7.1f %8.0f %8.1f %4.0f %4.0f\n", cm::block_name(pt.block).c_str(),
                  params_str(pt.block, pt.params).c_str(), pt.held_out ? "held-out" : "fit", pt.measured.lut,
                  pt.predicted.lut, err, pt.measured.ff, pt.predicted.ff, pt.measured.dsp, pt.predicted.dsp);
    }
  }
  if (o.json) {
    std::cout << boost::json::serialize(boost::json::object{
                     {"table", o.out}, {"points", rows}, {"max_held_out_lut_error_pct", worst_held_out}})
              << "\n";
  } else {
    std::printf("wrote %s; largest LUT error on held-out widths: %.1f %%\n", o.out.c_str(), worst_held_out);
  }
  return 0;
}

}  // namespace

void register_calibrate_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* cal = app.add_subcommand("calibrate", "Calibrate cost models against synthesis");
  cal->require_subcommand(1);
  auto* fpga = cal->add_subcommand(
      "fpga", "Synthesize every FPGA block over a grid of widths with Yosys synth_xilinx, fit the cost formulas and "
              "write the block cost table (the shipped cost_models/data/fpga_block_costs.csv is this output)");
  fpga->add_option("--out", o->out, "Cost table to write")->capture_default_str();
  fpga->add_option("--yosys", o->yosys, "Yosys executable")->capture_default_str();
  fpga->add_option("--family", o->family, "synth_xilinx -family (xc7, xcup, ...)")->capture_default_str();
  fpga->add_option("--workdir", o->workdir, "Folder for the generated Verilog and Yosys logs (default: a temp dir)");
  fpga->add_option("--threads", o->threads, "Parallel Yosys runs (default: all cores)")->check(CLI::NonNegativeNumber);
  fpga->add_flag("--json", o->json, "Print one JSON object instead of the table");
  fpga->callback([o, &chosen] { chosen = [o] { return run_calibrate(*o); }; });
}

}  // namespace flight::cli
