#include "flight/core/parallel.hpp"
#include "flight/cost_models/calibrate.hpp"

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/cost_models/csv.hpp"
#include "flight/cost_models/rtl.hpp"

namespace flight::cost_models {
namespace fs = std::filesystem;

SynthStats parse_yosys_stat(const std::string& text) {
  if (text.find("Number of cells") == std::string::npos) {
    throw RunError("yosys stat report has no 'Number of cells' line");
  }
  SynthStats s;
  static const std::regex cell(R"(^\s+(\w+)\s+(\d+)\s*$)");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, cell)) continue;
    const std::string name = m[1];
    const double n = std::stod(m[2]);
    if (name.rfind("LUT", 0) == 0 || name == "INV") s.lut += n;
    else if (name == "FDRE" || name == "FDSE" || name == "FDCE" || name == "FDPE") s.ff += n;
    else if (name.rfind("DSP48", 0) == 0) s.dsp += n;
    else if (name.rfind("CARRY", 0) == 0) s.carry += n;
  }
  return s;
}

std::string shell_quote(const std::string& word) {
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_command(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string yosys_version(const std::string& yosys) {
  int status = 0;
  auto out = run_command(shell_quote(yosys) + " -V 2>&1", status);
  if (status != 0 || out.find("Yosys") == std::string::npos) {
    throw RunError("cannot run '" + yosys + " -V' (install Debian's yosys: scripts/install-deps)");
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool synth_allows_dsp(Block b) { return b == Block::mult_dsp || b == Block::requant_dsp || b == Block::fp32_mult; }

std::string synth_command(Block b, const SynthOptions& o, const std::string& top) {
  return "synth_xilinx -family " + o.family + " -top " + top + " -flatten -noiopad -noclkbuf" +
         (synth_allows_dsp(b) ? "" : " -nodsp");
}

SynthStats synthesize(const std::string& verilog, const std::string& top, bool allow_dsp, const SynthOptions& o,
                      const std::string& tag) {
  fs::create_directories(o.workdir);
  const fs::path v = fs::path(o.workdir) / (tag + ".v");
  const fs::path stat = fs::path(o.workdir) / (tag + ".stat");
  const fs::path log = fs::path(o.workdir) / (tag + ".log");
  {
    std::ofstream out(v);
    out << verilog;
  }
  const std::string synth = "synth_xilinx -family " + o.family + " -top " + top + " -flatten -noiopad -noclkbuf" +
                            (allow_dsp ? "" : " -nodsp");
  const std::string cmd = o.yosys + " -q -l " + log.string() + " -p 'read_verilog " + v.string() + "; " + synth +
                          "; tee -q -o " + stat.string() + " stat' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) throw RunError("yosys failed on " + v.string() + " (log: " + log.string() + ")");
  return parse_yosys_stat(slurp(stat));
}

CalibrationGrid default_grid() {
  CalibrationGrid g;
  for (int a : {4, 6, 8, 12, 16})
    for (int e : {2, 3, 4}) {
      g.fit.push_back({Block::shift_k1, {a, e, 0, 0}});
      g.fit.push_back({Block::shift_k2, {a, e, 0, 0}});
    }
  // Every weight width: odd widths synthesize markedly smaller than their even neighbours' mean.
  for (int a : {4, 6, 8, 12, 16})
    for (int n = 2; n <= 8; ++n) g.fit.push_back({Block::mult_lut, {a, 0, n, 0}});
  // Yosys maps only larger products to DSP48 slices (5x4 stays in LUTs): calibrate where it does.
  for (int a : {8, 12, 16})
    for (int n : {4, 6, 8}) g.fit.push_back({Block::mult_dsp, {a, 0, n, 0}});
  for (int w : {8, 12, 16, 24, 32, 40, 48}) g.fit.push_back({Block::adder, {0, 0, 0, w}});
  for (int w : {16, 24, 32, 48})
    for (int a : {4, 8}) {
      g.fit.push_back({Block::requant, {a, 0, 0, w}});
      g.fit.push_back({Block::requant_dsp, {a, 0, 0, w}});
    }
  // The fp32 reference blocks have one width: one point each, nothing to hold out.
  g.fit.push_back({Block::fp32_mult, {0, 0, 0, 0}});
  g.fit.push_back({Block::fp32_add, {0, 0, 0, 0}});
  // Held out: widths between the fitted ones.
  for (auto [a, e] : {std::pair{5, 3}, {10, 2}, {10, 3}, {14, 4}}) {
    g.held_out.push_back({Block::shift_k1, {a, e, 0, 0}});
    g.held_out.push_back({Block::shift_k2, {a, e, 0, 0}});
  }
  for (auto [a, n] : {std::pair{5, 3}, {10, 5}, {14, 7}, {10, 4}}) g.held_out.push_back({Block::mult_lut, {a, 0, n, 0}});
  g.held_out.push_back({Block::mult_dsp, {10, 0, 5, 0}});
  for (int w : {20, 28}) g.held_out.push_back({Block::adder, {0, 0, 0, w}});
  g.held_out.push_back({Block::requant, {6, 0, 0, 20}});
  g.held_out.push_back({Block::requant_dsp, {6, 0, 0, 20}});
  return g;
}

namespace {

std::string today() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return buf;
}


}  // namespace

CalibrationResult calibrate(const CalibrationGrid& grid, const SynthOptions& o, int threads,
                            const std::function<void(int, int)>& progress) {
  const std::string version = yosys_version(o.yosys);
  CalibrationResult result;
  for (const auto& [b, p] : grid.fit) result.points.push_back({b, p, false, {}, {}});
  for (const auto& [b, p] : grid.held_out) result.points.push_back({b, p, true, {}, {}});
  std::atomic<int> done{0};
  const int total = static_cast<int>(result.points.size());
  Arena arena(threads);
  arena.run([&] {
    parallel_for_each(total, [&](int i) {
      auto& pt = result.points[i];
      const std::string top = "blk_" + std::to_string(i);
      pt.measured = synthesize(block_verilog(pt.block, pt.params, top), top, synth_allows_dsp(pt.block), o,
                               block_name(pt.block) + "_" + std::to_string(i));
      if (progress) progress(++done, total);
    });
  });

  std::ostringstream csv;
  csv << "# FPGA block costs measured by Yosys synthesis of cost_models/rtl Verilog; the model interpolates\n"
      << "# bilinearly between these grid points (cost_models/include/flight/cost_models/fpga_costs.hpp).\n"
      << "# generated by: flight calibrate fpga (" << grid.fit.size() << " grid points; " << grid.held_out.size()
      << " held-out points checked, not stored)\n"
      << "# date: " << today() << "\n"
      << "# tool: " << version << "\n"
      << "# command: yosys -p 'read_verilog BLOCK.v; synth_xilinx -family " << o.family
      << " -top BLOCK -flatten -noiopad -noclkbuf [-nodsp except mult_dsp, fp32_mult]; stat'\n"
      << "# lut = LUT1..LUT6 + INV cells, ff = FDRE/FDSE/FDCE/FDPE, dsp = DSP48E1/E2.\n"
      << "block,axis1,value1,axis2,value2,lut,ff,dsp\n";
  for (const auto& pt : result.points) {
    if (pt.held_out) continue;
    const auto ax = block_axes(pt.block, pt.params);
    csv << block_name(pt.block) << "," << ax.names[0] << "," << ax.values[0] << "," << ax.names[1] << ","
        << ax.values[1] << "," << pt.measured.lut << "," << pt.measured.ff << "," << pt.measured.dsp << "\n";
  }
  result.csv = csv.str();
  // Fixed costs do not enter the block predictions; an empty fixed table suffices here.
  CsvTable no_fixed;
  no_fixed.header = {"name", "value", "unit", "source"};
  result.table = parse_fpga_costs(parse_csv(result.csv, "calibration"), no_fixed);
  for (auto& pt : result.points) {
    pt.predicted = block_cost(result.table, pt.block, pt.params);
  }
  return result;
}

}  // namespace flight::cost_models
