// shift_k1: one (sign, exponent) power-of-two term times an A-bit activation — a barrel shifter and a conditional
// negate.  Runs k = 1 filters; the time-multiplexed and heterogeneous mappings also build on it.
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace {
class ShiftK1 final : public SlotKind {
 public:
  Block block() const override { return Block::shift_k1; }
  bool runs(WeightFormat f) const override { return f == WeightFormat::pow2; }
  int weight_bits(const Workload& w) const override { return 1 + w.e_bits; }
};
}  // namespace
const SlotKind& shift_k1_slot() {
  static const ShiftK1 kind;
  return kind;
}
}  // namespace flight::sim
