// mult_lut and mult_dsp: an n-bit signed weight times an A-bit activation, in LUTs or in a DSP slice.  Run the
// fixed-point formats; a design may mix the two (DSP lanes up to the DSP budget, the rest in LUTs).
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace {
class Mult final : public SlotKind {
 public:
  explicit Mult(Block b) : block_(b) {}
  Block block() const override { return block_; }
  bool runs(WeightFormat f) const override { return f == WeightFormat::fixed; }
  int weight_bits(const Workload& w) const override { return w.n_bits; }

 private:
  Block block_;
};
}  // namespace
const SlotKind& mult_lut_slot() {
  static const Mult kind(Block::mult_lut);
  return kind;
}
const SlotKind& mult_dsp_slot() {
  static const Mult kind(Block::mult_dsp);
  return kind;
}
}  // namespace flight::sim
