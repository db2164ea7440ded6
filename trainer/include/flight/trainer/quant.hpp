#pragma once
// Quantizers with the semantics of DESIGN.md §4.
//
// Power-of-two rounding R(x) within a window: with the zero code (default) a term is (sign, E-bit code), code 0 the
// value 0 and codes 1…2^E−1 the exponents base−(2^E−2) … base; without it (the LightNN paper's setting) the 2^E
// codes are the exponents base−(2^E−1) … base and 0 is not representable.  Rounding is to the nearest value in the
// linear domain; a tie (|x| = 1.5·2^e) goes to the larger magnitude; |x| above 2^base saturates.  The per-layer base
// is the exponent of R(max |w|) without a window (exp_base = auto), or 0 (the LightNN paper's ±2^−n, n = 0…7).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flight/trainer/tensor.hpp"

namespace flight::trainer {

struct Pow2Window {
  int base = 0;
  int e_bits = 3;
  bool zero_code = true;
  int min_exp() const { return base - ((1 << e_bits) - (zero_code ? 2 : 1)); }
};

float pow2_round(float x, const Pow2Window& win);
// The exponent of max|w| rounded to the nearest power of two (linear domain); 0 for an all-zero array.
int pow2_base(const float* w, std::size_t n);
// (sign, code) of a value that pow2_round produced: code 0 is zero, else exponent − min_exp + (zero_code ? 1 : 0).
std::uint8_t pow2_code(float q, const Pow2Window& win);

// Greedy residual: Q_0 = 0, Q_k = Q_{k−1} + R(w − Q_{k−1}).  Writes the k terms to terms[0..k) when not null.
float lightnn_quantize(float w, int k, const Pow2Window& win, float* terms = nullptr);

// The LightNN paper's rounding ("k-ones" then stochastic rounding; DESIGN.md §4, a reconstruction): the first k − 1
// terms keep the most significant power of two of the residual (truncation, 2^⌊log2 |r|⌋); the last term rounds the
// residual r ∈ [2^e, 2^(e+1)) up to 2^(e+1) with probability (|r| − 2^e)/2^e, else down to 2^e, so E[Q] = w inside the
// window.  `u` is a uniform draw in [0, 1); u < 0 means deterministic (round to nearest: the evaluation and export
// form).  Terms stay within the window; below it the last term is 0 or 2^min_exp (the zero code), or 2^min_exp.
float kones_quantize(float w, int k, const Pow2Window& win, float u, float* terms = nullptr);
// A uniform draw in [0, 1) from a counter (SplitMix64 of the key): the same key gives the same draw on every thread
// count and machine.
float counter_uniform(std::uint64_t key);

// Symmetric uniform fixed point with a per-layer power-of-two scale: scale = 2^⌈log2 max|w|⌉ / 2^(bits−1),
// q = clamp(round(w / scale), −2^(bits−1), 2^(bits−1) − 1) · scale.
float fixed_scale(const float* w, std::size_t n, int bits);
float fixed_quantize(float w, float scale, int bits);

// Unsigned A-bit activation quantization after ReLU with a power-of-two scale covering `range`.
float activation_scale(float range, int bits);
float activation_quantize(float x, float scale, int bits);

enum class Method { fp32, fixed, lightnn, flightnn };

struct QuantConfig {
  Method method = Method::fp32;
  int fixed_bits = 4;     // fixed
  int k = 2;              // lightnn
  int e_bits = 3;         // lightnn, flightnn
  bool zero_code = true;
  bool auto_base = true;  // false: exp_base = 0
  int a_bits = 8;         // activations of every quantized method
  double lambda = 0;      // flightnn: weight of the shift-count regularizer
  bool allow_k0 = false;  // flightnn: an outer indicator 1[‖W_i‖ > t0_i] may prune a whole filter (k = 0)
  bool kones_stochastic = false;  // lightnn: the LightNN paper's k-ones + stochastic rounding in training
};

std::string method_name(const QuantConfig& q);  // "fp32", "fixed4", "lightnn2", "flightnn"

// What a layer's quantizer knows between calls, whatever its method: read by the model file, the simulator's
// conversion and the optimizer (the thresholds).  Methods write it in forward() and backward().
struct QuantState {
  int filters = 0, fan_in = 0;
  Pow2Window window;      // power-of-two methods: the window of the last forward
  float fixed_scale = 1;  // fixed: the scale of the last forward
  std::vector<int> filter_k;  // terms per filter after the last forward
  // FLightNN: per-filter thresholds t_i (start at 0: every filter k = 2), their gradients and their unit (the
  // layer's mean residual norm of the last forward); with allow_k0 the same for the outer thresholds t0_i on ‖W_i‖.
  std::vector<float> thresholds, threshold_grads, prune_thresholds, prune_threshold_grads;
  std::vector<float> residual_norms;  // FLightNN: ‖W_i − R(W_i)‖ of the last forward (k_i = 2 iff it exceeds t_i)
  double tau = 1, tau0 = 1;
  // FLightNN: the regularizer weight of one filter's term count, by default (MACs of one filter) / (MACs of the
  // network); a hardware cost (issue 17) sets other per-layer weights with the same normalization, Σ over every
  // filter of the network = 1.
  double reg_weight = 0;
  double lambda = 0;  // FLightNN: λ now (QuantConfig::lambda at the start; a budget controller may change it)
};

// One quantization method of a layer's weights (filters, fan_in), one file each under trainer/src/quantizers/
// (fp32, fixed, lightnn, flightnn).  Adding a method is adding a file and a line in quant.cpp's factory.
//
// Contract: forward() writes q (same size as w) and the state's per-forward fields; `draw` keys stochastic rounding
// in training (null: deterministic, the evaluation and export form).  backward() turns dL/dQ into dL/dW and
// accumulates the gradients of the method's own parameters in the state.  One object serves one layer; not
// thread-safe (forward and backward parallelize inside over filters with oneTBB).
struct RoundingDraw {
  std::uint64_t stream = 0, step = 0;  // which layer, which optimizer step
};
class QuantMethod {
 public:
  virtual ~QuantMethod() = default;
  virtual void forward(QuantState& s, const std::vector<float>& w, std::vector<float>& q,
                       const RoundingDraw* draw) = 0;
  // Straight through by default: R and the fixed-point rounding pass gradients unchanged.
  virtual void backward(QuantState& s, const std::vector<float>& grad_q, std::vector<float>& grad_w);
  // The power-of-two terms of weight w in a filter with k terms under the last forward's window (none by default).
  virtual void terms(const QuantState& s, float w, int k, float out[2]) const;
  // The regularizer's loss of the last forward (0 by default).
  virtual double reg_loss(const QuantState& s) const;
};

// Per-layer weight quantizer of a conv or fc layer whose weights are (filters, fan_in): the layer's state and its
// method.  forward() writes the quantized weights used by the layer; backward() turns dL/dQ into dL/dW (straight
// through) and, for FLightNN, accumulates dL/dt of the per-filter thresholds including the regularizer.
class WeightQuantizer {
 public:
  WeightQuantizer(QuantConfig cfg, int filters, int fan_in);
  ~WeightQuantizer();
  WeightQuantizer(WeightQuantizer&&) noexcept;

  void forward(const std::vector<float>& w, std::vector<float>& q);
  // A training forward: as forward(), except that kones_stochastic draws its rounding from counter_uniform() keyed by
  // (stream, step, weight index).  `stream` tells layers apart; `step` is the optimizer step.
  void forward_train(const std::vector<float>& w, std::vector<float>& q, std::uint64_t stream, std::uint64_t step);
  void backward(const std::vector<float>& grad_q, std::vector<float>& grad_w);

  // FLightNN: per-filter thresholds t_i (start at 0: every filter k = 2) and their gradients.
  std::vector<float>& thresholds() { return state_.thresholds; }
  std::vector<float>& threshold_grads() { return state_.threshold_grads; }
  // FLightNN with allow_k0: the outer thresholds t0_i on ‖W_i‖ (start at 0: no filter pruned) and their gradients.
  std::vector<float>& prune_thresholds() { return state_.prune_thresholds; }
  std::vector<float>& prune_threshold_grads() { return state_.prune_threshold_grads; }
  // The scale of the thresholds (FLightNN): the layer's mean residual norm ‖W_i − R(W_i)‖ over its filters in the last
  // forward, and with allow_k0 the mean ‖W_i‖.  The trainer moves each threshold in steps of this unit, so a
  // threshold's speed does not depend on the layer's weight scale (train.hpp, TrainConfig::threshold_travel).
  const double* threshold_unit() const { return &state_.tau; }
  const double* prune_threshold_unit() const { return &state_.tau0; }
  // Regularizer weight of one filter's term count: (MACs of one filter) / (MACs of the network) unless a hardware
  // cost sets another (QuantState::reg_weight).
  void set_reg_weight(double w) { state_.reg_weight = w; }
  double reg_weight() const { return state_.reg_weight; }
  // FLightNN: the regularizer's λ from the next backward on (starts at QuantConfig::lambda).
  void set_lambda(double lambda) { state_.lambda = lambda; }
  double lambda() const { return state_.lambda; }
  // λ · Σ_i reg_weight · k_i of the last forward.
  double reg_loss() const;

  // Terms per filter after the last forward (fp32: 0, fixed: 0, lightnn: k, flightnn: 1 or 2, or 0 when pruned).
  const std::vector<int>& filter_k() const { return state_.filter_k; }
  // FLightNN: ‖W_i − R(W_i)‖ per filter of the last forward; filter i has k = 2 iff it exceeds thresholds()[i].
  const std::vector<float>& residual_norms() const { return state_.residual_norms; }
  // The power-of-two terms of weight w in a filter with k terms, under the window of the last forward
  // (lightnn: the greedy residual; flightnn: R(w) and, for k = 2, R(w − R(w))).  Unused terms are 0.
  void terms(float w, int k, float out[2]) const;
  const QuantConfig& config() const { return cfg_; }
  Pow2Window window() const { return state_.window; }
  float fixed_scale_value() const { return state_.fixed_scale; }

 private:
  QuantConfig cfg_;
  QuantState state_;
  std::unique_ptr<QuantMethod> method_;
};

}  // namespace flight::trainer
