#include "flight/sweeps/train_run.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>

#include "flight/core/error.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/core/parallel.hpp"

namespace flight::sweeps {
namespace tr = flight::trainer;

tr::QuantConfig parse_method(const std::string& m, double lambda, const std::string& field) {
  tr::QuantConfig q;
  if (m == "fp32") q.method = tr::Method::fp32;
  else if (m.size() == 6 && m.rfind("fixed", 0) == 0 && m[5] >= '2' && m[5] <= '8')
    q.method = tr::Method::fixed, q.fixed_bits = m[5] - '0';
  else if (m == "lightnn1" || m == "lightnn2") q.method = tr::Method::lightnn, q.k = m == "lightnn1" ? 1 : 2;
  else if (m == "flightnn") q.method = tr::Method::flightnn, q.lambda = lambda;
  else
    throw InputError(field + ": unknown method '" + m +
                     "' (expected fp32, fixedN with N = 2..8, lightnn1, lightnn2 or flightnn)");
  return q;
}

void set_augmentation(tr::TrainConfig& c, data::DatasetId id) {
  c.augment = data::dataset_facts(id).crop_augment;
  c.flip = data::dataset_facts(id).flip_augment;
}

tr::TrainConfig profile_config(const std::string& p, data::DatasetId id) {
  tr::TrainConfig c;
  const bool small = data::dataset_facts(id).shape.channels == 1;  // the 28×28 digit and clothing sets
  if (p == "smoke") {
    c.epochs = 1, c.max_train = 2000, c.max_test = 1000, c.batch = 64, c.lr = 0.05;
  } else if (p == "quick") {
    c.epochs = small ? 3 : 10, c.batch = 64, c.lr = 0.05;
  } else if (p == "reference") {
    c.epochs = 15, c.batch = 64, c.lr = 0.05;
  } else if (p == "paper") {
    c.epochs = small ? 20 : 100, c.batch = 128, c.lr = 0.1;
  } else {
    throw InputError("--profile: unknown profile '" + p + "' (expected smoke, quick, reference or paper)");
  }
  set_augmentation(c, id);
  return c;
}

boost::json::object epoch_json(const tr::EpochStats& e) {
  boost::json::object o{{"epoch", e.epoch},       {"train_loss", e.train_loss},     {"train_acc", e.train_acc},
                        {"test_acc", e.test_acc}, {"images_per_s", e.images_per_s}, {"seconds", e.seconds}};
  if (e.fraction_k2 >= 0) o["fraction_k2"] = e.fraction_k2;
  return o;
}

namespace {

// Copies weights, biases and batch-norm statistics of `from` into `to` (same network).
void copy_parameters(tr::Model& to_model, tr::Model& from_model) {
  auto to = to_model.layers();
  auto from = from_model.layers();
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

}  // namespace

boost::json::object train_model(const TrainRequest& r, const data::Dataset& d, const TrainCallbacks& cb) {
  const auto& net = r.net;
  const auto& q = r.quant;
  const auto& cfg = r.cfg;
  auto model_ptr = std::make_unique<tr::Model>(net, d.shape, d.num_classes, q, cfg.seed);
  if (!r.init.empty()) {  // fine-tune: start from another model's weights and batch-norm statistics
    auto src = load_model(r.init);
    if (src.meta.network.name != net.name || src.meta.dataset != r.dataset) {
      throw InputError(describe_input_problem(r.init, "--init model does not match", net.name + " on " + r.dataset,
                                              src.meta.network.name + " on " + src.meta.dataset));
    }
    copy_parameters(*model_ptr, *src.model);
  }
  ModelMeta meta;
  meta.dataset = r.dataset;
  meta.network = net;
  meta.input = d.shape;
  meta.classes = d.num_classes;
  meta.quant = q;
  meta.seed = cfg.seed;
  boost::json::object run_key{{"dataset", r.dataset}, {"net", net.name},      {"method", tr::method_name(q)},
                                    {"lambda", q.lambda},   {"epochs", cfg.epochs}, {"batch", cfg.batch},
                                    {"lr", cfg.lr},         {"seed", cfg.seed},     {"init", r.init},
                                    {"max_train", cfg.max_train.value_or(0)}, {"optimizer", tr::optimizer_name(cfg.optimizer)},
                                    {"threshold_travel", cfg.threshold_travel}, {"allow_k0", q.allow_k0},
                                    {"kones_stochastic", q.kones_stochastic}};
  if (r.precision != tr::Precision::fp32) run_key["precision"] = tr::precision_name(r.precision);  // as below
  if (r.aim.active()) {  // only then, so that the keys of every other run stay as they were
    run_key["cost"] = cost_name(r.aim.cost);
    run_key["device"] = r.aim.device;
    if (r.aim.target_fps) run_key["target_fps"] = *r.aim.target_fps;
    if (r.aim.target_energy_uj) {
      run_key["target_energy_uj"] = *r.aim.target_energy_uj, run_key["energy_table"] = r.aim.energy_table;
    }
    if (r.aim.target()) run_key["eta"] = r.aim.eta, run_key["project_at"] = r.aim.project_at;
  }
  // Resume: a checkpoint of the same run (same key) continues where it stopped; another run's is an error.
  tr::TrainState state;
  boost::json::object aim_state;  // a resumed budget run's controller state
  const std::string ckpt = r.out.empty() ? "" : r.out + ".ckpt";
  if (!ckpt.empty() && std::filesystem::exists(ckpt)) {
    auto loaded = load_model(ckpt);
    if (!loaded.checkpoint) {
      throw InputError(describe_input_problem(ckpt, "key 'checkpoint'", "a checkpoint object", "nothing"));
    }
    if (loaded.checkpoint->run != run_key) {
      throw InputError(describe_input_problem(ckpt, "checkpoint of a different run", boost::json::serialize(run_key),
                                              boost::json::serialize(loaded.checkpoint->run)));
    }
    model_ptr = std::move(loaded.model);
    state = std::move(loaded.checkpoint->state);
    aim_state = std::move(loaded.checkpoint->aim);
    if (cb.note) {
      cb.note("resuming " + ckpt + " after epoch " + std::to_string(state.epochs_done) + " of " +
              std::to_string(cfg.epochs));
    }
  }
  tr::Model& model = *model_ptr;
  // Which arithmetic ran, said whenever bf16 was asked for (it may have fallen back to fp32).
  const std::string precision_line = model.set_precision(r.precision);
  if (cb.note && r.precision != tr::Precision::fp32) cb.note(precision_line);
  // A hardware aim (FLightNN): the regularizer's per-layer weights from the device, λ toward a throughput target.
  std::optional<AimController> aim;
  tr::TrainConfig run_cfg = cfg;
  if (r.aim.active()) {
    aim.emplace(r.aim, meta);
    aim->start(model);
    if (!aim_state.empty()) aim->restore(aim_state, model, ckpt);
    const std::size_t n = std::min(cfg.max_train.value_or(d.train.count), d.train.count);
    const long steps = long((n + std::size_t(cfg.batch) - 1) / std::size_t(cfg.batch)) * cfg.epochs;
    run_cfg.hook_every = r.aim.every > 0 ? r.aim.every : std::max(1L, steps / 25);
    aim->set_total_steps(steps);
    run_cfg.step_hook = [&](tr::Model& m, long step) { aim->on_step(m, step); };
  }
  auto result = tr::train(
      model, d, run_cfg, [&](const tr::Progress& p) { if (cb.progress) cb.progress(p); },
      [&](const tr::EpochStats& e, const tr::TrainState& st) {
        if (cb.epoch) cb.epoch(e);
        if (ckpt.empty() || st.epochs_done == cfg.epochs) return;
        const Checkpoint c{run_key, st, aim ? aim->state() : boost::json::object{}};
        save_model(ckpt, model, meta, &c);  // written aside and renamed: a kill leaves the previous one intact
        if (cb.checkpointed) cb.checkpointed(st.epochs_done);
      },
      state);
  boost::json::object projected;
  if (aim && aim->project(model)) {  // thresholds moved to meet the target: the accuracy is measured again
    projected = {{"test_accuracy_before", result.test_acc}};
    result.test_acc = tr::evaluate_accuracy(model, d.test, cfg.max_test, 256);
  }
  const auto ks = tr::k_summary(model, net, d.shape, d.num_classes);
  boost::json::array hist;
  for (const auto& h : ks.per_layer) hist.push_back({h[0], h[1], h[2]});
  boost::json::array curve;
  for (const auto& e : result.epochs) curve.push_back(epoch_json(e));
  boost::json::object out{{"dataset", r.dataset},
                          {"net", net.name},
                          {"method", tr::method_name(q)},
                          {"lambda", q.lambda},
                          {"epochs", cfg.epochs},
                          {"batch", cfg.batch},
                          {"threads", ThreadLimit::current()},
                          {"precision", model.precision_ran()},
                          {"test_accuracy", result.test_acc},
                          {"train_accuracy", result.train_acc},
                          {"k_histogram_per_layer", hist},
                          {"fraction_k2", ks.fraction_k2},
                          {"mean_shifts_per_weight", ks.mean_terms_per_weight},
                          {"images_per_s", result.images_per_s},
                          {"wall_seconds", result.wall_seconds},
                          {"epochs_curve", curve}};
  if (aim) {
    out["budget"] = aim->finish(model);
    if (!projected.empty()) out["budget"].as_object()["projection"].as_object()["test_accuracy_before"] =
        projected["test_accuracy_before"];
  }
  if (!r.out.empty()) {
    meta.training = out;
    meta.training["init"] = r.init;
    meta.training["lr"] = cfg.lr;
    meta.training["optimizer"] = tr::optimizer_name(cfg.optimizer);
    meta.training["threshold_travel"] = cfg.threshold_travel;
    meta.training["precision_asked"] = tr::precision_name(r.precision);
    meta.training["profile"] = r.profile;
    save_model(r.out, model, meta);  // written aside and renamed: a model file that exists is always whole
    if (!ckpt.empty()) std::filesystem::remove(ckpt);
    out["model"] = r.out;
  }
  return out;
}

}  // namespace flight::sweeps
