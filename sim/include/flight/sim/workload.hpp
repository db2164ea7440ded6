#pragma once
// What the hardware models consume: the compute layers of a network with their shapes and, per layer, how many
// filters use k = 0, 1, 2 power-of-two terms (or a fixed-point / fp32 weight format).  Built in sweeps/ from a
// network file plus a k profile (flight dse) or a trained model (flight sim); sim/ never parses files.
#include <algorithm>
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
  // Cycles of work per output pixel and tile.  Kernel positions in sequence: ⌈channels / p_in⌉ per position.
  // Unrolled (unroll=CinK2): the feature maps are stored pixel-major, so a kernel row of the window is one run of
  // consecutive addresses that p_in banks serve without conflict and two rows are not: the rows in sequence, each
  // row's K·channels values p_in per cycle.  The network's input layer may instead read all K rows at once from K
  // copies of the image, each in its own group of ⌊p_in / K⌋ banks (input_row_group_banks; docs/rtl.md).
  // With row groups G > 1 (every map in G copies of p_in / G banks) G kernel rows run at once.
  std::int64_t pixel_cycles(int p_in, bool unroll_kernel, bool input_layer = false, int row_groups = 1) const {
    const std::int64_t hw = std::int64_t(map_h) * map_w, channels = c_in / hw;
    if (unroll_kernel) {
      const std::int64_t row = std::int64_t(map_w) * kernel * channels, rows = std::int64_t(map_h) * kernel;
      if (row_groups > 1) {
        const std::int64_t b = std::max(1, p_in / row_groups);
        return (rows + row_groups - 1) / row_groups * ((row + b - 1) / b);
      }
      if (input_layer) {
        if (const int b = input_row_group_banks(p_in); b > 0) return (row + b - 1) / b;
      }
      return rows * ((row + p_in - 1) / p_in);
    }
    return (channels + p_in - 1) / p_in * hw * kernel * kernel;
  }
  // Unrolled input layer: the banks per kernel-row group (⌊p_in / K⌋) when reading the K rows at once from K copies
  // of the image is faster than the rows in sequence, else 0.
  int input_row_group_banks(int p_in) const {
    if (kernel < 2 || map_h != 1 || map_w != 1 || p_in < kernel) return 0;
    const std::int64_t row = std::int64_t(kernel) * c_in, b = p_in / kernel;
    return (row + b - 1) / b < kernel * ((row + p_in - 1) / p_in) ? int(b) : 0;
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
