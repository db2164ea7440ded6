#include "flight/sim/fpga.hpp"

#include <algorithm>
#include <cmath>

#include "flight/core/error.hpp"

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
  return s;
}

namespace {
int ceil_log2(long v) {
  int b = 0;
  while ((1L << b) < v) ++b;
  return b;
}
double ceil_div(double a, double b) { return std::ceil(a / b); }

// BRAM36 blocks for a buffer of `bits` capacity that must deliver `width_bits` per cycle.
double bram_blocks(const cm::FpgaCostTable& c, double bits, double width_bits) {
  const double cap = c.fixed_value("bram36_bits"), wmax = c.fixed_value("bram36_max_width");
  return std::max(ceil_div(bits, cap), ceil_div(width_bits, wmax));
}
}  // namespace

FpgaModel::FpgaModel(Workload workload, cm::Device device, const cm::FpgaCostTable& costs, FpgaLimits limits)
    : workload_(std::move(workload)), device_(std::move(device)), costs_(costs), limits_(limits) {
  validate(workload_);
  clock_mhz_ = limits_.clock_mhz > 0 ? limits_.clock_mhz : device_.clock_mhz;
  for (const auto& l : workload_.layers) {
    max_fan_in_ = std::max<int>(max_fan_in_, static_cast<int>(l.fan_in()));
    if (workload_.format == WeightFormat::pow2) {
      any_k1_ = any_k1_ || l.filters_by_k[1] > 0;
      any_k2_ = any_k2_ || l.filters_by_k[2] > 0;
    }
  }
}

int FpgaModel::slot_weight_bits(Block slot) const {
  switch (slot) {
    case Block::shift_k1: return 1 + workload_.e_bits;
    case Block::shift_k2: return 2 * (1 + workload_.e_bits);
    case Block::fp32_mult: return 32;
    default: return workload_.n_bits;
  }
}

const FpgaModel::LaneCost& FpgaModel::lane_cost(Block slot, int p_in, bool dsp, int extra_acc_bits,
                                                 bool unroll_kernel) const {
  const Block kind = (slot == Block::mult_lut || slot == Block::mult_dsp) ? (dsp ? Block::mult_dsp : Block::mult_lut)
                                                                          : slot;
  const auto key = std::make_tuple(static_cast<int>(kind), p_in, dsp, extra_acc_bits, unroll_kernel);
  if (auto it = lane_cache_.find(key); it != lane_cache_.end()) return it->second;
  cm::BlockParams p{workload_.a_bits, workload_.e_bits, workload_.n_bits, 0};
  LaneCost lc;
  lc.slots = double(p_in) * cm::block_cost(costs_, kind, p);
  if (kind == Block::fp32_mult) {
    // fp32 reference lane: an fp32 adder per tree node and one as the accumulator; activations stay fp32, so
    // there is no requantizer (the ReLU is a sign-bit gate, not modelled).
    const auto add = cm::block_cost(costs_, Block::fp32_add, {});
    lc.tree = double(p_in - 1) * add;
    for (int count = p_in; count > 1; count = (count + 1) / 2) ++lc.tree_depth;
    lc.acc = add;
    lc.acc_bits = 32;
    return lane_cache_.emplace(key, lc).first->second;
  }
  // Registered adder tree: level l adds pairs of (width + l − 1)-bit values.
  const int sw = cm::block_output_width(kind, p);
  int count = p_in, width = sw;
  while (count > 1) {
    lc.tree += double(count / 2) * cm::block_cost(costs_, Block::adder, {0, 0, 0, width});
    count = (count + 1) / 2;
    ++width;
    ++lc.tree_depth;
  }
  // The accumulator must hold a sum over ⌈C_in / p_in⌉·K² (unrolled: ⌈C_in·K² / p_in⌉) tree outputs of the worst
  // layer (+1 bit when a k=2 filter accumulates two passes).
  long steps = 1;
  for (const auto& l : workload_.layers) {
    steps = std::max<long>(steps, unroll_kernel ? static_cast<long>(ceil_div(double(l.fan_in()), p_in))
                                                : static_cast<long>(ceil_div(double(l.c_in), p_in)) * l.kernel * l.kernel);
  }
  lc.acc_bits = width + ceil_log2(steps) + extra_acc_bits;
  lc.acc = cm::block_cost(costs_, Block::adder, {0, 0, 0, lc.acc_bits});
  lc.requant = cm::block_cost(costs_, Block::requant, {workload_.a_bits, 0, 0, lc.acc_bits});
  return lane_cache_.emplace(key, lc).first->second;
}

FpgaEvaluation FpgaModel::evaluate(const FpgaDesign& d) const {
  FpgaEvaluation ev;
  ev.design = d;
  ev.clock_mhz = clock_mhz_;
  const bool pow2 = workload_.format == WeightFormat::pow2;
  const bool fp32 = workload_.format == WeightFormat::fp32;
  const bool mult = d.slot == Block::mult_lut || d.slot == Block::mult_dsp || d.slot == Block::fp32_mult;
  FLIGHT_CHECK(d.p_in >= 1 && d.lanes >= 0 && d.lanes_k2 >= 0 && d.dsp_lanes >= 0, "design sizes");
  auto reject = [&](std::string why) {
    ev.fits = false;
    ev.reason = std::move(why);
    return ev;
  };
  if (pow2 == mult || fp32 != (d.slot == Block::fp32_mult)) {
    return reject("slot " + cm::block_name(d.slot) + " cannot run this weight format");
  }
  if (d.mapping != Mapping::uniform && d.slot != Block::shift_k1) {
    return reject(mapping_name(d.mapping) + " mapping uses shift_k1 slots");
  }
  const bool any_k1 = any_k1_, any_k2 = any_k2_;
  if (d.mapping == Mapping::uniform && d.slot == Block::shift_k1 && any_k2) {
    return reject("k=2 filters need shift_k2 slots or a time-multiplexed mapping");
  }
  if (d.mapping == Mapping::heterogeneous && ((any_k2 && d.lanes_k2 == 0) || (any_k1 && d.lanes == 0))) {
    return reject("heterogeneous mapping needs lanes of both kinds for this filter mix");
  }
  if (d.lanes + d.lanes_k2 == 0) return reject("no lanes");
  if (d.dsp_lanes > d.lanes) return reject("more DSP lanes than lanes");

  // ---- resources ----
  const int extra = d.mapping == Mapping::time_multiplexed && any_k2 ? 1 : 0;
  auto add_lanes = [&](const LaneCost& lc, int n) {
    ev.breakdown.slots += double(n) * lc.slots;
    ev.breakdown.adder_trees += double(n) * lc.tree;
    ev.breakdown.accumulators += double(n) * lc.acc;
    ev.breakdown.requant += double(n) * lc.requant;
    ev.acc_bits = std::max(ev.acc_bits, lc.acc_bits);
  };
  int tree_depth = 0;
  double weight_width_bits = 0;  // weight bits consumed per cycle by all slots
  if (fp32) {
    const auto& lc = lane_cost(Block::fp32_mult, d.p_in, false, 0, d.unroll_kernel);
    add_lanes(lc, d.lanes);
    tree_depth = lc.tree_depth;
    weight_width_bits = double(d.lanes) * d.p_in * 32;
  } else if (mult) {
    const auto& lut_lane = lane_cost(Block::mult_lut, d.p_in, false, 0, d.unroll_kernel);
    add_lanes(lut_lane, d.lanes - d.dsp_lanes);
    if (d.dsp_lanes > 0) add_lanes(lane_cost(Block::mult_dsp, d.p_in, true, 0, d.unroll_kernel), d.dsp_lanes);
    tree_depth = lut_lane.tree_depth;
    weight_width_bits = double(d.lanes) * d.p_in * slot_weight_bits(d.slot);
  } else if (d.mapping == Mapping::heterogeneous) {
    const auto& k1 = lane_cost(Block::shift_k1, d.p_in, false, 0, d.unroll_kernel);
    const auto& k2 = lane_cost(Block::shift_k2, d.p_in, false, 0, d.unroll_kernel);
    add_lanes(k1, d.lanes);
    add_lanes(k2, d.lanes_k2);
    tree_depth = k2.tree_depth;
    weight_width_bits = double(d.p_in) * (d.lanes * slot_weight_bits(Block::shift_k1) +
                                          d.lanes_k2 * slot_weight_bits(Block::shift_k2));
  } else {
    const auto& lc = lane_cost(d.slot, d.p_in, false, extra, d.unroll_kernel);
    add_lanes(lc, d.lanes);
    tree_depth = lc.tree_depth;
    weight_width_bits = double(d.lanes) * d.p_in * slot_weight_bits(d.slot);
  }
  ev.breakdown.control = {costs_.fixed_value("control_lut"), costs_.fixed_value("control_ff"), 0, 0};
  // Weight buffer: all weights of the network, or double-buffered weights of one tile of filters (every lane's
  // filter) at the widest fan-in.
  double all_weight_bits = 0;
  for (const auto& l : workload_.layers) all_weight_bits += double(workload_.weight_bits_of(l));
  ev.breakdown.weight_buffer.bram36 =
      bram_blocks(costs_, d.weights_on_chip ? all_weight_bits : 2.0 * weight_width_bits / d.p_in * max_fan_in_,
                  weight_width_bits);
  // Feature maps: ping-pong buffers holding a layer's input and output, or a line buffer of K + stride rows.
  double fmap_bits = 0;
  for (const auto& l : workload_.layers) {
    fmap_bits = std::max(fmap_bits, d.fmap_on_chip
                                        ? double(l.in_activations() + l.out_activations()) * workload_.a_bits
                                        : double(l.kernel + l.stride) * l.w_in * l.c_in * workload_.a_bits);
  }
  ev.breakdown.fmap_buffer.bram36 = bram_blocks(costs_, fmap_bits, double(d.p_in) * workload_.a_bits);
  ev.used = ev.breakdown.total();
  ev.lut_pct = 100.0 * ev.used.lut / device_.lut;
  ev.ff_pct = 100.0 * ev.used.ff / device_.ff;
  ev.dsp_pct = 100.0 * ev.used.dsp / device_.dsp;
  ev.bram_pct = 100.0 * ev.used.bram36 / device_.bram36;

  // ---- cycles ----
  const double ddr_bytes_per_cycle = device_.ddr_bytes_per_s / (clock_mhz_ * 1e6);
  const double fill = costs_.fixed_value("pipeline_fill_cycles") + tree_depth + 2;
  for (std::size_t i = 0; i < workload_.layers.size(); ++i) {
    const auto& l = workload_.layers[i];
    LayerTiming t;
    t.name = l.name;
    const double inner = d.unroll_kernel ? ceil_div(double(l.fan_in()), d.p_in) * l.h_out * l.w_out
                                         : ceil_div(l.c_in, d.p_in) * l.h_out * l.w_out * l.kernel * l.kernel;
    double passes = l.c_out;  // filter passes over the lanes
    double tiles = 0;
    if (!pow2) {
      tiles = ceil_div(l.c_out, d.lanes);
    } else if (d.mapping == Mapping::uniform) {
      passes = l.filters_by_k[1] + l.filters_by_k[2];
      tiles = ceil_div(passes, d.lanes);
    } else if (d.mapping == Mapping::time_multiplexed) {
      passes = l.filters_by_k[1] + 2.0 * l.filters_by_k[2];
      tiles = ceil_div(passes, d.lanes);
    } else {
      const double t1 = l.filters_by_k[1] ? ceil_div(l.filters_by_k[1], d.lanes) : 0;
      const double t2 = l.filters_by_k[2] ? ceil_div(l.filters_by_k[2], d.lanes_k2) : 0;
      tiles = std::max(t1, t2);
    }
    t.compute_cycles = tiles * inner;
    double bytes = d.weights_on_chip ? 0.0 : double(workload_.weight_bits_of(l)) / 8.0;
    const double in_bytes = double(l.in_activations()) * workload_.a_bits / 8.0;
    const double out_bytes = double(l.out_activations()) * workload_.a_bits / 8.0;
    if (d.fmap_on_chip) {
      if (i == 0) bytes += in_bytes;
      if (i + 1 == workload_.layers.size()) bytes += out_bytes;
    } else {
      bytes += in_bytes * std::max(1.0, tiles) + out_bytes;  // the input is re-read for every tile of filters
    }
    t.ddr_bytes = bytes;
    t.memory_cycles = bytes / ddr_bytes_per_cycle;
    t.fill_cycles = fill;
    t.memory_bound = t.memory_cycles > t.compute_cycles;
    t.cycles = std::max(t.compute_cycles, t.memory_cycles) + fill;
    const double slots = double(d.p_in) * (d.lanes + d.lanes_k2);
    t.utilization = t.cycles > 0 ? double(l.macs()) / (slots * t.cycles) : 0;
    ev.cycles_per_image += t.cycles;
    ev.layers.push_back(t);
  }
  ev.latency_s = ev.cycles_per_image / (clock_mhz_ * 1e6);
  ev.images_per_s = 1.0 / ev.latency_s;

  // ---- fit ----
  auto over = [&](const char* what, double used, double cap, double total) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s %.0f exceeds %.0f %% of the device's %.0f", what, used, cap * 100, total);
    return std::string(buf);
  };
  ev.fits = true;
  if (ev.used.lut > limits_.lut_cap * device_.lut) return reject(over("LUT", ev.used.lut, limits_.lut_cap, device_.lut));
  if (ev.used.ff > limits_.ff_cap * device_.ff) return reject(over("FF", ev.used.ff, limits_.ff_cap, device_.ff));
  if (ev.used.dsp > limits_.dsp_cap * device_.dsp) return reject(over("DSP", ev.used.dsp, limits_.dsp_cap, device_.dsp));
  if (ev.used.bram36 > limits_.bram_cap * device_.bram36) {
    return reject(over("BRAM36", ev.used.bram36, limits_.bram_cap, device_.bram36));
  }
  return ev;
}

SearchResult FpgaModel::search() const {
  SearchResult r;
  const bool pow2 = workload_.format == WeightFormat::pow2;
  const bool any_k1 = any_k1_, any_k2 = any_k2_;
  auto consider = [&](const FpgaDesign& d) {
    const auto ev = evaluate(d);
    ++r.candidates;
    if (!ev.fits) {
      if (!r.found && r.reason.empty()) r.reason = ev.reason;
      return false;
    }
    ++r.feasible;
    if (!r.found || ev.images_per_s > r.best.images_per_s * (1 + 1e-12) ||
        (ev.images_per_s >= r.best.images_per_s * (1 - 1e-12) && ev.used.lut < r.best.used.lut)) {
      r.best = ev;
      r.found = true;
    }
    return true;
  };
  // Resources grow with the lane count, so the first design that does not fit ends a lane sweep.
  auto sweep_lanes = [&](FpgaDesign d, bool all_dsp) {
    for (int lanes = 1; lanes <= 1024; ++lanes) {
      d.lanes = lanes;
      if (all_dsp) d.dsp_lanes = lanes;
      if (!consider(d)) break;
    }
  };
  static const int geometric[] = {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256,
                                  320, 384, 512};
  for (int p_in = 1; p_in <= 128; ++p_in) {
    for (int variant = 0; variant < 8; ++variant) {
      FpgaDesign d;
      d.p_in = p_in;
      d.fmap_on_chip = (variant & 1) == 0;
      d.weights_on_chip = (variant & 2) != 0;
      d.unroll_kernel = (variant & 4) != 0;
      if (workload_.format == WeightFormat::fp32) {
        d.slot = Block::fp32_mult;
        sweep_lanes(d, false);
        continue;
      }
      if (!pow2) {
        d.slot = Block::mult_lut;
        sweep_lanes(d, false);  // all multipliers in LUTs
        d.slot = Block::mult_dsp;
        sweep_lanes(d, true);   // all in DSP slices
        // Hybrid: as many DSP lanes as the DSP budget allows, the rest in LUTs.
        const auto& dsp_lane = lane_cost(Block::mult_dsp, p_in, true, 0, d.unroll_kernel);
        const int max_dsp_lanes =
            dsp_lane.slots.dsp > 0 ? static_cast<int>(limits_.dsp_cap * device_.dsp / dsp_lane.slots.dsp) : 0;
        if (max_dsp_lanes > 0) {
          d.slot = Block::mult_lut;
          for (int lanes = max_dsp_lanes + 1; lanes <= 1024; ++lanes) {
            d.lanes = lanes;
            d.dsp_lanes = max_dsp_lanes;
            if (!consider(d)) break;
          }
        }
        continue;
      }
      if (!any_k2) {
        d.slot = Block::shift_k1;
        sweep_lanes(d, false);
        continue;
      }
      d.slot = Block::shift_k2;
      sweep_lanes(d, false);
      d.slot = Block::shift_k1;
      d.mapping = Mapping::time_multiplexed;
      sweep_lanes(d, false);
      if (any_k1) {
        d.mapping = Mapping::heterogeneous;
        for (int l1 : geometric) {
          d.lanes = l1;
          for (int l2 : geometric) {
            d.lanes_k2 = l2;
            if (!consider(d)) break;
          }
        }
      }
    }
  }
  return r;
}

}  // namespace flight::sim
