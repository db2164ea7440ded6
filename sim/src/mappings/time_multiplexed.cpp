// Time-multiplexed mapping: shift_k1 slots only; a k = 2 filter takes two passes (its second term in the second),
// so cycles ∝ Σ k_i.  The accumulator gets one more bit to hold the two passes' sum.
#include <cmath>

#include "flight/sim/mapping.hpp"

namespace flight::sim {
namespace {
class TimeMultiplexed final : public MappingStrategy {
 public:
  Mapping id() const override { return Mapping::time_multiplexed; }

  std::string reject(const FpgaDesign& d, const FilterMix&) const override {
    if (d.slot != Block::shift_k1) return mapping_name(id()) + " mapping uses shift_k1 slots";
    return {};
  }

  std::vector<LaneGroup> lane_groups(const FpgaDesign& d, const FilterMix& mix) const override {
    return {{Block::shift_k1, d.lanes, mix.any_k2 ? 1 : 0}};
  }

  double tiles(const LayerWork& l, const FpgaDesign& d, WeightFormat f) const override {
    const double passes = f == WeightFormat::pow2 ? l.filters_by_k[1] + 2.0 * l.filters_by_k[2] : l.c_out;
    return std::ceil(passes / d.lanes);
  }

  void candidates(FpgaDesign d, const FpgaModel& model, const FilterMix& mix,
                  const std::function<bool(const FpgaDesign&)>& consider) const override {
    if (model.workload().format != WeightFormat::pow2 || !mix.any_k2) return;  // uniform shift_k1 is the same
    d.mapping = Mapping::time_multiplexed;
    d.slot = Block::shift_k1;
    sweep_lanes(d, false, consider);
  }
};
}  // namespace
const MappingStrategy& time_multiplexed_mapping() {
  static const TimeMultiplexed m;
  return m;
}
}  // namespace flight::sim
