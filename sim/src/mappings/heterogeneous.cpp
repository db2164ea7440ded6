// Heterogeneous mapping: `lanes` shift_k1 lanes for the k = 1 filters beside `lanes_k2` shift_k2 lanes for the
// k = 2 filters, both working on a layer at the same time; a layer takes as many tiles as the slower group.
#include <algorithm>
#include <cmath>

#include "flight/sim/mapping.hpp"

namespace flight::sim {
namespace {
class Heterogeneous final : public MappingStrategy {
 public:
  Mapping id() const override { return Mapping::heterogeneous; }

  std::string reject(const FpgaDesign& d, const FilterMix& mix) const override {
    if (d.slot != Block::shift_k1) return mapping_name(id()) + " mapping uses shift_k1 slots";
    if ((mix.any_k2 && d.lanes_k2 == 0) || (mix.any_k1 && d.lanes == 0)) {
      return "heterogeneous mapping needs lanes of both kinds for this filter mix";
    }
    return {};
  }

  std::vector<LaneGroup> lane_groups(const FpgaDesign& d, const FilterMix&) const override {
    return {{Block::shift_k1, d.lanes, 0}, {Block::shift_k2, d.lanes_k2, 0}};
  }

  TileCount tiles(const LayerWork& l, const FpgaDesign& d, WeightFormat f) const override {
    if (f != WeightFormat::pow2) return {std::ceil(double(l.c_out) / d.lanes), 0};
    const double t1 = l.filters_by_k[1] ? std::ceil(double(l.filters_by_k[1]) / d.lanes) : 0;
    const double t2 = l.filters_by_k[2] ? std::ceil(double(l.filters_by_k[2]) / d.lanes_k2) : 0;
    return {std::max(t1, t2), 0};
  }

  void candidates(FpgaDesign d, const FpgaModel& model, const FilterMix& mix,
                  const std::function<bool(const FpgaDesign&)>& consider) const override {
    if (model.workload().format != WeightFormat::pow2 || !mix.any_k1 || !mix.any_k2) return;
    // A geometric grid of both lane counts; within a row, more k = 2 lanes only cost more.
    static const int geometric[] = {1,  2,  3,  4,  5,  6,   8,   10,  12,  16,  20,  24, 32,
                                    40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512};
    d.mapping = Mapping::heterogeneous;
    d.slot = Block::shift_k1;
    for (int l1 : geometric) {
      d.lanes = l1;
      for (int l2 : geometric) {
        d.lanes_k2 = l2;
        if (!consider(d)) break;
      }
    }
  }
};
}  // namespace
const MappingStrategy& heterogeneous_mapping() {
  static const Heterogeneous m;
  return m;
}
}  // namespace flight::sim
