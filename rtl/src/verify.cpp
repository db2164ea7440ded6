#include "flight/rtl/verify.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/cost_models/calibrate.hpp"

namespace flight::rtl {
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw RunError("cannot write " + p.string());
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& s, std::size_t n = 2000) { return s.size() > n ? s.substr(s.size() - n) : s; }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void write_engine(const GeneratedEngine& g, const std::string& dir) {
  fs::create_directories(dir);
  write_file(fs::path(dir) / "engine.v", g.verilog);
  write_file(fs::path(dir) / "weights.hex", g.weights_hex);
  write_file(fs::path(dir) / "requant.hex", g.requant_hex);
  write_file(fs::path(dir) / "tb.cpp", g.testbench);
  write_file(fs::path(dir) / "synth.ys", g.yosys_script);
}

std::string verilator_version(const std::string& verilator) {
  int st = 0;
  const auto out = cost_models::run_command(cost_models::shell_quote(verilator) + " --version 2>&1", st);
  if (st != 0 || out.find("Verilator") == std::string::npos) {
    throw RunError("cannot run '" + verilator + " --version' (install Verilator: scripts/install-deps build)");
  }
  return out.substr(0, out.find('\n'));
}

std::string lint(const std::string& dir, const Tools& t) {
  verilator_version(t.verilator);
  int st = 0;
  const auto out = cost_models::run_command("cd -- " + cost_models::shell_quote(dir) + " && " + cost_models::shell_quote(t.verilator) +
                                   " --lint-only -Wall --top-module flight_engine engine.v 2>&1",
                               st);
  return st == 0 && out.find("%Warning") == std::string::npos ? std::string() : out.empty() ? "lint failed" : out;
}

Simulation simulate(const std::string& dir, const std::vector<std::uint8_t>& images, long n, int classes, int layers,
                    const Tools& t) {
  verilator_version(t.verilator);
  Simulation s;
  auto t0 = std::chrono::steady_clock::now();
  int st = 0;
  const auto log = cost_models::run_command("cd -- " + cost_models::shell_quote(dir) + " && " + cost_models::shell_quote(t.verilator) +
                                   " --cc --exe --build -j " + std::to_string(std::max(1, t.jobs)) +
                                   " -O3 --x-assign fast --x-initial fast --noassert -Wno-fatal"
                                   " --top-module flight_engine engine.v tb.cpp -o Vflight_engine 2>&1",
                               st);
  if (st != 0) throw RunError("verilator build of " + dir + "/engine.v failed:\n" + tail(log));
  s.build_seconds = seconds_since(t0);
  write_file(fs::path(dir) / "images.bin", std::string(images.begin(), images.end()));
  t0 = std::chrono::steady_clock::now();
  const auto out = cost_models::run_command("cd -- " + cost_models::shell_quote(dir) + " && obj_dir/Vflight_engine images.bin " + std::to_string(n) +
                                   " 2>&1",
                               st);
  s.run_seconds = seconds_since(t0);
  if (st != 0) throw RunError("the Verilator model of " + dir + " failed:\n" + tail(out));
  std::istringstream in(out);
  std::string word;
  SimulatedImage* cur = nullptr;
  while (in >> word) {
    if (word == "image") {
      long i;
      in >> i;
      s.images.emplace_back();
      cur = &s.images.back();
      cur->outputs.assign(std::size_t(classes), 0);
    } else if (word == "out" && cur) {
      int c;
      long long v;
      in >> c >> v;
      if (c < 0 || c >= classes) throw RunError("Verilator model printed class " + std::to_string(c));
      cur->outputs[std::size_t(c)] = v;
    } else if (word == "layer" && cur) {
      int l;
      long c;
      in >> l >> c;
      cur->layer_cycles.push_back(c);
    } else if (word == "cycles" && cur) {
      in >> cur->cycles;
    } else {
      throw RunError("unexpected output of the Verilator model: '" + word + "'");
    }
  }
  if (long(s.images.size()) != n) throw RunError("the Verilator model ran " + std::to_string(s.images.size()) +
                                                 " of " + std::to_string(n) + " images");
  for (const auto& im : s.images) {
    if (int(im.layer_cycles.size()) != layers) throw RunError("the Verilator model reported the wrong layer count");
  }
  return s;
}

namespace {
// LUTs a 7-series LUT-RAM or shift-register cell occupies (0: not one).
double lutram_luts(const std::string& name) {
  if (name == "RAM64M8" || name == "RAM32M16") return 8;
  if (name == "RAM32M" || name == "RAM64M" || name == "RAM128X1D" || name == "RAM256X1S") return 4;
  if (name == "RAM32X1D" || name == "RAM64X1D" || name == "RAM128X1S") return 2;
  if (name == "RAM32X1S" || name == "RAM64X1S" || name == "SRL16E" || name == "SRLC32E") return 1;
  return 0;
}

// Cell counts of one module's own section of a Yosys stat report.
Synthesis::Part own_cells(const std::string& section) {
  Synthesis::Part p;
  static const std::regex cell(R"(^\s+(\w+)\s+(\d+)\s*$)");
  std::istringstream in(section);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, cell)) continue;
    const std::string name = m[1];
    const double k = std::stod(m[2]);
    if (name.rfind("LUT", 0) == 0 || name == "INV") p.lut += k;
    else if (lutram_luts(name) > 0) p.lutram += lutram_luts(name) * k;
    else if (name.rfind("FD", 0) == 0) p.ff += k;
    else if (name.rfind("DSP48", 0) == 0) p.dsp += k;
    else if (name == "RAMB36E1") p.bram36 += k;
    else if (name == "RAMB18E1") p.bram36 += 0.5 * k;
  }
  p.lut += p.lutram;
  return p;
}

std::vector<Synthesis::Part> module_parts(const std::string& modules, const std::string& hierarchy) {
  // Instances: "   flight_engine   1\n     flight_lane   8\n       flight_slot   8" — counts per parent, nested by indent.
  std::map<std::string, long> total;
  std::vector<std::pair<std::size_t, long>> stack;  // (indent, total instances)
  static const std::regex inst(R"(^(\s+)(\w+)\s+(\d+)\s*$)");
  std::istringstream in(hierarchy);
  std::string line;
  std::getline(in, line);  // the heading
  while (std::getline(in, line)) {
    if (line.find("Number of") != std::string::npos) break;
    std::smatch m;
    if (!std::regex_match(line, m, inst)) continue;
    const std::size_t indent = m[1].length();
    while (!stack.empty() && stack.back().first >= indent) stack.pop_back();
    const long n = std::stol(m[3]) * (stack.empty() ? 1 : stack.back().second);
    total[m[2]] += n;
    stack.push_back({indent, n});
  }
  std::vector<Synthesis::Part> parts;
  static const std::regex head(R"(=== (\w+) ===)");
  auto it = std::sregex_iterator(modules.begin(), modules.end(), head);
  std::vector<std::pair<std::string, std::size_t>> heads;
  for (; it != std::sregex_iterator(); ++it) heads.push_back({(*it)[1], std::size_t(it->position())});
  for (std::size_t i = 0; i < heads.size(); ++i) {
    const auto end = i + 1 < heads.size() ? heads[i + 1].second : modules.size();
    auto p = own_cells(modules.substr(heads[i].second, end - heads[i].second));
    p.module = heads[i].first;
    p.instances = total.count(p.module) ? total[p.module] : 1;
    p.lut *= double(p.instances), p.ff *= double(p.instances), p.dsp *= double(p.instances);
    p.lutram *= double(p.instances);
    p.bram36 *= double(p.instances);
    parts.push_back(p);
  }
  return parts;
}
}  // namespace

Synthesis synthesize(const std::string& dir, const Tools& t) {
  cost_models::yosys_version(t.yosys);
  const auto t0 = std::chrono::steady_clock::now();
  int st = 0;
  const auto log = cost_models::run_command(
      "cd -- " + cost_models::shell_quote(dir) + " && " + cost_models::shell_quote(t.yosys) + " -q -l yosys.log -s synth.ys 2>&1", st);
  if (st != 0) throw RunError("yosys synthesis of " + dir + "/engine.v failed:\n" + tail(log));
  Synthesis s;
  s.seconds = seconds_since(t0);
  const auto all = slurp(fs::path(dir) / "stat.txt");
  // A hierarchical design reports each module, then the totals under "design hierarchy": the totals from there, the
  // parts from the modules' own sections times their instance counts.
  std::string text = all;
  if (const auto h = all.find("=== design hierarchy ==="); h != std::string::npos) {
    text = all.substr(h);
    s.parts = module_parts(all.substr(0, h), text);
  }
  // The totals, counted like the parts (cost_models::parse_yosys_stat's cell rules plus block RAM and LUT-RAM).
  cost_models::parse_yosys_stat(text);  // a RunError when this is no stat report
  const auto c = own_cells(text);
  s.lut = c.lut, s.lutram = c.lutram, s.ff = c.ff, s.dsp = c.dsp, s.bram36 = c.bram36;
  return s;
}

Validation validate(const sim::IntInference& net, const sim::FpgaEvaluation& eval, const EngineOptions& opt,
                    const std::vector<std::uint8_t>& images, long n, const std::string& dir, bool synth,
                    const Tools& t, const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& what) {
    if (progress) progress(what);
  };
  Validation v;
  if (n < 1) throw InputError("verify: no test images to stream through the engine");
  v.design = sim::describe(eval.design);
  v.engine = generate_engine(net, eval.design, opt);
  const auto& layers = v.engine.layers;
  FLIGHT_CHECK(layers.size() == eval.layers.size(), "engine layers match the cycle model's");
  write_engine(v.engine, dir);
  v.verilator = verilator_version(t.verilator);
  say("linting " + dir + "/engine.v (verilator --lint-only -Wall)");
  v.lint = lint(dir, t);
  say("building it with Verilator and streaming " + std::to_string(n) + " images through it");
  const int classes = layers.back().c_out;
  v.simulation = simulate(dir, images, n, classes, int(layers.size()), t);
  const std::size_t image_bytes = std::size_t(net.network().in_c) * net.network().in_h * net.network().in_w;
  FLIGHT_CHECK(images.size() >= image_bytes * std::size_t(n), "image bytes");
  v.images = n;
  for (long i = 0; i < n; ++i) {
    const auto r = net.run(images.data() + image_bytes * std::size_t(i));
    const auto& hw = v.simulation.images[std::size_t(i)].outputs;
    if (hw != r.raw_logits) {
      ++v.mismatches;
      if (v.first_mismatch < 0) v.first_mismatch = i;
    }
    const int hw_pred = int(std::max_element(hw.begin(), hw.end()) - hw.begin());
    if (hw_pred == r.predicted) ++v.predictions_equal;
  }
  const auto& im0 = v.simulation.images.front();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerCheck c;
    c.name = eval.layers[i].name;
    c.model_cycles = eval.layers[i].cycles;
    c.model_compute = eval.layers[i].compute_cycles;
    c.measured_cycles = im0.layer_cycles[i];
    c.issue_cycles = layers[i].issue_cycles;
    v.model_cycles += c.model_cycles;
    v.layers.push_back(c);
  }
  v.measured_cycles = double(im0.cycles);
  v.model_resources = eval.breakdown.engine();  // the host interface is not generated
  v.model_breakdown = eval.breakdown;
  if (synth) {
    say("synthesizing it with Yosys synth_xilinx (minutes for larger designs; --no-synth skips)");
    v.measured_resources = synthesize(dir, t);
    v.synthesized = true;
  }
  return v;
}

}  // namespace flight::rtl
