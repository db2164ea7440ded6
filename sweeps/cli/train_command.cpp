// flight train — quantization-aware training of a network on a data set.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/train_run.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/core/parallel.hpp"
#include "flight/trainer/train.hpp"
#include "progress.hpp"

namespace flight::cli {
namespace {
namespace tr = flight::trainer;

struct TrainOptions {
  std::string dataset, net, method = "fp32", profile = "quick", optimizer = "sgd";
  std::optional<std::string> data_dir;
  std::string out, init;
  double lambda = 0;
  int epochs = 0, batch = 0, threads = 0;
  double lr = 0, threshold_travel = 0;
  unsigned seed = 1;
  std::size_t max_train = 0, max_test = 0;
  int stop_after = 0;
  std::string exp_base = "auto";
  bool no_zero_code = false, allow_k0 = false;
  std::string rounding = "nearest";
  int e_bits = 3, a_bits = 8;  // testing: end the process abruptly after this many epochs, as a kill would
  bool json = false;
  std::string cost = "macs", device = "zynq-7045";
  std::optional<double> target_fps, target_energy;
  std::string energy_table = "40nm-aladdin";
  double lut_cap = 0.8, eta = 0.1, tolerance = 0.05, project_at = 0.8;
  bool profile_layers = false;
  std::string precision = "fp32";
  long budget_every = 0;
};

// Layer labels by type and ordinal (conv1, batchnorm1, relu1, …, fc1).
std::vector<std::string> layer_labels(const std::vector<tr::Model::LayerTime>& layers) {
  std::map<std::string, int> count;
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(l.name + std::to_string(++count[l.name]));
  return out;
}

boost::json::object profile_json(const tr::StepProfile& p) {
  boost::json::array layers;
  const auto labels = layer_labels(p.layers);
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const auto& l = p.layers[i];
    layers.push_back({{"layer", labels[i]},
                      {"forward_s", l.forward_s},
                      {"backward_s", l.backward_s},
                      {"quantize_s", l.quantize_s},
                      {"straight_through_s", l.straight_through_s},
                      {"fused_into_previous", l.fused}});
  }
  return {{"steps", p.steps},         {"images", p.images},           {"data_s", p.data_s},
          {"zero_grad_s", p.zero_grad_s}, {"forward_s", p.forward_s}, {"loss_s", p.loss_s},
          {"backward_s", p.backward_s}, {"optimizer_s", p.optimizer_s}, {"hook_s", p.hook_s},
          {"evaluate_s", p.evaluate_s}, {"wall_s", p.wall_s},         {"layers", layers}};
}

std::string profile_table(const tr::StepProfile& p) {
  const double steps = double(std::max(1L, p.steps));
  const double step_s = p.data_s + p.zero_grad_s + p.forward_s + p.loss_s + p.backward_s + p.optimizer_s + p.hook_s;
  const auto ms = [&](double s) { return 1e3 * s / steps; };
  const auto share = [&](double s) { return step_s > 0 ? 100 * s / step_s : 0.0; };
  std::string t = fmt::format(
      "where the time went: {} steps, {} images, {:.2f} s in steps ({:.0f} images/s), {:.2f} s in test evaluation\n"
      "  {:<22} {:>9} {:>7}\n",
      p.steps, p.images, step_s, step_s > 0 ? double(p.images) / step_s : 0.0, p.evaluate_s, "phase", "ms/step",
      "share");
  const std::pair<const char*, double> phases[] = {
      {"data + augmentation", p.data_s}, {"zero_grad", p.zero_grad_s}, {"forward", p.forward_s},
      {"loss", p.loss_s},               {"backward", p.backward_s},   {"optimizer", p.optimizer_s},
      {"step hook", p.hook_s}};
  for (const auto& [name, s] : phases) t += fmt::format("  {:<22} {:9.2f} {:6.1f}%\n", name, ms(s), share(s));
  t += fmt::format("  {:<12} {:>12} {:>10} {:>12} {:>10} {:>7}\n", "layer", "forward ms", "quantizer", "backward ms",
                   "STE", "share");
  const auto labels = layer_labels(p.layers);
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const auto& l = p.layers[i];
    if (l.fused) {
      t += fmt::format("  {:<12} {:>12}\n", labels[i], fmt::format("(one pass with {})", labels[i - 1]));
      continue;
    }
    t += fmt::format("  {:<12} {:12.2f} {:10.2f} {:12.2f} {:10.2f} {:6.1f}%\n", labels[i], ms(l.forward_s),
                     ms(l.quantize_s), ms(l.backward_s), ms(l.straight_through_s), share(l.forward_s + l.backward_s));
  }
  return t;
}

int run_train(const TrainOptions& o) {
  const auto id = data::parse_dataset_id(o.dataset);
  if (!id) throw InputError("--dataset: unknown data set '" + o.dataset + "' (expected one of " + data::dataset_names_joined() + ")");
  const auto net = sweeps::load_network(o.net);
  auto q = sweeps::parse_method(o.method, o.lambda);
  // The LightNN paper's own setting: ±2^−n, n = 0…7 — exp_base 0 and no zero code (DESIGN.md §4).
  if (o.exp_base != "auto" && o.exp_base != "0") {
    throw InputError("--exp-base: unknown value '" + o.exp_base + "' (expected auto or 0)");
  }
  q.auto_base = o.exp_base == "auto";
  q.zero_code = !o.no_zero_code;
  if (o.allow_k0 && q.method != tr::Method::flightnn) throw InputError("--allow-k0: only with --method flightnn");
  q.allow_k0 = o.allow_k0;
  if (o.rounding != "nearest" && o.rounding != "kones-stochastic") {
    throw InputError("--rounding: unknown rounding '" + o.rounding + "' (expected nearest or kones-stochastic)");
  }
  if (o.rounding == "kones-stochastic" && q.method != tr::Method::lightnn) {
    throw InputError("--rounding kones-stochastic: only with --method lightnn1 or lightnn2");
  }
  q.kones_stochastic = o.rounding == "kones-stochastic";
  q.e_bits = o.e_bits;
  q.a_bits = o.a_bits;
  auto cfg = sweeps::profile_config(o.profile, *id);
  if (o.epochs) cfg.epochs = o.epochs;
  if (o.batch) cfg.batch = o.batch;
  if (o.lr > 0) cfg.lr = o.lr;
  if (o.max_train) cfg.max_train = o.max_train;
  if (o.max_test) cfg.max_test = o.max_test;
  cfg.optimizer = o.optimizer == "adam" ? tr::Optimizer::adam : tr::Optimizer::sgd;  // CLI11 allows only these two
  if (o.threshold_travel > 0) cfg.threshold_travel = o.threshold_travel;
  cfg.seed = o.seed;
  ThreadLimit limit(o.threads);
  const auto d = data::load_dataset(*id, data::resolve_data_root(o.data_dir));
  sweeps::TrainRequest req{o.dataset, net, q, cfg, o.profile, o.init, o.out, {}};
  req.aim.cost = sweeps::parse_cost(o.cost);
  req.aim.target_fps = o.target_fps;
  req.aim.target_energy_uj = o.target_energy;
  req.aim.energy_table = o.energy_table;
  req.aim.device = o.device;
  req.aim.lut_cap = o.lut_cap;
  req.aim.eta = o.eta;
  req.aim.every = o.budget_every;
  req.aim.tolerance = o.tolerance;
  req.aim.project_at = o.project_at;
  if (req.aim.active() && q.method != tr::Method::flightnn) {
    throw InputError("--cost/--target-fps/--target-energy: only with --method flightnn (found " + o.method + ")");
  }
  req.precision = tr::parse_precision(o.precision);  // CLI11 allows only fp32 and bf16
  tr::StepProfile prof;
  if (o.profile_layers) req.cfg.profile = &prof;
  Progress bar("train " + net.name + " " + o.method);
  sweeps::TrainCallbacks cb;
  cb.progress = [&](const tr::Progress& p) {
    char detail[128];
    std::snprintf(detail, sizeof detail, "epoch %d/%d loss %.3f acc %.3f %.0f img/s", p.epoch, p.epochs, p.loss, p.acc,
                  p.images_per_s);
    // Whole-run progress, so that the ETA covers every remaining epoch.
    bar.update(long((p.epoch - 1) * p.total + p.done), long(p.epochs * p.total), detail);
  };
  cb.epoch = [&](const tr::EpochStats& e) {
    if (o.json) return;
    std::printf("epoch %d: train loss %.4f, train acc %.4f, test acc %.4f, %.0f images/s, %.1f s\n", e.epoch,
                e.train_loss, e.train_acc, e.test_acc, e.images_per_s, e.seconds);
    std::fflush(stdout);
  };
  cb.note = [](const std::string& s) { std::fprintf(stderr, "flight train: %s\n", s.c_str()); };
  if (o.stop_after > 0) {
    // Testing: a simulated kill right after a checkpoint is on disk (nothing after it runs: no destructors, no
    // model file).
    cb.checkpointed = [stop = o.stop_after](int epochs_done) {
      if (epochs_done == stop) std::_Exit(3);
    };
  }
  auto out = sweeps::train_model(req, d, cb);
  if (o.profile_layers) out["profile"] = profile_json(prof);
  if (o.json) {
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    if (o.profile_layers) std::fputs(profile_table(prof).c_str(), stdout);
    std::printf("test accuracy %.4f, %.0f training images/s, %.1f s; k=2 filters %.1f %%, %.3f shifts per weight\n",
                out.at("test_accuracy").as_double(), out.at("images_per_s").as_double(),
                out.at("wall_seconds").as_double(), 100 * out.at("fraction_k2").as_double(),
                out.at("mean_shifts_per_weight").as_double());
    if (const auto* b = out.if_contains("budget"); b && b->is_object()) {
      const auto& bo = b->as_object();
      const bool energy = bo.contains("target_energy_uj");
      if (energy || bo.contains("target_fps")) {
        const std::string what =
            energy ? fmt::format("budget ({}, {} cost): target {:.4g} µJ/image of ASIC computational energy, achieved "
                                 "{:.4g}",
                                 bo.at("energy_table").as_string().c_str(), bo.at("cost").as_string().c_str(),
                                 bo.at("target_energy_uj").as_double(), bo.at("achieved_energy_uj").as_double())
                   : fmt::format("budget on {} ({} cost): target {:.0f} images/s, achieved {:.0f}",
                                 bo.at("device").as_string().c_str(), bo.at("cost").as_string().c_str(),
                                 bo.at("target_fps").as_double(), bo.at("achieved_fps").as_double());
        std::printf("%s (%+.1f %%, %s within ±%.0f %%), final λ %.4g%s\n", what.c_str(), 100 * bo.at("miss").as_double(),
                    bo.at("met").as_bool() ? "met," : "missed, not", 100 * bo.at("tolerance").as_double(),
                    bo.at("lambda_final").as_double(),
                    energy ? fmt::format("; FPGA {} {:.0f} images/s", bo.at("device").as_string().c_str(),
                                         bo.at("achieved_fps").as_double()).c_str()
                           : "");
      }
    }
    if (const auto* b = out.if_contains("budget"); b && b->is_object()) {
      if (const auto g = sweeps::projection_gap(b->as_object())) {
        std::printf("the target lies in a gap of what the k mixes reach: the projection's mixes reach %s\n",
                    g->c_str());
      }
    }
  }
  return 0;
}

}  // namespace

void register_train_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<TrainOptions>();
  auto* t = app.add_subcommand("train", "Train a network with a quantization method (FP32, Fixed-n, LightNN-k, FLightNN)");
  t->add_option("--dataset", o->dataset, "mnist, fashion-mnist, cifar10, cifar100 or svhn")->required();
  t->add_option("--net", o->net, "Network name or .toml file")->required();
  t->add_option("--method", o->method, "fp32, fixed2 … fixed8, lightnn1, lightnn2 or flightnn")->capture_default_str();
  t->add_option("--lambda", o->lambda, "FLightNN regularizer weight")->check(CLI::NonNegativeNumber);
  t->add_option("--profile", o->profile, "smoke, quick, reference or paper")->capture_default_str();
  t->add_option("--epochs", o->epochs, "Epochs (default: the profile's)")->check(CLI::PositiveNumber);
  t->add_option("--batch", o->batch, "Batch size (default: the profile's)")->check(CLI::PositiveNumber);
  t->add_option("--lr", o->lr, "Learning rate (default: the profile's)")->check(CLI::PositiveNumber);
  t->add_option("--threshold-travel", o->threshold_travel,
                "FLightNN, expert: how far a threshold can move over the run, in units of its layer's mean residual "
                "norm (default 8; docs/flightnn.md)")
      ->check(CLI::PositiveNumber);
  t->add_option("--precision", o->precision,
                "Convolution arithmetic: fp32, or bf16 (inputs rounded to bfloat16, fp32 accumulation; oneDNN's native "
                "kernels on CPUs with AVX512_BF16, else fp32 runs and says so)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  t->add_option("--optimizer", o->optimizer, "sgd or adam")->check(CLI::IsMember({"sgd", "adam"}))->capture_default_str();
  t->add_option("--max-train", o->max_train, "Use only the first N training images");
  t->add_option("--max-test", o->max_test, "Evaluate on the first N test images");
  t->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  t->add_option("--threads", o->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  t->add_option("--data-dir", o->data_dir, "Data root (default: $FLIGHT_DATA, else ./data)");
  t->add_option("--out", o->out, "Model file to write (format: docs/model-format.md)");
  t->add_option("--init", o->init, "Model file to start from (fine-tuning, e.g. the FP32 model of the same network)");
  t->add_flag("--json", o->json, "Print one JSON object as the last line of stdout");
  t->add_option("--exp-base", o->exp_base, "Power-of-two window base: auto (per layer) or 0 (the LightNN paper's ±2^-n)")
      ->capture_default_str();
  t->add_option("--rounding", o->rounding,
                 "LightNN rounding: nearest, or kones-stochastic (the LightNN paper's k-ones + stochastic rounding "
                 "in training, nearest in evaluation and export)")
      ->capture_default_str();
  t->add_flag("--allow-k0", o->allow_k0, "FLightNN: an outer indicator on each filter's norm may prune it (k = 0)");
  t->add_flag("--no-zero-code", o->no_zero_code, "No code for the value 0 (the LightNN paper's 4-bit code)");
  t->add_option("--e-bits", o->e_bits, "Exponent bits of a power-of-two term")->check(CLI::Range(2, 4))->capture_default_str();
  t->add_option("--a-bits", o->a_bits, "Activation bits of quantized methods")->check(CLI::Range(2, 16))->capture_default_str();
  t->add_option("--cost", o->cost,
                "FLightNN: what the regularizer counts per filter: macs (DESIGN.md §4), cycles on --device, or "
                "cycles+storage (also the weight bits while the weights do not fit on chip); docs/flightnn.md")
      ->check(CLI::IsMember({"macs", "cycles", "cycles+storage"}))
      ->capture_default_str();
  t->add_option("--target-fps", o->target_fps,
                "FLightNN: train to this FPGA throughput (images/s on --device): λ by dual ascent, starting at --lambda")
      ->check(CLI::PositiveNumber);
  t->add_option("--target-energy", o->target_energy,
                "FLightNN: train to this ASIC computational energy per image (µJ, --energy-table) instead: λ by dual "
                "ascent")
      ->check(CLI::PositiveNumber)
      ->excludes("--target-fps");
  t->add_option("--energy-table", o->energy_table, "ASIC energy table of --target-energy")->capture_default_str();
  t->add_option("--device", o->device, "FPGA device of --cost and --target-fps")->capture_default_str();
  t->add_option("--lut-cap", o->lut_cap, "Fraction of the device's LUTs a design may use")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  t->add_option("--eta", o->eta, "Dual-ascent step: λ += eta · (target / achieved − 1) per update")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  t->add_option("--budget-every", o->budget_every, "Steps between budget updates (default: about 25 per run)")
      ->check(CLI::PositiveNumber);
  t->add_option("--tolerance", o->tolerance, "Relative miss of --target-fps still counted as met")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  t->add_option("--project-at", o->project_at,
                "With --target-fps or --target-energy: after this fraction of the run's steps the k mix is projected onto the target once "
                "and the remaining steps train under it (1: project only after training)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  t->add_flag("--profile-layers", o->profile_layers,
              "Time every phase of a training step and every layer's forward and backward (the weight quantizer "
              "apart); printed as a table, or as \"profile\" with --json");
  t->add_option("--stop-after", o->stop_after, "Testing: end abruptly after N epochs, as a kill would")
      ->group("");  // hidden
  t->callback([o, &chosen] { chosen = [o] { return run_train(*o); }; });
}

}  // namespace flight::cli
