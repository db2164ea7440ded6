#pragma once
// One kind of operator slot of the FPGA engine (DESIGN.md §5): what each of a lane's p_in slots computes per cycle.
// A slot kind knows which weight formats it can compute, how many weight bits a slot reads per cycle, and what one
// lane of p_in such slots costs with its adder tree, accumulator and requantizer.  The kinds live beside this file
// in sim/src/slots/, one file each; adding a kind is adding a file (and a line in slot_kind.cpp's registry).
//
// Contract: slot kinds are stateless and thread-safe.  Costs come from the cost table: a block outside its
// calibrated grid is an InputError, never 0.
#include <string>

#include "flight/cost_models/fpga_costs.hpp"
#include "flight/sim/workload.hpp"

namespace flight::sim {

using cost_models::Block;
using cost_models::Resources;

// Resources of one lane (LUT, FF, DSP; BRAM is the buffers', not the lane's).
struct LaneCost {
  Resources slots, tree, acc, requant;
  int acc_bits = 0;    // accumulator width
  int tree_depth = 0;  // registered adder-tree levels
};

struct LaneSpec {
  int p_in = 1;             // slots per lane
  int extra_acc_bits = 0;   // added accumulator bits (a time-multiplexed k = 2 filter accumulates two passes)
  bool unroll_kernel = false;  // slots cover the C_in·K·K window (else C_in, K² positions in sequence)
};

class SlotKind {
 public:
  virtual ~SlotKind() = default;
  virtual Block block() const = 0;
  virtual bool runs(WeightFormat f) const = 0;
  // Weight bits one slot reads per cycle.
  virtual int weight_bits(const Workload& w) const = 0;
  // One lane of s.p_in slots of this kind.  The default is an integer lane: a registered adder tree over the slots'
  // outputs, an accumulator wide enough for the worst layer's sum, and the cost of one requantizer to A bits (the design
  // shares R of them among its lanes: fpga.hpp requantizers()).
  virtual LaneCost lane_cost(const Workload& w, const cost_models::FpgaCostTable& c, const LaneSpec& s) const;
};

// The slot kind of a block; an InternalError for blocks that are not slots (adder, requant, fp32_add).
const SlotKind& slot_kind(Block b);

}  // namespace flight::sim
