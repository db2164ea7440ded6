// Time-multiplexed mapping: shift_k1 slots only; a k = 2 filter takes two passes per pixel (its first terms, then
// its second terms, into the same accumulator), so cycles ∝ Σ k_i.  As the RTL runs it (docs/rtl.md): a layer's
// filters are ordered k = 2 first, so its first ⌈n2 / lanes⌉ tiles run two passes per pixel (their spare lanes take
// k = 1 filters, idle in the second pass) and the remaining k = 1 filters one.  The accumulator gets one more bit
// to hold the two passes' sum.
#include <algorithm>
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

  TileCount tiles(const LayerWork& l, const FpgaDesign& d, WeightFormat f) const override {
    if (f != WeightFormat::pow2) return {std::ceil(double(l.c_out) / d.lanes), 0};
    const long lanes = d.lanes, n2 = l.filters_by_k[2];
    const long two = (n2 + lanes - 1) / lanes;
    const long k1_left = std::max(0L, long(l.filters_by_k[1]) - (two * lanes - n2));
    return {double(two + (k1_left + lanes - 1) / lanes), double(two)};
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
