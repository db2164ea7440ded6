#include "flight/sim/fpga.hpp"

#include <algorithm>
#include <cmath>

#include "flight/core/error.hpp"
#include "flight/sim/mapping.hpp"
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace cm = flight::cost_models;

std::string mapping_name(Mapping m) {
  switch (m) {
    case Mapping::uniform: return "uniform";
    case Mapping::time_multiplexed: return "time-multiplexed";
    case Mapping::heterogeneous: return "heterogeneous";
  }
  return "?";
}

std::string describe(const FpgaDesign& d) {
  std::string s = mapping_name(d.mapping) + " " + cm::block_name(d.slot) + " p_in=" + std::to_string(d.p_in) +
                  " lanes=" + std::to_string(d.lanes);
  if (d.mapping == Mapping::heterogeneous) s += " k2_lanes=" + std::to_string(d.lanes_k2);
  if (d.slot == Block::mult_lut || d.slot == Block::mult_dsp) s += " dsp_lanes=" + std::to_string(d.dsp_lanes);
  s += d.fmap_on_chip ? " fmap=on-chip" : " fmap=DDR";
  s += d.weights_on_chip ? " weights=on-chip" : " weights=DDR";
  if (d.unroll_kernel) s += " unroll=CinK2";
  if (d.row_groups > 1) s += " row_groups=" + std::to_string(d.row_groups);
  if (d.requantizers > 0) s += " requantizers=" + std::to_string(d.requantizers);
  return s;
}

namespace {
double ceil_div(double a, double b) { return std::ceil(a / b); }

// BRAM36 blocks for one memory `width_bits` wide and `depth` words deep: the cheapest aspect ratio of a RAMB36
// (72 × 512 … 1 × 32 Ki) or, counted as half a block, of a RAMB18 (36 × 512 … 1 × 16 Ki), tiled over width and depth
// — what Yosys' memory mapping does (a memory never shares a block with another one; docs/rtl.md measured it).
double bram_blocks(const cm::FpgaCostTable& c, double width_bits, double depth) {
  if (width_bits <= 0 || depth <= 0) return 0;
  const double cap = c.fixed_value("bram36_bits"), wmax = c.fixed_value("bram36_max_width");
  const double data36 = cap * 64 / 72;  // 32 Ki data bits (the parity bits only at widths 9, 18, 36, 72)
  double best = 1e300;
  for (double w = wmax; w >= 1; w = std::floor(w / 2)) {
    const double port = w >= 9 ? w / 9 * 8 : w;  // data bits per word at this width
    const double d36 = data36 / port, d18 = d36 / 2;
    best = std::min(best, ceil_div(width_bits, w) * ceil_div(depth, d36));
    if (w <= wmax / 2) best = std::min(best, 0.5 * ceil_div(width_bits, w) * ceil_div(depth, d18));
    if (w == 1) break;
  }
  return best;
}
// One written memory (a feature-map bank) as Yosys maps it for the 7 series: block RAM, or distributed RAM when that
// is cheaper by memory_libmap's costs (a RAMB18 costs 129, a LUTRAM cell 8: RAM32M as 32 × 6 or RAM64M as 64 × 3,
// 4 LUTs each, its synchronous read becoming a register of flip-flops) — measured on the unrolled engines' shallow
// banks (docs/rtl.md).
Resources ram(const cm::FpgaCostTable& c, double width_bits, double depth) {
  const double blocks = bram_blocks(c, width_bits, depth);
  const double cells = std::min(ceil_div(depth, 32) * ceil_div(width_bits, 6), ceil_div(depth, 64) * ceil_div(width_bits, 3));
  if (8 * cells < 258 * blocks) return {4 * cells, width_bits, 0, 0};
  return {0, 0, 0, blocks};
}
}  // namespace

FpgaModel::FpgaModel(Workload workload, cm::Device device, const cm::FpgaCostTable& costs, FpgaLimits limits)
    : workload_(std::move(workload)), device_(std::move(device)), costs_(costs), limits_(limits) {
  validate(workload_);
  clock_mhz_ = limits_.clock_mhz.value_or(device_.clock_mhz);
  for (int i = 0; i < 3; ++i) {
    const char* suffix[] = {"", "_per_bank", "_per_lane"};
    control_lut_[std::size_t(i)] = costs_.fixed_value(std::string("control_lut") + suffix[i]);
    control_ff_[std::size_t(i)] = costs_.fixed_value(std::string("control_ff") + suffix[i]);
  }
  host_ = {costs_.fixed_value("host_interface_lut"), costs_.fixed_value("host_interface_ff"), 0, 0};
  unrolled_lut_ = costs_.fixed_value("control_lut_unrolled_per_slot");
  for (const auto& l : workload_.layers) {
    max_fan_in_ = std::max<int>(max_fan_in_, static_cast<int>(l.fan_in()));
    for (int rows : {l.kernel, l.map_h})
      if (rows > 1 && std::find(row_group_options_.begin(), row_group_options_.end(), rows) == row_group_options_.end()) {
        row_group_options_.push_back(rows);
      }
    if (workload_.format == WeightFormat::pow2) {
      mix_.any_k1 = mix_.any_k1 || l.filters_by_k[1] > 0;
      mix_.any_k2 = mix_.any_k2 || l.filters_by_k[2] > 0;
    }
  }
}

const LaneCost& FpgaModel::lane_cost(Block slot, int p_in, int extra_acc_bits, bool unroll_kernel) const {
  const auto key = std::make_tuple(static_cast<int>(slot), p_in, extra_acc_bits, unroll_kernel);
  if (auto it = lane_cache_.find(key); it != lane_cache_.end()) return it->second;
  const auto lc = slot_kind(slot).lane_cost(workload_, costs_, {p_in, extra_acc_bits, unroll_kernel});
  return lane_cache_.emplace(key, lc).first->second;
}

namespace {
bool is_slot(Block b) {
  return b == Block::shift_k1 || b == Block::shift_k2 || b == Block::mult_lut || b == Block::mult_dsp ||
         b == Block::fp32_mult;
}
}  // namespace

FpgaEvaluation FpgaModel::evaluate(const FpgaDesign& d) const {
  if (d.requantizers > 0) return evaluate_with(d);
  if (d.slot == Block::fp32_mult) {  // no requantizer (fp32 activations): outputs leave one per bank and cycle
    FpgaDesign df = d;
    df.requantizers = std::max(1, std::min(d.p_in / std::max(1, d.row_groups), d.lanes + d.lanes_k2));
    return evaluate_with(df);
  }
  // The options have distinct drains (⌈lanes / R⌉), and every layer's drain is in its fill, so more requantizers
  // are always faster: the first option that fits is the fastest; when none fits, the smallest says why.  Options
  // differ in resources only by their requantizers, so the ones that cannot fit are skipped without evaluating them.
  auto& options = options_;
  requantizer_options(d, workload_, options);
  FpgaDesign dr = d;
  dr.requantizers = options.front();
  auto ev = evaluate_with(dr);
  if (ev.fits || options.size() == 1 || (!ev.reason.empty() && ev.used.lut == 0)) return ev;  // rejected before costing
  const Resources one = (1.0 / options.front()) * ev.breakdown.requant;
  for (std::size_t i = 1; i < options.size(); ++i) {
    const Resources used = ev.used + double(options[i] - options.front()) * one;
    if (i + 1 < options.size() && !within_budget(used)) continue;
    dr.requantizers = options[i];
    return evaluate_with(dr);
  }
  return ev;
}

FpgaEvaluation FpgaModel::evaluate_with(const FpgaDesign& d) const {
  FpgaEvaluation ev;
  ev.design = d;
  ev.clock_mhz = clock_mhz_;
  FLIGHT_CHECK(d.p_in >= 1 && d.lanes >= 0 && d.lanes_k2 >= 0 && d.dsp_lanes >= 0, "design sizes");
  auto reject = [&](std::string why) {
    ev.fits = false;
    ev.reason = std::move(why);
    return ev;
  };
  if (!is_slot(d.slot) || !slot_kind(d.slot).runs(workload_.format)) {
    return reject("slot " + cm::block_name(d.slot) + " cannot run this weight format");
  }
  const auto& mapping = mapping_strategy(d.mapping);
  if (auto why = mapping.reject(d, mix_); !why.empty()) return reject(why);
  if (d.lanes + d.lanes_k2 == 0) return reject("no lanes");
  if (d.dsp_lanes > d.lanes) return reject("more DSP lanes than lanes");
  if (d.lanes_k2 != 0 && d.mapping != Mapping::heterogeneous) return reject("k2 lanes are for the heterogeneous mapping");
  if (d.row_groups < 1) return reject("row_groups must be at least 1");
  if (d.row_groups > 1 && (!d.unroll_kernel || !d.fmap_on_chip || d.p_in % d.row_groups != 0)) {
    return reject("row groups need the unrolled window, on-chip feature maps and p_in a multiple of row_groups");
  }

  // ---- resources: the lanes the mapping asks for, then control and buffers ----
  int tree_depth = 0;
  double weight_width_bits = 0;  // weight bits consumed per cycle by all slots
  // The requantizer of the widest lane; with DSP slices only when every lane's multipliers are DSPs (a LUT/DSP hybrid
  // spends its DSP budget on slots, so its requantizers stay in LUTs).
  Resources one_requant;
  bool all_dsp = true;
  for (const auto& g : mapping.lane_groups(d, mix_)) {
    const auto& lc = lane_cost(g.slot, d.p_in, g.extra_acc_bits, d.unroll_kernel);
    ev.breakdown.slots += double(g.lanes) * lc.slots;
    ev.breakdown.adder_trees += double(g.lanes) * lc.tree;
    ev.breakdown.accumulators += double(g.lanes) * lc.acc;
    if (g.lanes == 0) continue;  // e.g. the LUT-multiplier group of an all-DSP design
    all_dsp = all_dsp && g.slot == Block::mult_dsp;
    if (lc.acc_bits >= ev.acc_bits) one_requant = lc.requant;
    ev.acc_bits = std::max(ev.acc_bits, lc.acc_bits);
    tree_depth = std::max(tree_depth, lc.tree_depth);
    weight_width_bits += double(g.lanes) * d.p_in * slot_kind(g.slot).weight_bits(workload_);
  }
  if (!all_dsp && one_requant.dsp > 0) {
    one_requant = cm::block_cost(costs_, Block::requant, {workload_.a_bits, 0, 0, ev.acc_bits});
  }
  if (d.requantizers > d.p_in / std::max(1, d.row_groups)) {
    return reject("more requantizers than feature-map banks (p_in, per row group)");
  }
  if (d.requantizers > d.lanes + d.lanes_k2) return reject("more requantizers than lanes");
  ev.requantizers = d.requantizers;
  ev.breakdown.requant = double(ev.requantizers) * one_requant;
  // Control (FSM, address counters, per-bank read-modify-write, drain latches), measured on the RTL: a constant, a
  // term per feature-map bank (p_in) and one per lane (cost_models/data/fpga_fixed_costs.csv, docs/rtl.md).
  // Unrolled with row groups, the G copies of a bank take the same writes: their drain addresses and enables are
  // shared (each bank keeps its read-modify-write compare), a term per bank of one copy (p_in / G).  The unrolled window's read path (per-bank address adders, the rotator, per-slot
  // masks) adds a term per slot column (measured on the RTL, docs/rtl.md).
  const double lanes = double(d.lanes + d.lanes_k2);
  const double banks = d.unroll_kernel ? double(d.p_in / std::max(1, d.row_groups)) : double(d.p_in);
  auto control = [&](const std::array<double, 3>& c) { return c[0] + c[1] * banks + c[2] * lanes; };
  ev.breakdown.control = {control(control_lut_) + (d.unroll_kernel ? unrolled_lut_ * d.p_in : 0.0),
                          control(control_ff_), 0, 0};
  ev.breakdown.host = host_;
  ev.breakdown.weight_buffer.bram36 = weight_buffer_bram36(d, weight_width_bits);
  if (d.unroll_kernel && d.weights_on_chip) {
    // Unrolled, the ROM holds a word per tile pass and issue cycle, padded where a kernel row does not fill the
    // slots (an fc's single row under row groups uses 1/G of them): count the words the engine stores.
    double words = 0;
    for (std::size_t i = 0; i < workload_.layers.size(); ++i) {
      const auto& l = workload_.layers[i];
      words += mapping.tiles(l, d, workload_.format).passes() *
               double(l.pixel_cycles(d.p_in, true, i == 0, d.row_groups));
    }
    ev.breakdown.weight_buffer.bram36 = bram_blocks(costs_, weight_width_bits, words);
  }
  ev.breakdown.fmap_buffer = fmap_buffer(d);
  ev.used = ev.breakdown.total();
  ev.lut_pct = 100.0 * ev.used.lut / device_.lut;
  ev.ff_pct = 100.0 * ev.used.ff / device_.ff;
  ev.dsp_pct = 100.0 * ev.used.dsp / device_.dsp;
  ev.bram_pct = 100.0 * ev.used.bram36 / device_.bram36;

  // ---- cycles: each layer's tiles from the mapping ----
  // Per-layer overhead as measured on the engine's RTL (docs/rtl.md): pipeline_fill_cycles (one INIT cycle and the
  // stages after a layer's last issue) + the adder tree's depth; layer_timing adds the drain of the last pixel.
  const double fill = costs_.fixed_value("pipeline_fill_cycles") + tree_depth;
  for (std::size_t i = 0; i < workload_.layers.size(); ++i) {
    const auto& l = workload_.layers[i];
    ev.layers.push_back(layer_timing(d, i, mapping.tiles(l, d, workload_.format), fill, ev.requantizers));
    ev.cycles_per_image += ev.layers.back().cycles;
  }
  ev.latency_s = ev.cycles_per_image / (clock_mhz_ * 1e6);
  ev.images_per_s = 1.0 / ev.latency_s;

  // ---- fit ----
  if (auto why = over_budget(ev.used); !why.empty()) return reject(why);
  ev.fits = true;
  return ev;
}

double FpgaModel::weight_buffer_bram36(const FpgaDesign& d, double weight_width_bits) const {
  // One memory as wide as every slot's weight bits: all weights of the network, or a double-buffered tile of filters
  // (every lane's filter) at the widest fan-in.
  double all_weight_bits = 0;
  for (const auto& l : workload_.layers) all_weight_bits += double(workload_.weight_bits_of(l));
  const double depth = d.weights_on_chip ? std::ceil(all_weight_bits / weight_width_bits)
                                         : 2.0 * std::ceil(double(max_fan_in_) / d.p_in);
  return bram_blocks(costs_, weight_width_bits, depth);
}

Resources FpgaModel::fmap_buffer(const FpgaDesign& d) const {
  // p_in banks of A-bit words (channel c in bank c mod p_in), twice (ping-pong: a layer's input and output), or, with
  // feature maps in DDR, a line buffer of K + stride rows.
  double depth = 0;
  for (const auto& l : workload_.layers) {
    if (d.unroll_kernel && d.fmap_on_chip) {
      // Unrolled: pixel-major maps, value i of the map in bank i mod p_in (no bank holds a padding group); an input
      // layer read by kernel-row groups holds a copy of the image in each group of b banks.
      // Row groups G > 1: every map in G copies of p_in / G banks.
      // A layer's output is the next layer's input (pooled, as stored); the classifier's output is one word a class.
      const int g = std::max(1, d.row_groups), banks = d.p_in / g;
      const int b = g == 1 && &l == &workload_.layers.front() ? l.input_row_group_banks(d.p_in) : 0;
      depth = std::max({depth, std::ceil(double(l.in_activations()) / (b > 0 ? b : banks)),
                        std::ceil(double(l.c_out) / banks)});
      continue;
    }
    const double groups = std::ceil(double(l.c_in) / d.p_in);
    depth = std::max(depth, d.fmap_on_chip
                                ? std::max(groups * l.h_in * l.w_in, std::ceil(double(l.c_out) / d.p_in) * l.h_out * l.w_out)
                                : double(l.kernel + l.stride) * l.w_in * groups);
  }
  return (d.fmap_on_chip ? 2.0 : 1.0) * d.p_in * ram(costs_, workload_.a_bits, depth);
}

std::vector<int> requantizer_options(const FpgaDesign& d, const Workload& w) {
  std::vector<int> r;
  requantizer_options(d, w, r);
  return r;
}

void requantizer_options(const FpgaDesign& d, const Workload& w, std::vector<int>& r) {
  const long lanes = long(d.lanes) + d.lanes_k2;
  r.assign(1, 1);
  if (lanes < 1) return;
  for (std::size_t i = 0; i + 1 < w.layers.size(); ++i) {
    const long pixel = std::max<long>(1, w.layers[i].pixel_cycles(d.p_in, d.unroll_kernel, i == 0, d.row_groups));
    r.push_back(int(std::min<long>((lanes + pixel - 1) / pixel, std::max(1, d.p_in / std::max(1, d.row_groups)))));
  }
  // The fewest requantizers with the same drain: R and ⌈lanes / ⌈lanes / R⌉⌉ drain in as many cycles.
  for (auto& x : r) {
    const long drain = (lanes + x - 1) / std::max(1, x);
    x = int((lanes + drain - 1) / std::max(1L, drain));
  }
  std::sort(r.begin(), r.end(), std::greater<>());
  r.erase(std::unique(r.begin(), r.end()), r.end());
}

LayerTiming FpgaModel::layer_timing(const FpgaDesign& d, std::size_t i, TileCount tiles, double fill,
                                    int requant_count) const {
  const auto& l = workload_.layers[i];
  LayerTiming t;
  t.name = l.name;
  // A finished pixel's sums leave through the R requantizers, R lanes per cycle (the classifier: one class per
  // cycle); a pixel shorter than that waits for it (the RTL's schedule, docs/rtl.md).
  const double lanes = double(d.lanes + d.lanes_k2);
  const double drain = i + 1 == workload_.layers.size() ? lanes : ceil_div(lanes, requant_count);
  const double per_pixel = double(l.pixel_cycles(d.p_in, d.unroll_kernel, i == 0, d.row_groups));
  t.compute_cycles = double(l.h_out) * l.w_out *
                     ((tiles.count - tiles.two_pass) * std::max(per_pixel, drain) +
                      tiles.two_pass * std::max(2 * per_pixel, drain));
  double bytes = d.weights_on_chip ? 0.0 : double(workload_.weight_bits_of(l)) / 8.0;
  const double in_bytes = double(l.in_activations()) * workload_.a_bits / 8.0;
  const double out_bytes = double(l.out_activations()) * workload_.a_bits / 8.0;
  if (d.fmap_on_chip) {
    if (i == 0) bytes += in_bytes;
    if (i + 1 == workload_.layers.size()) bytes += out_bytes;
  } else {
    bytes += in_bytes * std::max(1.0, tiles.passes()) + out_bytes;  // the input is re-read for every pass of filters
  }
  const double ddr_bytes_per_cycle = device_.ddr_bytes_per_s / (clock_mhz_ * 1e6);
  t.ddr_bytes = bytes;
  t.memory_cycles = bytes / ddr_bytes_per_cycle;
  t.fill_cycles = fill + drain;
  t.memory_bound = t.memory_cycles > t.compute_cycles;
  t.cycles = std::max(t.compute_cycles, t.memory_cycles) + t.fill_cycles;
  const double slots = double(d.p_in) * (d.lanes + d.lanes_k2);
  t.utilization = t.cycles > 0 ? double(l.macs()) / (slots * t.cycles) : 0;
  return t;
}

bool FpgaModel::within_budget(const Resources& used) const {
  return used.lut <= limits_.lut_cap * device_.lut && used.ff <= limits_.ff_cap * device_.ff &&
         used.dsp <= limits_.dsp_cap * device_.dsp && used.bram36 <= limits_.bram_cap * device_.bram36;
}

std::string FpgaModel::over_budget(const Resources& used) const {
  auto over = [&](const char* what, double amount, double cap, double total) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s %.0f exceeds %.0f %% of the device's %.0f", what, amount, cap * 100, total);
    return std::string(buf);
  };
  if (used.lut > limits_.lut_cap * device_.lut) return over("LUT", used.lut, limits_.lut_cap, device_.lut);
  if (used.ff > limits_.ff_cap * device_.ff) return over("FF", used.ff, limits_.ff_cap, device_.ff);
  if (used.dsp > limits_.dsp_cap * device_.dsp) return over("DSP", used.dsp, limits_.dsp_cap, device_.dsp);
  if (used.bram36 > limits_.bram_cap * device_.bram36) {
    return over("BRAM36", used.bram36, limits_.bram_cap, device_.bram36);
  }
  return {};
}

SearchResult FpgaModel::search(std::optional<Mapping> only,
                               const std::function<bool(const FpgaDesign&)>& admit) const {
  SearchResult r;
  const std::function<bool(const FpgaDesign&)> consider = [&](const FpgaDesign& d) {
    if (admit && !admit(d)) return true;  // skipped, but larger designs of the sweep may still be admitted
    const auto ev = evaluate(d);
    ++r.candidates;
    if (!ev.fits) {
      if (!r.found && r.reason.empty()) r.reason = ev.reason;
      // The lane sweep stops at the first design that does not fit — its logic (LUT, FF, DSP) grows with the lanes,
      // and a refused structure stays refused — except when only its block RAM is over: that does not grow with the
      // lanes (the weight buffer holds ⌈filters / lanes⌉ filters per bank of each layer, so 63 lanes can need more
      // BRAM than 64), and a wider design further on may fit.
      const bool logic_fits = ev.used.lut > 0 && ev.used.lut <= limits_.lut_cap * device_.lut &&
                              ev.used.ff <= limits_.ff_cap * device_.ff && ev.used.dsp <= limits_.dsp_cap * device_.dsp;
      return logic_fits;
    }
    ++r.feasible;
    if (!r.found || ev.images_per_s > r.best.images_per_s * (1 + 1e-12) ||
        (ev.images_per_s >= r.best.images_per_s * (1 - 1e-12) && ev.used.lut < r.best.used.lut)) {
      r.best = ev;
      r.found = true;
    }
    return true;
  };
  for (int p_in = 1; p_in <= 128; ++p_in) {
    for (int variant = 0; variant < 8; ++variant) {
      FpgaDesign d;
      d.p_in = p_in;
      d.fmap_on_chip = (variant & 1) == 0;
      d.weights_on_chip = (variant & 2) != 0;
      d.unroll_kernel = (variant & 4) != 0;
      // Row groups: 1, and for the unrolled window with on-chip maps each kernel height of the network.
      for (int g : row_group_options_) {
        if (g > 1 && (!d.unroll_kernel || !d.fmap_on_chip || p_in % g != 0)) continue;
        d.row_groups = g;
        for (const auto* m : mapping_strategies())
          if (!only || m->id() == *only) m->candidates(d, *this, mix_, consider);
      }
    }
  }
  return r;
}

}  // namespace flight::sim
