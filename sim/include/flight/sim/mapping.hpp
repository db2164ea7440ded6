#pragma once
// How a design maps a workload's filters onto its lanes (DESIGN.md §5): one small interface, its variants beside it
// in sim/src/mappings/, one file each (uniform, time-multiplexed, heterogeneous).  Adding a mapping is adding a file,
// a value of the Mapping enum and a line in mapping.cpp's registry.
//
// Contract: mappings are stateless and thread-safe; they read the design and the workload and return plain values.
// FpgaModel::evaluate only asks them and adds up; FpgaModel::search asks them for their candidate designs.
#include <functional>
#include <string>
#include <vector>

#include "flight/sim/fpga.hpp"

namespace flight::sim {

// A group of identical lanes of one slot kind.
struct LaneGroup {
  Block slot = Block::shift_k1;
  int lanes = 0;
  int extra_acc_bits = 0;
};

class MappingStrategy {
 public:
  virtual ~MappingStrategy() = default;
  virtual Mapping id() const = 0;
  // Why this mapping cannot run the workload on design d (empty when it can).  Called after the slot kind has been
  // checked against the weight format.
  virtual std::string reject(const FpgaDesign& d, const FilterMix& mix) const = 0;
  // The lanes design d instantiates, in a fixed order (resources are summed in this order).
  virtual std::vector<LaneGroup> lane_groups(const FpgaDesign& d, const FilterMix& mix) const = 0;
  // Tiles of filters layer l takes: each tile is one pass of the inner loop with every lane busy on one filter (the
  // time-multiplexed mapping's k = 2 tiles: two passes).
  virtual TileCount tiles(const LayerWork& l, const FpgaDesign& d, WeightFormat f) const = 0;
  // The designs the search tries under this mapping for a base design whose p_in, memory and unrolling choices are
  // set, in order.  `consider` evaluates one design and returns whether it fits; resources grow with the lane count,
  // so a lane sweep ends at the first design that does not fit.
  virtual void candidates(FpgaDesign base, const FpgaModel& model, const FilterMix& mix,
                          const std::function<bool(const FpgaDesign&)>& consider) const = 0;
};

// Every mapping, in the order the search tries them.
const std::vector<const MappingStrategy*>& mapping_strategies();
const MappingStrategy& mapping_strategy(Mapping m);

// Shared by the mappings' candidate lists: lanes 1…1024 of design d until one does not fit.
void sweep_lanes(FpgaDesign d, bool all_dsp, const std::function<bool(const FpgaDesign&)>& consider);

}  // namespace flight::sim
