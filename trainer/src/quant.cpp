#include "flight/trainer/quant.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "flight/core/error.hpp"
#include "flight/core/parallel.hpp"

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

void QuantMethod::backward(QuantState&, const std::vector<float>& grad_q, std::vector<float>& grad_w) {
  // In parallel blocks, as Fp32::forward's copy: vgg-l's fc1 has 2 M weights.
  grad_w.resize(grad_q.size());
  parallel_blocks(grad_q.size(), 1 << 16, [&](std::size_t b, std::size_t e) {
    std::copy(grad_q.begin() + std::ptrdiff_t(b), grad_q.begin() + std::ptrdiff_t(e),
              grad_w.begin() + std::ptrdiff_t(b));
  });
}

void QuantMethod::terms(const QuantState&, float, int, float out[2]) const { out[0] = out[1] = 0.0f; }

double QuantMethod::reg_loss(const QuantState&) const { return 0; }

// The methods, one file each under quantizers/.
std::unique_ptr<QuantMethod> make_fp32_method();
std::unique_ptr<QuantMethod> make_fixed_method(const QuantConfig& cfg);
std::unique_ptr<QuantMethod> make_lightnn_method(const QuantConfig& cfg);
std::unique_ptr<QuantMethod> make_flightnn_method(const QuantConfig& cfg, QuantState& s);

WeightQuantizer::WeightQuantizer(QuantConfig cfg, int filters, int fan_in) : cfg_(cfg) {
  state_.filters = filters;
  state_.fan_in = fan_in;
  state_.filter_k.assign(filters, 0);
  state_.window.e_bits = cfg.e_bits;
  state_.window.zero_code = cfg.zero_code;
  state_.lambda = cfg.lambda;
  switch (cfg.method) {
    case Method::fp32: method_ = make_fp32_method(); break;
    case Method::fixed: method_ = make_fixed_method(cfg); break;
    case Method::lightnn: method_ = make_lightnn_method(cfg); break;
    case Method::flightnn: method_ = make_flightnn_method(cfg, state_); break;
  }
  FLIGHT_CHECK(method_ != nullptr, "quantization method");
}

WeightQuantizer::~WeightQuantizer() = default;
WeightQuantizer::WeightQuantizer(WeightQuantizer&&) noexcept = default;

void WeightQuantizer::forward(const std::vector<float>& w, std::vector<float>& q) {
  FLIGHT_CHECK(w.size() == std::size_t(state_.filters) * state_.fan_in, "weight count");
  q.resize(w.size());
  method_->forward(state_, w, q, nullptr);
}

void WeightQuantizer::forward_train(const std::vector<float>& w, std::vector<float>& q, std::uint64_t stream,
                                    std::uint64_t step) {
  FLIGHT_CHECK(w.size() == std::size_t(state_.filters) * state_.fan_in, "weight count");
  q.resize(w.size());
  const RoundingDraw draw{stream, step};
  method_->forward(state_, w, q, &draw);
}

void WeightQuantizer::backward(const std::vector<float>& grad_q, std::vector<float>& grad_w) {
  method_->backward(state_, grad_q, grad_w);
}

void WeightQuantizer::terms(float w, int k, float out[2]) const { method_->terms(state_, w, k, out); }

double WeightQuantizer::reg_loss() const { return method_->reg_loss(state_); }

}  // namespace flight::trainer
