#include "flight/sim/mapping.hpp"

#include "flight/core/error.hpp"

namespace flight::sim {

// The registry: one object per mapping, defined in sim/src/mappings/.
const MappingStrategy& uniform_mapping();
const MappingStrategy& time_multiplexed_mapping();
const MappingStrategy& heterogeneous_mapping();

const std::vector<const MappingStrategy*>& mapping_strategies() {
  static const std::vector<const MappingStrategy*> all{&uniform_mapping(), &time_multiplexed_mapping(),
                                                       &heterogeneous_mapping()};
  return all;
}

const MappingStrategy& mapping_strategy(Mapping m) {
  for (const auto* s : mapping_strategies())
    if (s->id() == m) return *s;
  throw InternalError("no strategy for mapping " + mapping_name(m));
}

void sweep_lanes(FpgaDesign d, bool all_dsp, const std::function<bool(const FpgaDesign&)>& consider) {
  for (int lanes = 1; lanes <= 1024; ++lanes) {
    d.lanes = lanes;
    if (all_dsp) d.dsp_lanes = lanes;
    if (!consider(d)) break;
  }
}

}  // namespace flight::sim
