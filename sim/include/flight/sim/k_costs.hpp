#pragma once
// What one filter's k costs on an FPGA (issue 17): per layer of a power-of-two workload, the cycles per image saved
// when one of its filters goes from k = 2 to k = 1, and the weight bits that frees against the on-chip budget.
//
// The cycles are measured on the device's best time-multiplexed design (DESIGN.md §5: shift_k1 slots, a k = 2
// filter takes two passes, so every filter's choice shows in the cycle count, including the DDR traffic of layers
// whose weights stream).  That design is searched on the all-k = 2 workload, so it does not change while a run's k
// mix moves.  The storage term says what freeing weight bits is worth while the current mix's weights do not fit on
// chip: the cycles the design would save with its weights on chip, spread over the bits still to free.
//
// sweeps/ turns these into the FLightNN regularizer's per-layer weights; the trainer never sees hardware.
#include <string>
#include <vector>

#include "flight/sim/fpga.hpp"

namespace flight::sim {

struct LayerKCost {
  std::string name;
  int filters = 0;
  double cycles_per_filter = 0;  // cycles per image saved by one filter going k = 2 → k = 1
  double bits_per_filter = 0;    // weight bits it frees (fan-in · (1 + E))
  double storage_cycles_per_filter = 0;  // bits_per_filter · fit_gain_cycles / max(bits_over, 1 % of all bits)
};

struct KCosts {
  bool found = false;
  std::string reason;              // when no time-multiplexed design fits the device
  FpgaDesign design;               // the time-multiplexed design the cycles are measured on
  double cycles_all_k2 = 0, cycles_all_k1 = 0;  // that design's cycles per image at the two ends
  double weight_bits = 0;          // the current mix's weights
  double weight_capacity_bits = 0; // what the design's BRAM budget leaves for weights (after its feature maps)
  double bits_over = 0;            // weight_bits − capacity when positive (the weights stream from DDR)
  double fit_gain_cycles = 0;      // cycles per image the design saves with its weights on chip (0 if they are)
  std::vector<LayerKCost> layers;
};

// `current` is the workload of the run's current k mix (power-of-two; InputError otherwise).
KCosts k_marginal_costs(const Workload& current, const cost_models::Device& device,
                        const cost_models::FpgaCostTable& costs, FpgaLimits limits);

}  // namespace flight::sim
