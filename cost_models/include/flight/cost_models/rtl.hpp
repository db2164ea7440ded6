#pragma once
// Verilog of the engine's building blocks and of one lane, for synthesis-based calibration of their costs.
// Every block registers its output (one pipeline stage) and leaves its inputs unregistered.
#include <string>

#include "flight/cost_models/fpga_costs.hpp"

namespace flight::cost_models {

// One block as a module named `module_name`.  Requires E ≥ 2 for shift blocks, widths ≥ 2.
std::string block_verilog(Block b, const BlockParams& p, const std::string& module_name);

// One lane: p_in slots of `slot` (shift_k1, shift_k2, mult_lut or mult_dsp), a registered adder tree and an
// accumulator of acc_bits, as module `module_name` (with its sub-modules, prefixed by the module name).
std::string lane_verilog(Block slot, const BlockParams& p, int p_in, int acc_bits, const std::string& module_name);

}  // namespace flight::cost_models
