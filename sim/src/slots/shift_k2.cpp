// shift_k2: two power-of-two terms — two shifters, two conditional negates and an adder.  Runs k = 2 filters, and
// k = 1 filters with a zero second term.
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace {
class ShiftK2 final : public SlotKind {
 public:
  Block block() const override { return Block::shift_k2; }
  bool runs(WeightFormat f) const override { return f == WeightFormat::pow2; }
  int weight_bits(const Workload& w) const override { return 2 * (1 + w.e_bits); }
};
}  // namespace
const SlotKind& shift_k2_slot() {
  static const ShiftK2 kind;
  return kind;
}
}  // namespace flight::sim
