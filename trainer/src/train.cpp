#include "flight/trainer/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/core/parallel.hpp"
#include "flight/trainer/kernels.hpp"

namespace flight::trainer {

Tensor to_tensor(const data::Split& s, const std::vector<std::size_t>& order, std::size_t begin, std::size_t n) {
  Tensor t(int(n), int(s.shape.channels), int(s.shape.height), int(s.shape.width));
  const std::size_t px = s.shape.pixels();
  for (std::size_t i = 0; i < n; ++i) {
    const auto img = s.image(order[begin + i]);
    float* out = t.data() + i * px;
    for (std::size_t j = 0; j < px; ++j) out[j] = img[j] * (1.0f / 255.0f);
  }
  return t;
}

namespace {

// Random crop with 4-pixel zero padding and optional horizontal flip, in place, per image.
void augment(Tensor& t, std::mt19937& rng, bool flip) {
  const int c = t.c(), h = t.h(), w = t.w();
  std::uniform_int_distribution<int> shift(-4, 4);
  std::bernoulli_distribution coin(0.5);
  std::vector<float> tmp(std::size_t(c) * h * w);
  for (int n = 0; n < t.n(); ++n) {
    float* img = t.data() + n * t.per_sample();
    const int dy = shift(rng), dx = shift(rng);
    const bool f = flip && coin(rng);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const int sy = y + dy, sx0 = x + dx, sx = f ? w - 1 - sx0 : sx0;
          tmp[(std::size_t(ch) * h + y) * w + x] =
              (sy >= 0 && sy < h && sx0 >= 0 && sx0 < w) ? img[(std::size_t(ch) * h + sy) * w + sx] : 0.0f;
        }
    std::copy(tmp.begin(), tmp.end(), img);
  }
}

std::vector<int> labels_of(const data::Split& s, const std::vector<std::size_t>& order, std::size_t b, std::size_t n) {
  std::vector<int> l(n);
  for (std::size_t i = 0; i < n; ++i) l[i] = s.labels[order[b + i]];
  return l;
}

// Elements per parallel block of an optimizer update (smaller tensors update in one block, on the calling thread).
constexpr std::size_t kOptimizerGrain = 1 << 16;

struct OptimizerState {
  TrainConfig cfg;
  std::vector<std::vector<float>>& m;
  std::vector<std::vector<float>>& v;
  long& step;
  // base_lr: the weights' learning rate at this step; threshold_step: the thresholds' step at this step, in units of
  // their layer's mean residual norm.
  void apply(std::vector<ParamRef>& params, double base_lr, double threshold_step) {
    if (m.empty()) {
      for (auto& p : params) {
        m.emplace_back(p.value->size(), 0.0f);
        const bool second_moment = cfg.optimizer == Optimizer::adam || p.threshold_unit;
        v.emplace_back(second_moment ? p.value->size() : 0, 0.0f);
      }
    }
    ++step;
    const double b1 = 0.9, b2 = 0.999, c1 = 1 - std::pow(b1, step), c2 = 1 - std::pow(b2, step);
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto& w = *params[i].value;
      auto& g = *params[i].grad;
      if (params[i].threshold_unit) {
        // FLightNN thresholds: a normalized step (Adam's m/√v) of threshold_step units.  The size of the raw
        // gradient (which carries σ' of the indicator, λ and the loss scale) sets only the direction and its
        // confidence, so a threshold moves as far in a short run as in a long one and stops where the task loss's
        // pull and the regularizer's balance (their mean gradient is 0 there).
        const double step_size = threshold_step * *params[i].threshold_unit;
        for (std::size_t j = 0; j < w.size(); ++j) {
          m[i][j] = float(b1 * m[i][j] + (1 - b1) * g[j]);
          v[i][j] = float(b2 * v[i][j] + (1 - b2) * double(g[j]) * g[j]);
          const double rms = std::sqrt(v[i][j] / c2);
          if (rms > 0) w[j] -= float(step_size * (m[i][j] / c1) / rms);
        }
        continue;
      }
      // Element by element, so blocks of a large tensor (vgg-l's fc1: 2 M weights) update in parallel with the
      // same result as one loop.
      const double wd = params[i].decay ? cfg.weight_decay : 0.0;
      float* mi = m[i].data();
      float* vi = v[i].data();
      if (cfg.optimizer == Optimizer::adam) {
        parallel_blocks(w.size(), kOptimizerGrain, [&](std::size_t b, std::size_t e) {
          for (std::size_t j = b; j < e; ++j) {
            const double gj = g[j] + wd * w[j];
            mi[j] = float(b1 * mi[j] + (1 - b1) * gj);
            vi[j] = float(b2 * vi[j] + (1 - b2) * gj * gj);
            w[j] -= float(base_lr * (mi[j] / c1) / (std::sqrt(vi[j] / c2) + 1e-8));
          }
        });
      } else {
        parallel_blocks(w.size(), kOptimizerGrain, [&](std::size_t b, std::size_t e) {
          for (std::size_t j = b; j < e; ++j) {
            mi[j] = float(cfg.momentum * mi[j] + g[j] + wd * w[j]);
            w[j] -= float(base_lr * mi[j]);
          }
        });
      }
    }
  }
};

double flightnn_fraction_k2(Model& m) {
  double k2 = 0, filters = 0;
  for (auto* wl : m.weight_layers()) {
    if (wl->quantizer().config().method != Method::flightnn) return -1;
    for (int k : wl->quantizer().filter_k()) k2 += k == 2;
    filters += wl->filters();
  }
  return filters > 0 ? k2 / filters : -1;
}

double learning_rate(const TrainConfig& c, double progress) {
  if (c.schedule == Schedule::step) return c.lr * (progress < 0.5 ? 1.0 : progress < 0.75 ? 0.1 : 0.01);
  return 0.5 * c.lr * (1 + std::cos(M_PI * progress));
}

}  // namespace

std::string optimizer_name(Optimizer o) { return o == Optimizer::adam ? "adam" : "sgd"; }
std::string schedule_name(Schedule s) { return s == Schedule::step ? "step" : "cosine"; }

double evaluate_accuracy(Model& m, const data::Split& s, std::optional<std::size_t> max_images, int batch) {
  const std::size_t n = std::min(max_images.value_or(s.count), s.count);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::size_t correct = 0;
  for (std::size_t b = 0; b < n; b += batch) {
    const std::size_t cnt = std::min<std::size_t>(batch, n - b);
    const auto& logits = m.forward(to_tensor(s, order, b, cnt), false);
    for (std::size_t i = 0; i < cnt; ++i) {
      const float* z = logits.data() + i * logits.c();
      correct += std::size_t(std::max_element(z, z + logits.c()) - z) == s.labels[order[b + i]];
    }
  }
  return n ? double(correct) / double(n) : 0.0;
}

TrainResult train(Model& m, const data::Dataset& d, const TrainConfig& cfg,
                  const std::function<void(const Progress&)>& progress,
                  const std::function<void(const EpochStats&, const TrainState&)>& on_epoch, TrainState state) {
  init_kernels();
  if (cfg.epochs < 1 || cfg.batch < 1 || !(cfg.lr > 0) || !std::isfinite(cfg.lr)) {
    throw InputError("training configuration: expected epochs ≥ 1, batch ≥ 1 and a positive learning rate, found "
                     "epochs " + std::to_string(cfg.epochs) + ", batch " + std::to_string(cfg.batch) + ", lr " +
                     std::to_string(cfg.lr));
  }
  const std::size_t n = std::min(cfg.max_train.value_or(d.train.count), d.train.count);
  std::mt19937 rng(cfg.seed);
  if (!state.rng.empty()) {
    std::istringstream in(state.rng);
    in >> rng;
  }
  std::vector<std::size_t> order(d.train.count);
  std::iota(order.begin(), order.end(), 0);
  OptimizerState opt{cfg, state.m, state.v, state.step};
  auto params = m.params();
  TrainResult result;
  result.epochs = state.history;
  const auto t_start = std::chrono::steady_clock::now();
  const std::size_t steps_per_epoch = (n + cfg.batch - 1) / cfg.batch;
  const std::size_t total_steps = steps_per_epoch * std::size_t(std::max(cfg.epochs, 0));
  const auto progress_at = [&](int e, std::size_t step) {
    return (double(e) * steps_per_epoch + step) / (double(cfg.epochs) * steps_per_epoch);
  };
  // The thresholds' step follows the learning rate's shape and adds up to threshold_travel over the run.
  double lr_sum = 0;
  for (std::size_t s = 0; s < total_steps; ++s)
    lr_sum += learning_rate(cfg, progress_at(int(s / steps_per_epoch), s % steps_per_epoch));
  // Profiling: each phase of a step adds the time since the previous lap to its sum.
  StepProfile* prof = cfg.profile;
  auto last = std::chrono::steady_clock::now();
  const auto lap = [&](double* into) {
    if (!prof) return;
    const auto now = std::chrono::steady_clock::now();
    if (into) *into += std::chrono::duration<double>(now - last).count();
    last = now;
  };
  if (prof) m.set_profiling(true);
  for (int e = state.epochs_done; e < cfg.epochs; ++e) {
    // The order is reshuffled from the identity each epoch, so a resumed run needs only the RNG state.
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const auto t0 = std::chrono::steady_clock::now();
    lap(nullptr);
    double loss_sum = 0;
    std::size_t correct = 0, seen = 0, step = 0;
    for (std::size_t b = 0; b < n; b += cfg.batch, ++step) {
      const std::size_t cnt = std::min<std::size_t>(cfg.batch, n - b);
      Tensor x = to_tensor(d.train, order, b, cnt);
      if (cfg.augment) augment(x, rng, cfg.flip);
      const auto labels = labels_of(d.train, order, b, cnt);
      lap(prof ? &prof->data_s : nullptr);
      m.zero_grad();
      m.set_step(std::uint64_t(opt.step));
      lap(prof ? &prof->zero_grad_s : nullptr);
      const auto& logits = m.forward(x, true);
      lap(prof ? &prof->forward_s : nullptr);
      Tensor grad;
      int right = 0;
      const double loss = softmax_cross_entropy(logits, labels, grad, &right);
      if (!std::isfinite(loss)) throw RunError("training diverged (loss " + std::to_string(loss) + ") in epoch " +
                                               std::to_string(e + 1) + "; lower --lr");
      lap(prof ? &prof->loss_s : nullptr);
      m.backward(grad);
      lap(prof ? &prof->backward_s : nullptr);
      const double lr = learning_rate(cfg, progress_at(e, step));
      opt.apply(params, lr, lr_sum > 0 ? cfg.threshold_travel * lr / lr_sum : 0.0);
      lap(prof ? &prof->optimizer_s : nullptr);
      if (cfg.step_hook && cfg.hook_every > 0 && opt.step % cfg.hook_every == 0) {
        m.pause_profiling(true);
        cfg.step_hook(m, opt.step);
        m.pause_profiling(false);
      }
      lap(prof ? &prof->hook_s : nullptr);
      if (prof) ++prof->steps, prof->images += cnt;
      loss_sum += loss * cnt;
      correct += right;
      seen += cnt;
      if (progress) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress({e + 1, cfg.epochs, seen, n, loss_sum / seen, double(correct) / seen, secs > 0 ? seen / secs : 0});
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.pause_profiling(true);
    lap(nullptr);
    const double test_acc = evaluate_accuracy(m, d.test, cfg.max_test, 256);
    lap(prof ? &prof->evaluate_s : nullptr);
    m.pause_profiling(false);
    EpochStats st{e + 1, loss_sum / std::max<std::size_t>(1, seen), double(correct) / std::max<std::size_t>(1, seen),
                  test_acc, seen / std::max(secs, 1e-9), secs, flightnn_fraction_k2(m)};
    result.epochs.push_back(st);
    state.epochs_done = e + 1;
    state.history = result.epochs;
    std::ostringstream rs;
    rs << rng;
    state.rng = rs.str();
    if (on_epoch) on_epoch(st, state);
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (prof) {
    prof->layers = m.layer_times();
    prof->wall_s += result.wall_seconds;
    m.set_profiling(false);
  }
  if (!result.epochs.empty()) {
    result.test_acc = result.epochs.back().test_acc;
    result.train_acc = result.epochs.back().train_acc;
  }
  double seconds_all = 0;
  for (const auto& ep : result.epochs) seconds_all += ep.seconds;
  result.images_per_s = seconds_all > 0 ? double(n) * double(result.epochs.size()) / seconds_all : 0;
  return result;
}

KSummary k_summary(Model& m, const NetworkSpec& spec, ImageShape input, int classes) {
  KSummary s;
  const auto shapes = infer_shapes(spec, input, std::size_t(classes));
  std::vector<const LayerShape*> compute;
  for (std::size_t i = 0; i < spec.layers.size(); ++i)
    if (spec.layers[i].type == LayerType::conv || spec.layers[i].type == LayerType::fc) compute.push_back(&shapes[i]);
  const auto wls = m.weight_layers();
  double terms = 0, macs = 0, k2 = 0, filters = 0;
  for (std::size_t i = 0; i < wls.size(); ++i) {
    std::array<int, 3> h{0, 0, 0};
    for (int k : wls[i]->quantizer().filter_k()) ++h[std::clamp(k, 0, 2)];
    s.per_layer.push_back(h);
    const double per_filter = double(compute[i]->macs) / double(compute[i]->filters);
    for (int k = 0; k < 3; ++k) terms += k * h[k] * per_filter;
    macs += double(compute[i]->macs);
    k2 += h[2];
    filters += wls[i]->filters();
  }
  s.fraction_k2 = filters ? k2 / filters : 0;
  s.mean_terms_per_weight = macs ? terms / macs : 0;
  return s;
}

}  // namespace flight::trainer
