// Uniform mapping: every lane has p_in slots of one kind and a filter takes one pass.  shift_k2 slots run k = 1
// filters with a zero second term; the fixed formats use mult_lut and mult_dsp slots (DSP lanes up to the DSP
// budget, the rest in LUTs); fp32 uses fp32_mult slots.
#include <cmath>

#include "flight/sim/mapping.hpp"
#include "flight/sim/slot_kind.hpp"

namespace flight::sim {
namespace {
class Uniform final : public MappingStrategy {
 public:
  Mapping id() const override { return Mapping::uniform; }

  std::string reject(const FpgaDesign& d, const FilterMix& mix) const override {
    if (d.slot == Block::shift_k1 && mix.any_k2) return "k=2 filters need shift_k2 slots or a time-multiplexed mapping";
    return {};
  }

  std::vector<LaneGroup> lane_groups(const FpgaDesign& d, const FilterMix&) const override {
    if (d.slot == Block::mult_lut || d.slot == Block::mult_dsp) {
      std::vector<LaneGroup> g{{Block::mult_lut, d.lanes - d.dsp_lanes, 0}};
      if (d.dsp_lanes > 0) g.push_back({Block::mult_dsp, d.dsp_lanes, 0});
      return g;
    }
    return {{d.slot, d.lanes, 0}};
  }

  TileCount tiles(const LayerWork& l, const FpgaDesign& d, WeightFormat f) const override {
    const double filters = f == WeightFormat::pow2 ? l.filters_by_k[1] + l.filters_by_k[2] : l.c_out;
    return {std::ceil(filters / d.lanes), 0};
  }

  void candidates(FpgaDesign d, const FpgaModel& model, const FilterMix& mix,
                  const std::function<bool(const FpgaDesign&)>& consider) const override {
    d.mapping = Mapping::uniform;
    switch (model.workload().format) {
      case WeightFormat::fp32:
        d.slot = Block::fp32_mult;
        sweep_lanes(d, false, consider);
        return;
      case WeightFormat::fixed: {
        d.slot = Block::mult_lut;
        sweep_lanes(d, false, consider);  // all multipliers in LUTs
        d.slot = Block::mult_dsp;
        sweep_lanes(d, true, consider);  // all in DSP slices
        // Hybrid: as many DSP lanes as the DSP budget allows, the rest in LUTs.
        const auto& dsp_lane = model.lane_cost(Block::mult_dsp, d.p_in, 0, d.unroll_kernel);
        const int max_dsp_lanes =
            dsp_lane.slots.dsp > 0 ? int(model.limits().dsp_cap * model.device().dsp / dsp_lane.slots.dsp) : 0;
        if (max_dsp_lanes > 0) {
          d.slot = Block::mult_lut;
          d.dsp_lanes = max_dsp_lanes;
          for (int lanes = max_dsp_lanes + 1; lanes <= 1024; ++lanes) {
            d.lanes = lanes;
            if (!consider(d)) break;
          }
        }
        return;
      }
      case WeightFormat::pow2:
        d.slot = mix.any_k2 ? Block::shift_k2 : Block::shift_k1;
        sweep_lanes(d, false, consider);
        return;
    }
  }
};
}  // namespace
const MappingStrategy& uniform_mapping() {
  static const Uniform m;
  return m;
}
}  // namespace flight::sim
