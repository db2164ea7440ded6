// flight sim — hardware results for a trained model: FPGA design search, ASIC energy and bit-accurate inference.
#include <boost/json.hpp>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/sweeps/hw_run.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/core/parallel.hpp"

namespace flight::cli {
namespace {
namespace tr = flight::trainer;

struct SimOptions {
  std::string model, target = "all";
  sweeps::HardwareRequest hw;  // device, lut_cap, energy_table and their defaults
  std::optional<std::string> data_dir;
  std::size_t max_test = 0;
  int threads = 0;
  int acc_bits = 0;
  bool json = false;
};

int run_sim(const SimOptions& o) {
  if (o.target != "all" && o.target != "fpga" && o.target != "asic" && o.target != "inference") {
    throw InputError("--target: unknown target '" + o.target + "' (expected all, fpga, asic or inference)");
  }
  ThreadLimit limit(o.threads);
  auto lm = sweeps::load_model(o.model);
  const auto& meta = lm.meta;
  auto& model = *lm.model;
  if (o.target == "inference" && meta.quant.method == tr::Method::fp32) {
    throw InputError("--target inference: an fp32 model has no integer form (train a quantized method)");
  }
  sweeps::HardwareRequest req = o.hw;
  req.fpga = o.target == "all" || o.target == "fpga";
  req.asic = o.target == "all" || o.target == "asic";
  req.inference = o.target == "all" || o.target == "inference";
  req.max_test = o.max_test;
  req.acc_bits = o.acc_bits;
  std::optional<data::Dataset> d;
  if (req.inference && meta.quant.method != tr::Method::fp32) {
    const auto id = data::parse_dataset_id(meta.dataset);
    if (!id) throw InputError(o.model + ": unknown data set '" + meta.dataset + "'");
    d = data::load_dataset(*id, data::resolve_data_root(o.data_dir));
  }
  auto r = sweeps::hardware_results(model, meta, req, d ? &*d : nullptr, o.target == "asic");
  auto& out = r.json;
  out["model"] = o.model;
  const std::string text = o.model + ": " + r.text;
  if (o.json) std::cout << boost::json::serialize(out) << "\n";
  else std::cout << text;
  return 0;
}

}  // namespace

void register_sim_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<SimOptions>();
  auto* s = app.add_subcommand("sim", "Hardware results of a trained model: FPGA design, ASIC energy, bit-accurate inference");
  s->add_option("--model", o->model, "Model file written by flight train --out")->required();
  s->add_option("--device", o->hw.device, "FPGA device from the catalog")->capture_default_str();
  s->add_option("--target", o->target, "all, fpga, asic or inference")->capture_default_str();
  s->add_option("--lut-cap", o->hw.lut_cap, "Fraction of the device's LUTs a design may use")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  s->add_option("--energy-table", o->hw.energy_table, "ASIC energy table")->capture_default_str();
  s->add_option("--data-dir", o->data_dir, "Data root for the test images (default: $FLIGHT_DATA, else ./data)");
  s->add_option("--max-test", o->max_test, "Run bit-accurate inference on the first N test images");
  s->add_option("--threads", o->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  s->add_option("--acc-bits", o->acc_bits, "Accumulator width of the integer inference (wrapping; 0: unbounded)")
      ->check(CLI::Range(0, 63));
  s->add_flag("--json", o->json, "Print one JSON object");
  s->callback([o, &chosen] { chosen = [o] { return run_sim(*o); }; });
}

}  // namespace flight::cli
