// flight rtl / flight verify — the engine of a trained model as Verilog, and its validation against sim/ under
// Verilator and Yosys.  The generator and the checks are rtl/; this file loads, chooses the design, calls and prints.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/rtl/engine.hpp"
#include "flight/rtl/verify.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/model_convert.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::cli {
namespace {
namespace tr = flight::trainer;
namespace fs = std::filesystem;

struct RtlOptions {
  std::string model, device = cost_models::kDefaultDevice, out, design;
  int max_slots = 0;
  double lut_cap = sim::FpgaLimits{}.lut_cap;
  long images = 10;
  std::optional<std::string> data_dir;
  bool json = false, no_synth = false;
  std::string verilator = "verilator", yosys = "yosys";
};

struct Chosen {
  sweeps::LoadedModel lm;
  sim::IntNetwork net;
  sim::FpgaEvaluation eval;
};

// The design of --design FILE, or the fastest design on the device that the generator covers with at most max_slots
// slots.
Chosen choose(const RtlOptions& o) {
  Chosen c{sweeps::load_model(o.model), {}, {}};
  const auto& meta = c.lm.meta;
  if (meta.quant.method == tr::Method::fp32) {
    throw InputError("--model " + o.model + ": an fp32 model has no integer engine (train a quantized method)");
  }
  const auto workload = sweeps::to_workload(*c.lm.model, meta);
  sim::FpgaLimits lim;
  lim.lut_cap = o.lut_cap;
  const sim::FpgaModel fm(workload, cost_models::find_device(o.device), cost_models::builtin_fpga_costs(), lim);
  if (!o.design.empty()) {
    if (o.max_slots > 0) throw InputError(o.design + ": --design and --max-slots " + std::to_string(o.max_slots) + ": give one (the file is the design)");
    const auto d = sweeps::design_from_json(read_text_file(o.design, "design file"), o.design);
    if (auto why = rtl::not_covered(d); !why.empty()) throw InputError(o.design + ": " + why);
    c.eval = fm.evaluate(d);
    if (!c.eval.fits) {
      throw InputError(o.design + ": the design does not fit " + o.device + " (" + c.eval.reason + ")");
    }
    c.net = sweeps::to_int_network(*c.lm.model, meta);
    c.net.acc_bits = c.eval.acc_bits;
    return c;
  }
  const auto r = fm.search(std::nullopt, [&](const sim::FpgaDesign& d) {
    if (o.max_slots > 0 && d.p_in * (d.lanes + d.lanes_k2) > o.max_slots) return false;
    return rtl::not_covered(d).empty();
  });
  if (!r.found) {
    throw InputError("--max-slots " + std::to_string(o.max_slots) + " on " + o.device +
                     ": no on-chip design the generator covers fits (" + (r.reason.empty() ? "none covered" : r.reason) + ")");
  }
  c.eval = r.best;
  c.net = sweeps::to_int_network(*c.lm.model, meta);
  c.net.acc_bits = c.eval.acc_bits;
  return c;
}

rtl::EngineOptions engine_options(const Chosen& c) {
  rtl::EngineOptions e;
  e.e_bits = c.lm.meta.quant.e_bits;
  e.n_bits = c.lm.meta.quant.fixed_bits;
  e.acc_bits = c.eval.acc_bits;
  return e;
}

int run_rtl(const RtlOptions& o) {
  auto c = choose(o);
  const sim::IntInference inf(c.net);
  const auto g = rtl::generate_engine(inf, c.eval.design, engine_options(c));
  rtl::write_engine(g, o.out);
  long issue = 0;
  for (const auto& l : g.layers) issue += l.issue_cycles;
  std::cout << fmt::format(
      "{}: {} ({} layers, accumulator {} bits, weight ROM {} × {} bits)\n"
      "model: {:.0f} cycles per image; the engine {:.0f} LUT, {:.0f} FF, {:.1f} BRAM36, {:.0f} DSP (plus the host interface,"
      " not generated: {:.0f} LUT, {:.0f} FF)\n"
      "wrote {}/engine.v, weights.hex, requant.hex, tb.cpp, synth.ys\n",
      o.model, sim::describe(c.eval.design), g.layers.size(), g.acc_bits, g.weight_rom_words, g.weight_rom_width,
      c.eval.cycles_per_image, c.eval.breakdown.engine().lut, c.eval.breakdown.engine().ff,
      c.eval.breakdown.engine().bram36, c.eval.breakdown.engine().dsp, c.eval.breakdown.host.lut,
      c.eval.breakdown.host.ff, o.out);
  const auto& b = c.eval.breakdown;
  std::cout << fmt::format("model components (LUT / FF / BRAM36): slots {:.0f} / {:.0f}, adder trees + accumulators "
                           "{:.0f} / {:.0f}, {} requantizers {:.0f} / {:.0f}, control {:.0f} / {:.0f}, buffers {:.1f}\n",
                           b.slots.lut, b.slots.ff, (b.adder_trees + b.accumulators).lut,
                           (b.adder_trees + b.accumulators).ff, c.eval.requantizers, b.requant.lut, b.requant.ff, b.control.lut,
                           b.control.ff, (b.weight_buffer + b.fmap_buffer).bram36);
  return 0;
}

// The model's resource components beside the Yosys modules that implement them.
struct Component {
  std::string name, module;
  long instances = 0;
  cost_models::Resources model, yosys;
};
std::vector<Component> components(const rtl::Validation& v) {
  const auto& b = v.model_breakdown;
  std::vector<Component> out = {{"slots", "flight_slot", 0, b.slots, {}},
                                {"adder trees + accumulators", "flight_lane", 0, b.adder_trees + b.accumulators, {}},
                                {"requantizers", "flight_requant", 0, b.requant, {}},
                                {"control + buffers", "flight_engine", 0, b.control + b.weight_buffer + b.fmap_buffer, {}}};
  for (auto& c : out) {
    for (const auto& p : v.measured_resources.parts) {
      if (p.module == c.module) c.instances = p.instances, c.yosys = {p.lut, p.ff, p.dsp, p.bram36};
    }
  }
  return out;
}

double err_pct(double model, double measured) { return measured != 0 ? 100.0 * (model - measured) / measured : 0; }

int run_verify(const RtlOptions& o) {
  auto c = choose(o);
  const sim::IntInference inf(c.net);
  const auto id = data::parse_dataset_id(c.lm.meta.dataset);
  if (!id) throw InputError(o.model + ": unknown data set '" + c.lm.meta.dataset + "'");
  const auto d = data::load_dataset(*id, data::resolve_data_root(o.data_dir));
  const long n = std::min<long>(o.images, long(d.test.count));
  std::vector<std::uint8_t> images;
  for (long i = 0; i < n; ++i) {
    const auto im = d.test.image(std::size_t(i));
    images.insert(images.end(), im.begin(), im.end());
  }
  std::string dir = o.out;
  bool temp = false;
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "flight-verify-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw RunError("cannot create a temporary folder");
    dir = tmpl;
    temp = true;
  }
  rtl::Tools tools;
  tools.verilator = o.verilator;
  tools.yosys = o.yosys;
  const auto v = rtl::validate(inf, c.eval, engine_options(c), images, n, dir, !o.no_synth, tools,
                               [](const std::string& what) { std::cerr << "flight verify: " << what << "\n"; });
  const bool ok = v.mismatches == 0;

  boost::json::array layers;
  for (const auto& l : v.layers) {
    layers.push_back({{"name", l.name},
                      {"model_cycles", l.model_cycles},
                      {"model_compute_cycles", l.model_compute},
                      {"measured_cycles", l.measured_cycles},
                      {"issue_cycles", l.issue_cycles},
                      {"error_pct", err_pct(l.model_cycles, double(l.measured_cycles))}});
  }
  boost::json::object out{{"model", o.model},
                          {"device", o.device},
                          {"design", v.design},
                          {"verilator", v.verilator},
                          {"lint_clean", v.lint.empty()},
                          {"images", v.images},
                          {"bit_identical", ok},
                          {"mismatched_images", v.mismatches},
                          {"predictions_equal", v.predictions_equal},
                          {"layers", layers},
                          {"model_cycles_per_image", v.model_cycles},
                          {"measured_cycles_per_image", v.measured_cycles},
                          {"cycles_error_pct", err_pct(v.model_cycles, v.measured_cycles)},
                          {"verilator_build_s", v.simulation.build_seconds},
                          {"verilator_run_s", v.simulation.run_seconds}};
  // The model's components always (so --no-synth still shows the estimate); Yosys' beside them when synthesized.
  {
    const auto& m = v.model_resources;
    const auto& s = v.measured_resources;
    boost::json::array parts;
    for (const auto& part : components(v)) {
      boost::json::object row{{"component", part.name}, {"model_lut", part.model.lut}, {"model_ff", part.model.ff},
                            {"model_bram36", part.model.bram36}, {"yosys_module", part.module}};
      if (v.synthesized) {
        row["instances"] = part.instances, row["yosys_lut"] = part.yosys.lut, row["yosys_ff"] = part.yosys.ff;
        row["yosys_bram36"] = part.yosys.bram36;
      }
      parts.push_back(std::move(row));
    }
    out["components"] = std::move(parts);
    boost::json::object res{{"model", {{"lut", m.lut}, {"ff", m.ff}, {"bram36", m.bram36}, {"dsp", m.dsp}}}};
    if (v.synthesized) {
      res["yosys"] = {{"lut", s.lut}, {"lutram", s.lutram}, {"ff", s.ff}, {"bram36", s.bram36}, {"dsp", s.dsp}};
      res["error_pct"] = {{"lut", err_pct(m.lut, s.lut)}, {"ff", err_pct(m.ff, s.ff)},
                          {"bram36", err_pct(m.bram36, s.bram36)}, {"dsp", err_pct(m.dsp, s.dsp)}};
      res["yosys_s"] = s.seconds;
    }
    out["resources"] = std::move(res);
  }
  const bool kept = !temp || !ok;  // a temporary folder is kept when the outputs differ, to look into
  if (kept) out["folder"] = dir;
  if (o.json) {
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::cout << fmt::format("{} on {}: {}\n{}; lint -Wall: {}\n", o.model, o.device, v.design, v.verilator,
                             v.lint.empty() ? "clean" : "warnings (" + dir + "/engine.v)");
    std::cout << fmt::format("outputs: {} of {} images bit-identical to flight sim's bit-accurate inference{}\n",
                             v.images - v.mismatches, v.images,
                             ok ? "" : fmt::format(" (first difference: image {})", v.first_mismatch));
    std::cout << fmt::format("{:<8} {:>12} {:>12} {:>12} {:>8}\n", "layer", "model cyc", "RTL cyc", "RTL issue",
                             "error");
    for (const auto& l : v.layers) {
      std::cout << fmt::format("{:<8} {:>12.0f} {:>12} {:>12} {:>7.1f}%\n", l.name, l.model_cycles,
                               l.measured_cycles, l.issue_cycles, err_pct(l.model_cycles, double(l.measured_cycles)));
    }
    std::cout << fmt::format("{:<8} {:>12.0f} {:>12.0f} {:>12} {:>7.1f}%\n", "image", v.model_cycles,
                             v.measured_cycles, "", err_pct(v.model_cycles, v.measured_cycles));
    if (v.synthesized) {
      const auto& m = v.model_resources;
      const auto& s = v.measured_resources;
      std::cout << fmt::format("{:<8} {:>12} {:>12} {:>8}\n", "resource", "model", "yosys", "error");
      auto row = [&](const char* what, double a, double b) {
        std::cout << fmt::format("{:<8} {:>12.1f} {:>12.1f} {:>7.1f}%\n", what, a, b, err_pct(a, b));
      };
      row("LUT", m.lut, s.lut);
      row("FF", m.ff, s.ff);
      row("BRAM36", m.bram36, s.bram36);
      row("DSP", m.dsp, s.dsp);
      if (s.lutram > 0) std::cout << fmt::format("(Yosys LUTs include {:.0f} LUT-RAM and shift-register LUTs)\n", s.lutram);
      std::cout << fmt::format("{:<24} {:>10} {:>10} {:>10} {:>10} {:>7} {:>7}\n", "component (Yosys module)", "model LUT",
                               "Yosys LUT", "model FF", "Yosys FF", "m BRAM", "Y BRAM");
      for (const auto& part : components(v)) {
        std::cout << fmt::format("{:<24} {:>10.0f} {:>10.0f} {:>10.0f} {:>10.0f} {:>7.1f} {:>7.1f}\n",
                                 part.name + " (" + part.module + ")", part.model.lut, part.yosys.lut, part.model.ff,
                                 part.yosys.ff, part.model.bram36, part.yosys.bram36);
      }
    }
  }
  if (kept && !o.json) std::cout << "files kept in " << dir << "\n";
  if (!kept) fs::remove_all(dir);
  return ok ? 0 : 1;
}

void common_options(CLI::App* s, RtlOptions& o) {
  s->add_option("--model", o.model, "Model file written by flight train --out (a quantized method)")->required();
  s->add_option("--device", o.device, "FPGA device from the catalog")->capture_default_str();
  s->add_option("--max-slots", o.max_slots,
                "Largest design considered: p_in × lanes slots (0: any; small designs simulate fast)")
      ->check(CLI::NonNegativeNumber);
  s->add_option("--design", o.design,
                "Design file instead of the search: the \"design\" object of flight sim/dse --json (mapping, slot, "
                "p_in, lanes, ...; docs/rtl.md)");
  s->add_option("--lut-cap", o.lut_cap, "Fraction of the device's LUTs a design may use")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
}

}  // namespace

void register_rtl_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<RtlOptions>();
  auto* r = app.add_subcommand(
      "rtl", "Write the engine of a trained model as Verilog: the fastest design the search finds among those the generator covers");
  common_options(r, *o);
  r->add_option("--out", o->out, "Folder for engine.v, the memory images, tb.cpp and synth.ys")->required();
  r->callback([o, &chosen] { chosen = [o] { return run_rtl(*o); }; });

  auto v = std::make_shared<RtlOptions>();
  auto* s = app.add_subcommand(
      "verify", "Simulate the generated engine under Verilator and synthesize it with Yosys: outputs against flight "
                "sim's bit-accurate inference, cycles and resources against the model; exit 1 when outputs differ");
  common_options(s, *v);
  s->add_option("--images", v->images, "Test images streamed through the engine")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  s->add_option("--data-dir", v->data_dir, "Data root (default: $FLIGHT_DATA, else ./data)");
  s->add_option("--out", v->out, "Keep the generated files and the Verilator build here (default: a temporary folder)");
  s->add_flag("--no-synth", v->no_synth, "Skip the Yosys synthesis");
  s->add_option("--verilator", v->verilator, "Verilator command")->capture_default_str();
  s->add_option("--yosys", v->yosys, "Yosys command")->capture_default_str();
  s->add_flag("--json", v->json, "Print one JSON object");
  s->callback([v, &chosen] { chosen = [v] { return run_verify(*v); }; });
}

}  // namespace flight::cli
