#pragma once
// Bit-accurate integer inference of a quantized network: what the hardware computes.
//
// Activations are unsigned A-bit integers a with a per-layer scale (a power of two 2^s, or 1/255 for the input
// image).  Power-of-two weights are (sign, shift) terms: a MAC adds or subtracts `a << shift` into an integer
// accumulator, k_i terms for a filter with k_i terms; fixed-point weights are n-bit integers multiplied in.  The real
// value of an accumulator is acc · weight_quantum · input_scale.  The output stage of a layer (bias, batch norm as a
// per-channel affine, ReLU, rounding to A bits) is what the engine's requantizer computes: a per-channel fixed-point
// multiply-add (Requant below, folded from the double-precision affine once), so the generated RTL (rtl/) can match
// this model bit for bit.
//
// A filter's k shift-and-add terms on activation a sum to a · Σ ±2^shift exactly in integer arithmetic, so run()
// multiplies by that combined integer weight (precomputed): the same bits as the shift-add datapath, faster.
//
// Contract: plain structs in, results out; no file parsing.  run() is thread-safe (const).
#include <cstdint>
#include <string>
#include <vector>

#include "flight/cost_models/fpga_costs.hpp"

namespace flight::sim {

struct IntLayer {
  enum class Kind { conv, fc, maxpool, flatten } kind = Kind::conv;
  // conv / fc
  int c_in = 0, c_out = 0, kernel = 1, stride = 1, pad = 0;
  bool pow2 = true;
  // pow2: per filter its k terms per weight as (sign, shift ≥ 0) with weight = Σ ±2^shift · weight_quantum;
  //       terms[f][j·k_f + t]; a zero term has shift −1.
  std::vector<int> filter_k;
  std::vector<std::vector<std::int8_t>> term_shift, term_sign;
  // fixed: weight = w_int · weight_quantum
  std::vector<std::int32_t> w_int;  // (c_out, fan_in)
  double weight_quantum = 1;
  // output stage, per output channel: y = affine_scale·(real + bias) + affine_shift, then ReLU + A-bit rounding
  std::vector<double> bias, affine_scale, affine_shift;
  bool relu = true;          // false for the classifier layer: its reals are the logits
  double out_scale = 1;      // scale of the A-bit output activations
  // maxpool
  int pool_kernel = 2, pool_stride = 2;
};

struct IntNetwork {
  int in_c = 1, in_h = 28, in_w = 28;
  double in_scale = 1.0 / 255.0;  // input pixels are 0..255
  int a_bits = 8;
  // Accumulator width in bits (two's complement, wrapping as an HLS ap_int does); 0: wide enough for anything.
  // Wrapping is modular, so checking the final sum is exact: partial sums may overflow harmlessly.
  int acc_bits = 0;
  std::vector<IntLayer> layers;
};

// The fixed-point output stage of one conv/fc layer, per output channel f:
//   v = acc · mult[f] + offset[f]                                     (exact, at most 64 + kRequantMultBits bits)
//   ReLU layer:  out = clamp(v >> frac_bits, 0, 2^A − 1)   (arithmetic shift; the offset holds the rounding half,
//                so this rounds half up)
//   classifier:  logit = v / 2^frac_bits; the predicted class is the first largest v.
// mult[f] = round(affine_scale·weight_quantum·input_scale / out_scale · 2^frac_bits) and
// offset[f] = round((affine_scale·bias + affine_shift) / out_scale · 2^frac_bits) (+ 2^(frac_bits−1) in a ReLU
// layer; out_scale = 1 for the classifier);
// frac_bits is the largest that keeps every |mult| below 2^(kRequantMultBits−1) and every |offset| below
// 2^(kRequantOffsetBits−1) (the engine's constant widths).
using cost_models::kRequantMultBits;
using cost_models::kRequantOffsetBits;
struct Requant {
  int frac_bits = 0;
  std::vector<std::int64_t> mult, offset;
};

struct IntResult {
  int predicted = 0;
  std::vector<double> logits;
  std::vector<std::int64_t> raw_logits;  // the classifier's v (see Requant): what the engine outputs
};

struct LayerStats {
  bool compute = false;          // a conv or fc layer (the others have no accumulator)
  std::int64_t max_abs_acc = 0;  // largest |accumulator| seen (before any wrapping)
  int acc_bits() const;          // signed bits needed to hold it
  std::int64_t overflows = 0;    // outputs whose sum did not fit IntNetwork::acc_bits
};

class IntInference {
 public:
  explicit IntInference(IntNetwork net);
  // One image of in_c·in_h·in_w uint8 pixels in (C, H, W) order.  Updates stats (not thread-safe with stats).
  IntResult run(const std::uint8_t* image, std::vector<LayerStats>* stats = nullptr) const;
  const IntNetwork& network() const { return net_; }
  // Layer i's output stage (empty for maxpool and flatten layers).
  const Requant& requant(std::size_t layer) const { return requant_.at(layer); }
  // Layer i's integer weights, (c_out, fan_in): the sum of a filter's power-of-two terms, or the fixed-point codes.
  const std::vector<std::int32_t>& combined_weights(std::size_t layer) const { return combined_.at(layer); }

 private:
  IntNetwork net_;
  std::vector<std::vector<std::int32_t>> combined_;  // per layer: (c_out, fan_in) integer weights
  std::vector<Requant> requant_;                      // per layer
  std::vector<std::int64_t> max_abs_weight_;          // per layer: max |combined weight| (0 without weights)
};

// The fixed-point form of one layer's output stage (exposed for tests and the RTL generator).
Requant fold_requant(const IntLayer& layer, double input_scale);

}  // namespace flight::sim
