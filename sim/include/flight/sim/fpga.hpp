#pragma once
// FPGA model of a layer-sequential convolution engine (DESIGN.md §5, a reconstruction): one engine reused layer by
// layer, `lanes` output lanes × p_in operator slots, a registered adder tree and an accumulator per lane, on-chip
// buffers in BRAM, weights (and, when they do not fit on chip, feature maps) streamed from DDR.
//
// Contract: FpgaModel is built once per (workload, device, cost table, limits) and then only read; evaluate() and
// search() are const but share a lane-cost cache, so one FpgaModel must not be used from two threads at once.
// A design that does not fit is a value (fits = false, reason), never an exception; an unknown cost (a block outside
// its calibrated grid) is an InputError.
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/fpga_costs.hpp"
#include "flight/sim/slot_kind.hpp"
#include "flight/sim/workload.hpp"

namespace flight::sim {

// How filters map onto lanes.
//   uniform:          every lane has `slot` slots; a filter takes one pass (shift_k2 slots run k=1 filters with a
//                     zero second term; fixed formats use mult_lut/mult_dsp slots; fp32 uses fp32_mult slots with
//                     fp32 adder trees);
//   time_multiplexed: shift_k1 slots only; a k=2 filter takes two passes, so cycles ∝ Σ k_i;
//   heterogeneous:    `lanes` shift_k1 lanes for k=1 filters beside `lanes_k2` shift_k2 lanes for k=2 filters,
//                     both working on a layer at the same time.
enum class Mapping { uniform, time_multiplexed, heterogeneous };
std::string mapping_name(Mapping m);

struct FpgaDesign {
  Mapping mapping = Mapping::uniform;
  Block slot = Block::shift_k1;  // uniform: the slot kind; time_multiplexed and heterogeneous: shift_k1
  int p_in = 1;                  // slots per lane (input channels in parallel)
  int lanes = 1;                 // output lanes (heterogeneous: shift_k1 lanes)
  int lanes_k2 = 0;              // heterogeneous only: shift_k2 lanes
  int dsp_lanes = 0;             // mult slots: lanes whose multipliers are DSP slices; the rest are in LUTs
  bool fmap_on_chip = true;      // feature maps stay in BRAM between layers (else streamed through DDR)
  bool weights_on_chip = false;  // every layer's weights resident in BRAM (loaded once, not per image)
  // What the p_in slots of a lane cover: input channels only (K² kernel positions in sequence, DESIGN.md §5), or
  // the flattened C_in·K·K window (pixel-major feature maps, a kernel row's K·C_in values p_in per cycle; see
  // LayerWork::pixel_cycles and docs/rtl.md), which keeps the slots busy on a first layer with 1 or 3 input channels.
  bool unroll_kernel = false;
  // Unrolled only: every feature map is held in G copies, each in p_in / G banks (p_in a multiple of G), so that a
  // pixel reads G kernel rows at once, one per copy (docs/rtl.md).  1: the rows in sequence.
  int row_groups = 1;
  // R, the requantizers the lanes share (a finished pixel drains R lanes per cycle); 0: evaluate() picks the fastest
  // of requantizer_options() that fits (fewer on ties) and reports it in the evaluation's design.
  int requantizers = 0;
};
std::string describe(const FpgaDesign& d);

// The k = 1 and k = 2 filters present in a power-of-two workload (both false for other formats).
struct FilterMix {
  bool any_k1 = false, any_k2 = false;
};

struct FpgaLimits {
  // Fractions of the device a design may use.  These are the defaults of every command and grid (lut_cap is
  // --lut-cap and the grid's [hardware] lut_cap; the others are fixed).
  double lut_cap = 0.8, ff_cap = 0.9, dsp_cap = 0.9, bram_cap = 0.9;
  std::optional<double> clock_mhz;  // unset: the device's clock
};

// The tiles of filters a layer takes under a mapping (mapping.hpp): `count` tiles, each a pass of the pixel loop
// with every lane on one filter, of which the first `two_pass` run two passes per pixel (the time-multiplexed
// mapping's tiles of k = 2 filters: each lane's first term, then its second, into one accumulator).
struct TileCount {
  double count = 0;
  double two_pass = 0;
  double passes() const { return count + two_pass; }
};

struct LayerTiming {
  std::string name;
  // H_out · W_out · (one-pass tiles · max(P, drain) + two-pass tiles · max(2P, drain)), where P = ⌈C_in / p_in⌉ · K²
  // (unrolled: LayerWork::pixel_cycles) and drain = ⌈lanes / R⌉ (the classifier: lanes) cycles move a pixel's sums
  // through the R requantizers (requantizers())
  double compute_cycles = 0;
  double memory_cycles = 0;   // DDR bytes / DDR bytes per cycle
  double fill_cycles = 0;     // pipeline_fill_cycles + adder-tree depth + drain (measured on the RTL, docs/rtl.md)
  double cycles = 0;          // max(compute, memory) + fill (double-buffered)
  double ddr_bytes = 0;
  double utilization = 0;     // useful MACs / (slots · cycles)
  bool memory_bound = false;
};

struct ResourceBreakdown {
  Resources slots, adder_trees, accumulators, requant, control, weight_buffer, fmap_buffer;
  // The host interface (AXI DMA for images, results and streamed data): an assumption, not part of the generated
  // RTL, so `engine()` — what rtl/ builds and Yosys measures — leaves it out.
  Resources host;
  Resources engine() const {
    return slots + adder_trees + accumulators + requant + control + weight_buffer + fmap_buffer;
  }
  Resources total() const { return engine() + host; }
};

struct FpgaEvaluation {
  FpgaDesign design;
  bool fits = false;
  std::string reason;  // why it does not fit (empty when it fits)
  ResourceBreakdown breakdown;
  Resources used;
  double lut_pct = 0, ff_pct = 0, dsp_pct = 0, bram_pct = 0;
  std::vector<LayerTiming> layers;
  double clock_mhz = 0;
  double cycles_per_image = 0;
  double latency_s = 0;      // one image, layer by layer
  double images_per_s = 0;
  int acc_bits = 0;          // accumulator width the design needs
  int requantizers = 0;      // R, shared by the lanes (= design.requantizers)
};

// The requantizer counts worth considering for a design, largest first: for each layer but the classifier (which
// drains one class per cycle) the R = ⌈lanes / its pixel cycles⌉ that drains a pixel within the next one, capped at
// p_in (the R outputs of a drain cycle go to R different feature-map banks), and 1.  A 3×3 convolution's pixel
// lasts ≥ 9 cycles, so the conv layers need few; 1×1 layers and fc layers after fc layers (⌈C_in / p_in⌉ cycles)
// ask for more, and a design may rather let those layers wait for their drain than pay for a requantizer each
// (a requantizer with its batch-norm multiplier is ~1,100–3,100 LUT without DSP slices).  Each option is the
// fewest requantizers with its drain ⌈lanes / R⌉, so the options drain in distinct cycle counts.
std::vector<int> requantizer_options(const FpgaDesign& d, const Workload& w);
void requantizer_options(const FpgaDesign& d, const Workload& w, std::vector<int>& out);  // into `out`

struct SearchResult {
  bool found = false;
  FpgaEvaluation best;
  long candidates = 0;  // designs evaluated
  long feasible = 0;    // of which fit
  std::string reason;   // when nothing fits: the reason of the smallest design
};

class FpgaModel {
 public:
  FpgaModel(Workload workload, cost_models::Device device, const cost_models::FpgaCostTable& costs,
            FpgaLimits limits);

  // With d.requantizers = 0, the fastest fitting choice among requantizer_options() (ties: fewer LUTs).
  FpgaEvaluation evaluate(const FpgaDesign& d) const;
  // Exhaustive over p_in 1…128, lanes 1…1024 (heterogeneous: a geometric grid of both lane counts),
  // every mapping the weight format allows, LUT or DSP multipliers, feature maps and weights on or off chip, and
  // both kernel-unrolling choices.  Maximizes
  // images/s; ties go to fewer LUTs.  With `only`, the candidates of that mapping alone; with `admit`, only the
  // designs it returns true for (e.g. those the RTL generator covers, or at most N slots).
  SearchResult search(std::optional<Mapping> only = std::nullopt,
                      const std::function<bool(const FpgaDesign&)>& admit = {}) const;

  const Workload& workload() const { return workload_; }
  const cost_models::Device& device() const { return device_; }
  const FpgaLimits& limits() const { return limits_; }
  const cost_models::FpgaCostTable& costs() const { return costs_; }
  double clock_mhz() const { return clock_mhz_; }
  // One lane of p_in slots of a kind (slot_kind.hpp), cached per (slot, p_in, extra bits, unrolling).
  const LaneCost& lane_cost(Block slot, int p_in, int extra_acc_bits, bool unroll_kernel) const;

 private:
  FpgaEvaluation evaluate_with(const FpgaDesign& d) const;  // d.requantizers ≥ 1
  double weight_buffer_bram36(const FpgaDesign& d, double weight_width_bits) const;
  Resources fmap_buffer(const FpgaDesign& d) const;
  LayerTiming layer_timing(const FpgaDesign& d, std::size_t layer, TileCount tiles, double fill_cycles,
                           int requantizers) const;
  // Why `used` exceeds a cap (empty when it does not), and the same test without the message.
  std::string over_budget(const Resources& used) const;
  bool within_budget(const Resources& used) const;

  Workload workload_;
  cost_models::Device device_;
  const cost_models::FpgaCostTable& costs_;
  FpgaLimits limits_;
  double clock_mhz_ = 0;
  int max_fan_in_ = 0;
  double unrolled_lut_ = 0;  // control LUT per slot column of an unrolled design
  std::vector<int> row_group_options_{1};  // 1 and the network's kernel heights ≥ 2 (conv K, an fc's map rows)
  FilterMix mix_;
  // The fixed costs every evaluation uses, read once: control = c[0] + c[1]·banks + c[2]·lanes (banks: p_in, or
  // p_in / G of one copy under row groups; unrolled + unrolled_lut_·p_in LUT); the host interface.
  std::array<double, 3> control_lut_{}, control_ff_{};
  Resources host_;
  mutable std::vector<int> options_;  // scratch for evaluate()'s requantizer options
  mutable std::map<std::tuple<int, int, int, bool>, LaneCost> lane_cache_;
};

}  // namespace flight::sim
