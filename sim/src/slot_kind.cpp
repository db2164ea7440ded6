#include "flight/sim/slot_kind.hpp"

#include <algorithm>
#include <cmath>

#include "flight/core/error.hpp"

namespace flight::sim {
namespace cm = flight::cost_models;

// The registry: one object per slot kind, defined in sim/src/slots/.
const SlotKind& shift_k1_slot();
const SlotKind& shift_k2_slot();
const SlotKind& mult_lut_slot();
const SlotKind& mult_dsp_slot();
const SlotKind& fp32_slot();

const SlotKind& slot_kind(Block b) {
  switch (b) {
    case Block::shift_k1: return shift_k1_slot();
    case Block::shift_k2: return shift_k2_slot();
    case Block::mult_lut: return mult_lut_slot();
    case Block::mult_dsp: return mult_dsp_slot();
    case Block::fp32_mult: return fp32_slot();
    default: break;
  }
  throw InternalError("block " + cm::block_name(b) + " is not a slot kind");
}

namespace {
int ceil_log2(long v) {
  int b = 0;
  while ((1L << b) < v) ++b;
  return b;
}
}  // namespace

LaneCost SlotKind::lane_cost(const Workload& w, const cm::FpgaCostTable& c, const LaneSpec& s) const {
  const cm::BlockParams p{w.a_bits, w.e_bits, w.n_bits, 0};
  LaneCost lc;
  lc.slots = double(s.p_in) * cm::block_cost(c, block(), p);
  // Registered adder tree: level l adds pairs of (width + l − 1)-bit values.
  int count = s.p_in, width = cm::block_output_width(block(), p);
  while (count > 1) {
    lc.tree += double(count / 2) * cm::block_cost(c, Block::adder, {0, 0, 0, width});
    count = (count + 1) / 2;
    ++width;
    ++lc.tree_depth;
  }
  // The accumulator must hold a sum over ⌈C_in / p_in⌉·K² (unrolled: LayerWork::pixel_cycles without row groups,
  // which is at least the count with them) tree outputs of the worst layer, plus the extra bits the mapping asks for.
  long steps = 1;
  for (const auto& l : w.layers) {
    const long per_output = long(l.pixel_cycles(s.p_in, s.unroll_kernel, &l == &w.layers.front()));
    steps = std::max(steps, per_output);
  }
  lc.acc_bits = width + ceil_log2(steps) + s.extra_acc_bits;
  // The accumulator adder (registered), plus what the engine's lane adds around it, measured on the RTL
  // (docs/rtl.md): the multiplexer that starts a pixel's sum (a LUT per bit) and the register that holds the
  // finished sum while the next pixel accumulates (a flip-flop per bit).
  lc.acc = cm::block_cost(c, Block::adder, {0, 0, 0, lc.acc_bits}) +
           Resources{double(lc.acc_bits), double(lc.acc_bits), 0, 0};
  lc.requant = cm::block_cost(c, block() == Block::mult_dsp ? Block::requant_dsp : Block::requant,
                              {w.a_bits, 0, 0, lc.acc_bits});
  return lc;
}

}  // namespace flight::sim
