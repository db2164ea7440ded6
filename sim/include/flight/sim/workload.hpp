#pragma once
// What the hardware models consume: the compute layers of a network with their shapes and, per layer, how many
// filters use k = 0, 1, 2 power-of-two terms (or a fixed-point / fp32 weight format).  Built in sweeps/ from a
// network file plus a k profile (flight dse) or a trained model (flight sim); sim/ never parses files.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace flight::sim {

enum class WeightFormat { pow2, fixed, fp32 };

struct LayerWork {
  std::string name;  // "conv1", "fc2"
  bool is_fc = false;
  int c_in = 0, c_out = 0, kernel = 1, stride = 1;
  int h_in = 1, w_in = 1, h_out = 1, w_out = 1;  // fc: 1
  std::array<int, 3> filters_by_k{};             // pow2 only: filters with 0, 1, 2 terms; sums to c_out
  // fc after flatten: the H×W of the map it reads (c_in = channels · map_h · map_w).  The engine runs such an fc as a
  // map_h × map_w convolution over the map's ⌈channels/p_in⌉ channel groups (docs/rtl.md).
  int map_h = 1, map_w = 1;
  std::int64_t pixel_cycles(int p_in, bool unroll_kernel) const {  // cycles of work per output pixel and tile
    if (unroll_kernel) return (fan_in() + p_in - 1) / p_in;
    const std::int64_t hw = std::int64_t(map_h) * map_w, channels = c_in / hw;
    return (channels + p_in - 1) / p_in * hw * kernel * kernel;
  }

  std::int64_t fan_in() const { return std::int64_t(c_in) * kernel * kernel; }
  std::int64_t weights() const { return fan_in() * c_out; }
  std::int64_t macs() const { return weights() * h_out * w_out; }
  std::int64_t in_activations() const { return std::int64_t(c_in) * h_in * w_in; }
  std::int64_t out_activations() const { return std::int64_t(c_out) * h_out * w_out; }
};

struct Workload {
  std::string name;
  WeightFormat format = WeightFormat::pow2;
  int a_bits = 8;  // activation bits (fp32: 32)
  int e_bits = 3;  // exponent bits of a power-of-two term (pow2)
  int n_bits = 4;  // weight bits (fixed)
  std::vector<LayerWork> layers;

  std::int64_t macs() const;
  // Bits of one weight of a filter with k terms: pow2 k·(1+E), fixed n, fp32 32.
  int weight_bits(int k_terms) const;
  // Weight storage of a layer in bits.
  std::int64_t weight_bits_of(const LayerWork& l) const;
  // MAC-weighted mean number of shift terms per weight (pow2 only).
  double mean_terms_per_weight() const;
  // Fraction of filters with k = 2 over all layers (pow2 only).
  double fraction_k2() const;
};

// Contract: throws InputError naming the layer when shapes or filter counts are inconsistent.
void validate(const Workload& w);

}  // namespace flight::sim
