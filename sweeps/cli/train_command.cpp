// flight train — quantization-aware training of a network on a data set (first version: no model file yet).
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/model_file.hpp"
#include "flight/trainer/parallel.hpp"
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
  double lr = 0;
  unsigned seed = 1;
  std::size_t max_train = 0, max_test = 0;
  int stop_after = 0;
  std::string exp_base = "auto";
  bool no_zero_code = false;
  int e_bits = 3, a_bits = 8;  // testing: end the process abruptly after this many epochs, as a kill would
  bool json = false;
};

tr::QuantConfig parse_method(const std::string& m, double lambda) {
  tr::QuantConfig q;
  if (m == "fp32") q.method = tr::Method::fp32;
  else if (m.size() == 6 && m.rfind("fixed", 0) == 0 && m[5] >= '2' && m[5] <= '8')
    q.method = tr::Method::fixed, q.fixed_bits = m[5] - '0';
  else if (m == "lightnn1" || m == "lightnn2") q.method = tr::Method::lightnn, q.k = m == "lightnn1" ? 1 : 2;
  else if (m == "flightnn") q.method = tr::Method::flightnn, q.lambda = lambda;
  else throw InputError("--method: unknown method '" + m + "' (expected fp32, fixedN with N = 2..8, lightnn1, lightnn2 or flightnn)");
  return q;
}

// Profiles: smoke (seconds, for tests), quick (minutes), paper (full data and epochs).
tr::TrainConfig profile_config(const std::string& p, data::DatasetId id) {
  tr::TrainConfig c;
  const bool small = id == data::DatasetId::mnist || id == data::DatasetId::fashion_mnist;
  if (p == "smoke") {
    c.epochs = 1, c.max_train = 2000, c.max_test = 1000, c.batch = 64, c.lr = 0.05;
  } else if (p == "quick") {
    c.epochs = small ? 3 : 10, c.batch = 64, c.lr = 0.05;
  } else if (p == "paper") {
    c.epochs = small ? 20 : 100, c.batch = 128, c.lr = 0.1;
  } else {
    throw InputError("--profile: unknown profile '" + p + "' (expected smoke, quick or paper)");
  }
  c.augment = !small;
  c.flip = id == data::DatasetId::cifar10 || id == data::DatasetId::cifar100;
  return c;
}

boost::json::object epoch_json(const tr::EpochStats& e) {
  return {{"epoch", e.epoch},       {"train_loss", e.train_loss},     {"train_acc", e.train_acc},
          {"test_acc", e.test_acc}, {"images_per_s", e.images_per_s}, {"seconds", e.seconds}};
}

int run_train(const TrainOptions& o) {
  const auto id = data::parse_dataset_id(o.dataset);
  if (!id) throw InputError("--dataset: unknown data set '" + o.dataset + "' (expected one of " + data::dataset_names_joined() + ")");
  const auto net = sweeps::load_network(o.net);
  auto q = parse_method(o.method, o.lambda);
  // The LightNN paper's own setting: ±2^−n, n = 0…7 — exp_base 0 and no zero code (DESIGN.md §4).
  if (o.exp_base != "auto" && o.exp_base != "0") {
    throw InputError("--exp-base: unknown value '" + o.exp_base + "' (expected auto or 0)");
  }
  q.auto_base = o.exp_base == "auto";
  q.zero_code = !o.no_zero_code;
  q.e_bits = o.e_bits;
  q.a_bits = o.a_bits;
  auto cfg = profile_config(o.profile, *id);
  if (o.epochs) cfg.epochs = o.epochs;
  if (o.batch) cfg.batch = o.batch;
  if (o.lr > 0) cfg.lr = o.lr;
  if (o.max_train) cfg.max_train = o.max_train;
  if (o.max_test) cfg.max_test = o.max_test;
  cfg.optimizer = o.optimizer;
  cfg.seed = o.seed;
  tr::ThreadLimit limit(o.threads);
  const auto d = data::load_dataset(*id, data::resolve_data_root(o.data_dir));
  auto model_ptr = std::make_unique<tr::Model>(net, d.shape, d.num_classes, q, o.seed);
  tr::Model& fresh = *model_ptr;
  if (!o.init.empty()) {  // fine-tune: start from another model's weights and batch-norm statistics
    auto src = tr::load_model(o.init);
    if (src.meta.network.name != net.name || src.meta.dataset != o.dataset) {
      throw InputError(describe_input_problem(o.init, "--init model does not match", net.name + " on " + o.dataset,
                                              src.meta.network.name + " on " + src.meta.dataset));
    }
    auto to = fresh.layers();
    auto from = src.model->layers();
    for (std::size_t i = 0; i < to.size(); ++i) {
      if (auto* wl = dynamic_cast<tr::WeightLayer*>(to[i])) {
        auto* s = dynamic_cast<tr::WeightLayer*>(from[i]);
        wl->weights() = s->weights();
        wl->bias() = s->bias();
      } else if (auto* bn = dynamic_cast<tr::BatchNorm*>(to[i])) {
        auto* s = dynamic_cast<tr::BatchNorm*>(from[i]);
        bn->gamma() = s->gamma(), bn->beta() = s->beta();
        bn->running_mean() = s->running_mean(), bn->running_var() = s->running_var();
      }
    }
  }
  tr::ModelMeta meta;
  meta.dataset = o.dataset;
  meta.network = net;
  meta.input = d.shape;
  meta.classes = d.num_classes;
  meta.quant = q;
  meta.seed = o.seed;
  const boost::json::object run_key{{"dataset", o.dataset}, {"net", net.name}, {"method", tr::method_name(q)},
                                    {"lambda", q.lambda},   {"epochs", cfg.epochs}, {"batch", cfg.batch},
                                    {"lr", cfg.lr},         {"seed", o.seed},       {"init", o.init},
                                    {"max_train", cfg.max_train}, {"optimizer", cfg.optimizer}};
  // Resume: a checkpoint of the same run (same key) continues where it stopped; another run's is an error.
  tr::TrainState state;
  const std::string ckpt = o.out.empty() ? "" : o.out + ".ckpt";
  if (!ckpt.empty() && std::filesystem::exists(ckpt)) {
    auto loaded = tr::load_model(ckpt);
    const auto it = loaded.meta.training.find("checkpoint");
    if (it == loaded.meta.training.end() || !it->value().is_object()) {
      throw InputError(describe_input_problem(ckpt, "key 'training.checkpoint'", "a checkpoint object", "nothing"));
    }
    const auto& c = it->value().as_object();
    if (c.at("run") != boost::json::value(run_key)) {
      throw InputError(describe_input_problem(ckpt, "checkpoint of a different run",
                                              boost::json::serialize(run_key), boost::json::serialize(c.at("run"))));
    }
    model_ptr = std::move(loaded.model);
    state.epochs_done = int(c.at("epochs_done").as_int64());
    state.step = long(c.at("step").as_int64());
    state.rng = std::string(c.at("rng").as_string());
    for (const char* which : {"m", "v"}) {
      auto& dst = std::string(which) == "m" ? state.m : state.v;
      for (const auto& arr : c.at(which).as_array()) {
        std::vector<float> v;
        for (const auto& x : arr.as_array()) v.push_back(float(x.to_number<double>()));
        dst.push_back(std::move(v));
      }
    }
    for (const auto& h : c.at("history").as_array()) {
      const auto& e = h.as_object();
      state.history.push_back({int(e.at("epoch").as_int64()), e.at("train_loss").to_number<double>(),
                               e.at("train_acc").to_number<double>(), e.at("test_acc").to_number<double>(),
                               e.at("images_per_s").to_number<double>(), e.at("seconds").to_number<double>()});
    }
    std::fprintf(stderr, "flight train: resuming %s after epoch %d of %d\n", ckpt.c_str(), state.epochs_done, cfg.epochs);
  }
  tr::Model& model = *model_ptr;
  Progress bar("train " + net.name + " " + o.method);
  const auto result = tr::train(
      model, d, cfg,
      [&](const tr::Progress& p) {
        char detail[128];
        std::snprintf(detail, sizeof detail, "epoch %d/%d loss %.3f acc %.3f %.0f img/s", p.epoch, p.epochs, p.loss,
                      p.acc, p.images_per_s);
        // Whole-run progress, so that the ETA covers every remaining epoch.
        bar.update(long((p.epoch - 1) * p.total + p.done), long(p.epochs * p.total), detail);
      },
      [&](const tr::EpochStats& e, const tr::TrainState& st) {
        if (!o.json) {
          std::printf("epoch %d: train loss %.4f, train acc %.4f, test acc %.4f, %.0f images/s, %.1f s\n", e.epoch,
                      e.train_loss, e.train_acc, e.test_acc, e.images_per_s, e.seconds);
          std::fflush(stdout);
        }
        if (ckpt.empty() || st.epochs_done == cfg.epochs) return;
        boost::json::array m_arr, v_arr, hist;
        for (const auto& v : st.m) m_arr.push_back(boost::json::array(v.begin(), v.end()));
        for (const auto& v : st.v) v_arr.push_back(boost::json::array(v.begin(), v.end()));
        for (const auto& h : st.history) hist.push_back(epoch_json(h));
        tr::ModelMeta cm = meta;
        cm.training["checkpoint"] = {{"run", run_key}, {"epochs_done", st.epochs_done}, {"step", st.step},
                                     {"rng", st.rng}, {"m", m_arr}, {"v", v_arr}, {"history", hist}};
        tr::save_model(ckpt, model, cm);
        if (o.stop_after == st.epochs_done) std::_Exit(3);  // simulated kill: nothing after the checkpoint runs
      },
      state);
  const auto ks = tr::k_summary(model, net, d.shape, d.num_classes);
  boost::json::array hist;
  for (const auto& h : ks.per_layer) hist.push_back({h[0], h[1], h[2]});
  boost::json::array curve;
  for (const auto& e : result.epochs) curve.push_back(epoch_json(e));
  boost::json::object out{{"dataset", o.dataset},
                          {"net", net.name},
                          {"method", tr::method_name(q)},
                          {"lambda", q.lambda},
                          {"epochs", cfg.epochs},
                          {"batch", cfg.batch},
                          {"threads", tr::ThreadLimit::current()},
                          {"test_accuracy", result.test_acc},
                          {"train_accuracy", result.train_acc},
                          {"k_histogram_per_layer", hist},
                          {"fraction_k2", ks.fraction_k2},
                          {"mean_shifts_per_weight", ks.mean_terms_per_weight},
                          {"images_per_s", result.images_per_s},
                          {"wall_seconds", result.wall_seconds},
                          {"epochs_curve", curve}};
  if (!o.out.empty()) {
    meta.training = out;
    meta.training["init"] = o.init;
    meta.training["lr"] = cfg.lr;
    meta.training["optimizer"] = cfg.optimizer;
    meta.training["profile"] = o.profile;
    tr::save_model(o.out, model, meta);
    if (!ckpt.empty()) std::filesystem::remove(ckpt);
    out["model"] = o.out;
  }
  if (o.json) {
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::printf("test accuracy %.4f, %.0f training images/s, %.1f s; k=2 filters %.1f %%, %.3f shifts per weight\n",
                result.test_acc, result.images_per_s, result.wall_seconds, 100 * ks.fraction_k2,
                ks.mean_terms_per_weight);
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
  t->add_option("--profile", o->profile, "smoke, quick or paper")->capture_default_str();
  t->add_option("--epochs", o->epochs, "Epochs (default: the profile's)")->check(CLI::PositiveNumber);
  t->add_option("--batch", o->batch, "Batch size (default: the profile's)")->check(CLI::PositiveNumber);
  t->add_option("--lr", o->lr, "Learning rate (default: the profile's)")->check(CLI::PositiveNumber);
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
  t->add_flag("--no-zero-code", o->no_zero_code, "No code for the value 0 (the LightNN paper's 4-bit code)");
  t->add_option("--e-bits", o->e_bits, "Exponent bits of a power-of-two term")->check(CLI::Range(2, 4))->capture_default_str();
  t->add_option("--a-bits", o->a_bits, "Activation bits of quantized methods")->check(CLI::Range(2, 16))->capture_default_str();
  t->add_option("--stop-after", o->stop_after, "Testing: end abruptly after N epochs, as a kill would")
      ->group("");  // hidden
  t->callback([o, &chosen] { chosen = [o] { return run_train(*o); }; });
}

}  // namespace flight::cli
