// fp32_mult: the FP32 reference slot.  Its lane adds in fp32: an fp32 adder per tree node and one as the
// accumulator; activations stay fp32, so there is no requantizer (the ReLU is a sign-bit gate, not modelled).
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace cm = flight::cost_models;
namespace {
class Fp32 final : public SlotKind {
 public:
  Block block() const override { return Block::fp32_mult; }
  bool runs(WeightFormat f) const override { return f == WeightFormat::fp32; }
  int weight_bits(const Workload&) const override { return 32; }
  LaneCost lane_cost(const Workload& w, const cm::FpgaCostTable& c, const LaneSpec& s) const override {
    LaneCost lc;
    lc.slots = double(s.p_in) * cm::block_cost(c, Block::fp32_mult, {w.a_bits, w.e_bits, w.n_bits, 0});
    const auto add = cm::block_cost(c, Block::fp32_add, {});
    lc.tree = double(s.p_in - 1) * add;
    for (int count = s.p_in; count > 1; count = (count + 1) / 2) ++lc.tree_depth;
    lc.acc = add;
    lc.acc_bits = 32;
    return lc;
  }
};
}  // namespace
const SlotKind& fp32_slot() {
  static const Fp32 kind;
  return kind;
}
}  // namespace flight::sim
