#include "flight/trainer/quant.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include <oneapi/tbb/parallel_for.h>

#include "flight/core/error.hpp"
#include "flight/trainer/kernels.hpp"

namespace flight::trainer {

float pow2_round(float x, const Pow2Window& win) {
  // Reads the exponent and the top mantissa bit from the IEEE-754 bits: |x| ∈ [2^e, 2^(e+1)) rounds to 2^(e+1) when
  // its mantissa is ≥ 1.5, i.e. when the top fraction bit is set (ties included).  Denormals count as below the
  // window (the window's smallest exponent is far above −126).
  std::uint32_t bits;
  std::memcpy(&bits, &x, 4);
  const std::uint32_t sign = bits & 0x80000000u;
  const std::uint32_t mag = bits & 0x7fffffffu;
  const int biased = int(mag >> 23);
  int e = biased - 127 + int((mag >> 22) & 1u);
  const int lo = win.min_exp();
  if (biased == 0) e = INT_MIN / 2;  // zero or denormal
  if (e > win.base) e = win.base;
  if (e < lo) {
    // Below 2^lo: 2^lo if |x| ≥ 2^(lo−1) (the nearest representable), else the zero code.
    if (win.zero_code && (biased == 0 || biased - 127 < lo - 1)) return 0.0f;
    e = lo;
  }
  const std::uint32_t out = sign | (std::uint32_t(e + 127) << 23);
  float r;
  std::memcpy(&r, &out, 4);
  return r;
}

int pow2_base(const float* w, std::size_t n) {
  float m = 0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  if (m == 0 || !std::isfinite(m)) return 0;
  int e = std::ilogb(m);
  if (m >= 1.5f * std::ldexp(1.0f, e)) ++e;
  return e;
}

std::uint8_t pow2_code(float q, const Pow2Window& win) {
  if (q == 0) return 0;
  const int e = std::ilogb(std::fabs(q));
  const int code = e - win.min_exp() + (win.zero_code ? 1 : 0);
  return static_cast<std::uint8_t>((q < 0 ? 1 << win.e_bits : 0) | code);
}

float lightnn_quantize(float w, int k, const Pow2Window& win, float* terms) {
  float q = 0;
  for (int i = 0; i < k; ++i) {
    const float t = pow2_round(w - q, win);
    if (terms) terms[i] = t;
    q += t;
  }
  return q;
}

float counter_uniform(std::uint64_t key) {
  std::uint64_t z = key + 0x9e3779b97f4a7c15ULL;  // SplitMix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return float(z >> 40) * (1.0f / 16777216.0f);  // 24 bits: exact in float, < 1
}

float kones_quantize(float w, int k, const Pow2Window& win, float u, float* terms) {
  float q = 0;
  const int lo = win.min_exp();
  for (int i = 0; i < k; ++i) {
    const float r = w - q;
    float t = 0;
    if (r != 0) {
      const float mag = std::fabs(r);
      int e = std::ilogb(mag);  // 2^e ≤ |r| < 2^(e+1)
      const bool last = i == k - 1;
      if (e >= win.base) {
        t = std::ldexp(1.0f, win.base);  // at or above the window's top: its largest term
      } else if (e < lo) {
        // Below the window: between 0 (or 2^lo without a zero code) and 2^lo.
        const float top = std::ldexp(1.0f, lo), bottom = win.zero_code ? 0.0f : top;
        const float p_up = (mag - bottom) / (top - bottom > 0 ? top - bottom : 1.0f);
        const bool up = !win.zero_code || (last ? (u < 0 ? p_up >= 0.5f : u < p_up) : false);
        t = up ? top : bottom;
      } else {
        const float down = std::ldexp(1.0f, e);
        const float p_up = (mag - down) / down;  // in [0, 1)
        const bool up = last && (u < 0 ? p_up >= 0.5f : u < p_up);
        t = up ? std::ldexp(1.0f, e + 1) : down;
      }
      if (r < 0) t = -t;
    }
    if (terms) terms[i] = t;
    q += t;
  }
  return q;
}

float fixed_scale(const float* w, std::size_t n, int bits) {
  float m = 0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  if (m == 0) m = 1;
  return std::ldexp(1.0f, static_cast<int>(std::ceil(std::log2(m)))) / std::ldexp(1.0f, bits - 1);
}

float fixed_quantize(float w, float scale, int bits) {
  const float lo = -std::ldexp(1.0f, bits - 1), hi = std::ldexp(1.0f, bits - 1) - 1;
  return std::clamp(std::nearbyint(w / scale), lo, hi) * scale;
}

float activation_scale(float range, int bits) {
  if (!(range > 0)) range = 1;
  return std::ldexp(1.0f, static_cast<int>(std::ceil(std::log2(range)))) / std::ldexp(1.0f, bits);
}

float activation_quantize(float x, float scale, int bits) {
  // Round half to even by the 1.5·2^23 trick (exact for |v| < 2^22, which the clamp below needs anyway; the
  // default rounding mode is assumed, as for std::nearbyint).  `volatile`-free: -O3 keeps the two additions.
  const float top = std::ldexp(1.0f, bits) - 1;
  float v = std::min(x / scale, top + 1.0f);
  v = (v + 12582912.0f) - 12582912.0f;
  return std::clamp(v, 0.0f, top) * scale;
}

std::string method_name(const QuantConfig& q) {
  switch (q.method) {
    case Method::fp32: return "fp32";
    case Method::fixed: return "fixed" + std::to_string(q.fixed_bits);
    case Method::lightnn: return "lightnn" + std::to_string(q.k);
    case Method::flightnn: return "flightnn";
  }
  return "?";
}

WeightQuantizer::WeightQuantizer(QuantConfig cfg, int filters, int fan_in)
    : cfg_(cfg), filters_(filters), fan_in_(fan_in), filter_k_(filters, 0) {
  window_.e_bits = cfg.e_bits;
  window_.zero_code = cfg.zero_code;
  if (cfg.method == Method::flightnn) {
    thresholds_.assign(filters, 0.0f);
    threshold_grads_.assign(filters, 0.0f);
    second_term_.assign(std::size_t(filters) * fan_in, 0.0f);
    gate_slope_.assign(filters, 0.0f);
    if (cfg.allow_k0) {
      prune_thresholds_.assign(filters, 0.0f);
      prune_threshold_grads_.assign(filters, 0.0f);
      kept_.assign(std::size_t(filters) * fan_in, 0.0f);
      prune_slope_.assign(filters, 0.0f);
    }
  }
}

void WeightQuantizer::forward(const std::vector<float>& w, std::vector<float>& q) {
  FLIGHT_CHECK(w.size() == std::size_t(filters_) * fan_in_, "weight count");
  q.resize(w.size());
  switch (cfg_.method) {
    case Method::fp32:
      q = w;
      return;
    case Method::fixed:
      fixed_scale_ = fixed_scale(w.data(), w.size(), cfg_.fixed_bits);
      oneapi::tbb::parallel_for(std::size_t(0), w.size(), std::size_t(4096), [&](std::size_t b) {
        const std::size_t e = std::min(w.size(), b + 4096);
        for (std::size_t i = b; i < e; ++i) q[i] = fixed_quantize(w[i], fixed_scale_, cfg_.fixed_bits);
      });
      return;
    case Method::lightnn:
      window_.base = cfg_.auto_base ? pow2_base(w.data(), w.size()) : 0;
      if (!cfg_.kones_stochastic && cfg_.k <= 2) {
        // The greedy residual with k ≤ 2 terms is R(w) + R(w − R(w)): one vectorized pass (equal to
        // lightnn_quantize element by element).
        second_term_.resize(w.size());
        oneapi::tbb::parallel_for(0, filters_, [&](int f) {
          const std::size_t o = std::size_t(f) * fan_in_;
          pow2_two_terms(w.data() + o, q.data() + o, second_term_.data() + o, std::size_t(fan_in_), window_.base,
                         window_.min_exp(), window_.zero_code);
          if (cfg_.k == 2)
            for (std::size_t i = o; i < o + std::size_t(fan_in_); ++i) q[i] += second_term_[i];
        });
      } else {
        oneapi::tbb::parallel_for(0, filters_, [&](int f) {
          for (int j = 0; j < fan_in_; ++j) {
            const std::size_t i = std::size_t(f) * fan_in_ + j;
            q[i] = cfg_.kones_stochastic ? kones_quantize(w[i], cfg_.k, window_, -1.0f)
                                         : lightnn_quantize(w[i], cfg_.k, window_);
          }
        });
      }
      std::fill(filter_k_.begin(), filter_k_.end(), cfg_.k);
      return;
    case Method::flightnn: {
      window_.base = cfg_.auto_base ? pow2_base(w.data(), w.size()) : 0;
      std::vector<double> norms(filters_);
      oneapi::tbb::parallel_for(0, filters_, [&](int f) {
        const std::size_t o = std::size_t(f) * fan_in_;
        // q = R(W), second = R(W − R(W)), and ‖W − R(W)‖ of the filter in one vectorized pass.
        norms[f] = std::sqrt(double(pow2_two_terms(w.data() + o, q.data() + o, second_term_.data() + o,
                                                   std::size_t(fan_in_), window_.base, window_.min_exp(),
                                                   window_.zero_code)));
      });
      double mean_norm = 0;
      for (int f = 0; f < filters_; ++f) mean_norm += norms[f] / filters_;
      // Temperature of the backward sigmoid: the layer's mean residual norm, so that thresholds starting at 0 get a
      // usable gradient (a sharper sigmoid leaves σ' ≈ 0 far from the boundary and the thresholds never move).
      const double tau = std::max(1e-8, mean_norm);
      tau_ = tau;
      oneapi::tbb::parallel_for(0, filters_, [&](int f) {
        const bool two = norms[f] > thresholds_[f];
        filter_k_[f] = two ? 2 : 1;
        const double s = 1.0 / (1.0 + std::exp(-(norms[f] - thresholds_[f]) / tau));
        gate_slope_[f] = static_cast<float>(s * (1 - s) / tau);
        if (two)
          for (int j = 0; j < fan_in_; ++j) q[std::size_t(f) * fan_in_ + j] += second_term_[std::size_t(f) * fan_in_ + j];
      });
      if (cfg_.allow_k0) {
        // Outer indicator: Q_i = 1[‖W_i‖ > t0_i] · (R(W_i) + g_i · R(res_i)); a pruned filter has k = 0.
        std::vector<double> wn(filters_);
        double mean_wn = 0;
        for (int f = 0; f < filters_; ++f) {
          double s = 0;
          for (int j = 0; j < fan_in_; ++j) s += double(w[std::size_t(f) * fan_in_ + j]) * w[std::size_t(f) * fan_in_ + j];
          wn[f] = std::sqrt(s);
          mean_wn += wn[f] / filters_;
        }
        const double tau0 = std::max(1e-8, mean_wn);
        tau0_ = tau0;
        std::copy(q.begin(), q.end(), kept_.begin());
        inner_k_ = filter_k_;
        for (int f = 0; f < filters_; ++f) {
          const double s = 1.0 / (1.0 + std::exp(-(wn[f] - prune_thresholds_[f]) / tau0));
          prune_slope_[f] = static_cast<float>(s * (1 - s) / tau0);
          if (wn[f] > prune_thresholds_[f]) continue;
          filter_k_[f] = 0;
          std::fill(q.begin() + std::ptrdiff_t(f) * fan_in_, q.begin() + std::ptrdiff_t(f + 1) * fan_in_, 0.0f);
        }
      }
      return;
    }
  }
}

void WeightQuantizer::forward_train(const std::vector<float>& w, std::vector<float>& q, std::uint64_t stream,
                                    std::uint64_t step) {
  if (!(cfg_.method == Method::lightnn && cfg_.kones_stochastic)) {
    forward(w, q);
    return;
  }
  FLIGHT_CHECK(w.size() == std::size_t(filters_) * fan_in_, "weight count");
  q.resize(w.size());
  window_.base = cfg_.auto_base ? pow2_base(w.data(), w.size()) : 0;
  const std::uint64_t base_key = (stream << 48) ^ (step << 24);
  oneapi::tbb::parallel_for(0, filters_, [&](int f) {
    for (int j = 0; j < fan_in_; ++j) {
      const std::size_t i = std::size_t(f) * fan_in_ + j;
      q[i] = kones_quantize(w[i], cfg_.k, window_, counter_uniform(base_key + i * 0x632be59bd9b4e019ULL));
    }
  });
  std::fill(filter_k_.begin(), filter_k_.end(), cfg_.k);
}

void WeightQuantizer::backward(const std::vector<float>& grad_q, std::vector<float>& grad_w) {
  grad_w.resize(grad_q.size());
  // Straight through: R and the fixed-point rounding pass gradients unchanged.
  std::copy(grad_q.begin(), grad_q.end(), grad_w.begin());
  if (cfg_.method != Method::flightnn) return;
  oneapi::tbb::parallel_for(0, filters_, [&](int f) {  // each filter writes only its own thresholds' gradients
    const std::size_t o = std::size_t(f) * fan_in_;
    // Q_i = R(W) + g(t_i) · R(res);  dg/dt = −σ'  (the indicator 1[‖res‖ > t] read as a sigmoid backward).
    const double dot_q = dot(grad_q.data() + o, second_term_.data() + o, std::size_t(fan_in_));
    const double dgate_dt = -gate_slope_[f];
    if (!cfg_.allow_k0) {
      threshold_grads_[f] += static_cast<float>(dot_q * dgate_dt + cfg_.lambda * reg_weight_ * dgate_dt);
      return;
    }
    // k_i = g0 · (1 + g1): the inner threshold matters only while the filter is kept.
    const bool on = filter_k_[f] > 0;
    const double g1 = inner_k_[f] == 2 ? 1.0 : 0.0;
    if (on) threshold_grads_[f] += static_cast<float>(dot_q * dgate_dt + cfg_.lambda * reg_weight_ * dgate_dt);
    const double dot0 = dot(grad_q.data() + o, kept_.data() + o, std::size_t(fan_in_));
    const double dgate0_dt0 = -prune_slope_[f];
    prune_threshold_grads_[f] += static_cast<float>(dot0 * dgate0_dt0 + cfg_.lambda * reg_weight_ * (1 + g1) * dgate0_dt0);
  });
}

void WeightQuantizer::terms(float w, int k, float out[2]) const {
  out[0] = out[1] = 0.0f;
  if (cfg_.method == Method::lightnn) {
    if (cfg_.kones_stochastic) kones_quantize(w, k, window_, -1.0f, out);
    else lightnn_quantize(w, k, window_, out);
  } else if (cfg_.method == Method::flightnn) {
    if (k == 0) return;  // a pruned filter
    out[0] = pow2_round(w, window_);
    if (k == 2) out[1] = pow2_round(w - out[0], window_);
  }
}

double WeightQuantizer::reg_loss() const {
  if (cfg_.method != Method::flightnn) return 0;
  double terms = 0;
  for (int k : filter_k_) terms += k;
  return cfg_.lambda * reg_weight_ * terms;
}

}  // namespace flight::trainer
