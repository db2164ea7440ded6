// FLightNN (DESIGN.md §4): per filter i, Q_i = R(W_i) + 1[‖W_i − R(W_i)‖ > t_i] · R(W_i − R(W_i)), so k_i ∈ {1, 2}.
// The indicator is a hard step forward and the derivative of a sigmoid backward, with the layer's mean residual norm
// as its temperature; the regularizer λ · reg_weight · k_i uses the same indicators.  With allow_k0 an outer
// indicator 1[‖W_i‖ > t0_i] may prune the whole filter (k_i = 0).
#include <algorithm>
#include <cmath>

#include "flight/core/parallel.hpp"
#include "flight/trainer/kernels.hpp"
#include "flight/trainer/quant.hpp"

namespace flight::trainer {
namespace {
class FLightNN final : public QuantMethod {
 public:
  FLightNN(const QuantConfig& cfg, QuantState& s) : cfg_(cfg) {
    s.thresholds.assign(s.filters, 0.0f);
    s.threshold_grads.assign(s.filters, 0.0f);
    second_term_.assign(std::size_t(s.filters) * s.fan_in, 0.0f);
    gate_slope_.assign(s.filters, 0.0f);
    if (cfg.allow_k0) {
      s.prune_thresholds.assign(s.filters, 0.0f);
      s.prune_threshold_grads.assign(s.filters, 0.0f);
      kept_.assign(std::size_t(s.filters) * s.fan_in, 0.0f);
      prune_slope_.assign(s.filters, 0.0f);
    }
  }

  void forward(QuantState& s, const std::vector<float>& w, std::vector<float>& q, const RoundingDraw*) override {
    s.window.base = cfg_.auto_base ? pow2_base(w.data(), w.size()) : 0;
    const Pow2Window win = s.window;
    const int filters = s.filters, fan_in = s.fan_in;
    std::vector<double> norms(filters);
    parallel_for_each(filters, [&](int f) {
      const std::size_t o = std::size_t(f) * fan_in;
      // q = R(W), second = R(W − R(W)), and ‖W − R(W)‖ of the filter in one vectorized pass.
      norms[f] = std::sqrt(double(pow2_two_terms(w.data() + o, q.data() + o, second_term_.data() + o,
                                                 std::size_t(fan_in), win.base, win.min_exp(), win.zero_code)));
    });
    double mean_norm = 0;
    for (int f = 0; f < filters; ++f) mean_norm += norms[f] / filters;
    s.residual_norms.assign(norms.begin(), norms.end());
    // Temperature of the backward sigmoid: the layer's mean residual norm, so that thresholds starting at 0 get a
    // usable gradient (a sharper sigmoid leaves σ' ≈ 0 far from the boundary and the thresholds never move).  It is
    // also the unit the optimizer moves the thresholds in.
    const double tau = std::max(1e-8, mean_norm);
    s.tau = tau;
    parallel_for_each(filters, [&](int f) {
      const bool two = norms[f] > s.thresholds[f];
      s.filter_k[f] = two ? 2 : 1;
      const double sg = 1.0 / (1.0 + std::exp(-(norms[f] - s.thresholds[f]) / tau));
      gate_slope_[f] = static_cast<float>(sg * (1 - sg) / tau);
      if (two)
        for (int j = 0; j < fan_in; ++j) q[std::size_t(f) * fan_in + j] += second_term_[std::size_t(f) * fan_in + j];
    });
    if (cfg_.allow_k0) prune(s, w, q);
  }

  void backward(QuantState& s, const std::vector<float>& grad_q, std::vector<float>& grad_w) override {
    grad_w.assign(grad_q.begin(), grad_q.end());  // straight through R
    const int fan_in = s.fan_in;
    const double reg = s.lambda * s.reg_weight;
    parallel_for_each(s.filters, [&](int f) {  // each filter writes only its own thresholds' gradients
      const std::size_t o = std::size_t(f) * fan_in;
      // Q_i = R(W) + g(t_i) · R(res);  dg/dt = −σ'  (the indicator 1[‖res‖ > t] read as a sigmoid backward).
      const double dot_q = dot(grad_q.data() + o, second_term_.data() + o, std::size_t(fan_in));
      const double dgate_dt = -gate_slope_[f];
      if (!cfg_.allow_k0) {
        s.threshold_grads[f] += static_cast<float>(dot_q * dgate_dt + reg * dgate_dt);
        return;
      }
      // k_i = g0 · (1 + g1): the inner threshold matters only while the filter is kept.
      const bool on = s.filter_k[f] > 0;
      const double g1 = inner_k_[f] == 2 ? 1.0 : 0.0;
      if (on) s.threshold_grads[f] += static_cast<float>(dot_q * dgate_dt + reg * dgate_dt);
      const double dot0 = dot(grad_q.data() + o, kept_.data() + o, std::size_t(fan_in));
      const double dgate0_dt0 = -prune_slope_[f];
      s.prune_threshold_grads[f] += static_cast<float>(dot0 * dgate0_dt0 + reg * (1 + g1) * dgate0_dt0);
    });
  }

  void terms(const QuantState& s, float w, int k, float out[2]) const override {
    out[0] = out[1] = 0.0f;
    if (k == 0) return;  // a pruned filter
    out[0] = pow2_round(w, s.window);
    if (k == 2) out[1] = pow2_round(w - out[0], s.window);
  }

  double reg_loss(const QuantState& s) const override {
    double terms = 0;
    for (int k : s.filter_k) terms += k;
    return s.lambda * s.reg_weight * terms;
  }

 private:
  // Outer indicator: Q_i = 1[‖W_i‖ > t0_i] · (R(W_i) + g_i · R(res_i)); a pruned filter has k = 0.
  void prune(QuantState& s, const std::vector<float>& w, std::vector<float>& q) {
    const int filters = s.filters, fan_in = s.fan_in;
    std::vector<double> wn(filters);
    double mean_wn = 0;
    for (int f = 0; f < filters; ++f) {
      double sum = 0;
      for (int j = 0; j < fan_in; ++j) sum += double(w[std::size_t(f) * fan_in + j]) * w[std::size_t(f) * fan_in + j];
      wn[f] = std::sqrt(sum);
      mean_wn += wn[f] / filters;
    }
    const double tau0 = std::max(1e-8, mean_wn);
    s.tau0 = tau0;
    std::copy(q.begin(), q.end(), kept_.begin());
    inner_k_ = s.filter_k;
    for (int f = 0; f < filters; ++f) {
      const double sg = 1.0 / (1.0 + std::exp(-(wn[f] - s.prune_thresholds[f]) / tau0));
      prune_slope_[f] = static_cast<float>(sg * (1 - sg) / tau0);
      if (wn[f] > s.prune_thresholds[f]) continue;
      s.filter_k[f] = 0;
      std::fill(q.begin() + std::ptrdiff_t(f) * fan_in, q.begin() + std::ptrdiff_t(f + 1) * fan_in, 0.0f);
    }
  }

  QuantConfig cfg_;
  std::vector<float> second_term_;  // R(W − R(W)) of the last forward
  std::vector<float> gate_slope_;   // σ'((‖res‖ − t)/τ)/τ per filter
  std::vector<float> kept_;          // allow_k0: R(W) + g·R(res), the filter's value when it is not pruned
  std::vector<float> prune_slope_;   // allow_k0: σ'((‖W‖ − t0)/τ0)/τ0 per filter
  std::vector<int> inner_k_;         // allow_k0: 1 or 2, the inner indicator's choice before pruning
};
}  // namespace
std::unique_ptr<QuantMethod> make_flightnn_method(const QuantConfig& cfg, QuantState& s) {
  return std::make_unique<FLightNN>(cfg, s);
}
}  // namespace flight::trainer
