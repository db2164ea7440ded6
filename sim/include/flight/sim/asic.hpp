#pragma once
// ASIC energy per image (DESIGN.md §5): Σ over layers of operation counts × energy per operation, plus on-chip SRAM
// and DRAM accesses × energy per access.  "Computational energy" (operations only, the paper's metric) and total
// energy are both reported.
//
// Per MAC, by weight format (W = A + 2^E − 2, the shifted magnitude width; acc = product width + ⌈log2 fan-in⌉):
//   pow2, k terms:  k shifts (W bits over 2^E positions) + (k − 1) adds of W + 1 bits + one accumulate (acc bits)
//   fixed n:        one n × A multiply + one accumulate;     fp32: one fp32 multiply + one fp32 add
// Memory (a reconstruction): every MAC reads its weight and activation bits from a 32 KB SRAM in 64-bit words and
// every output is written once; DRAM moves the weights once per image, the input image and the result, plus every
// feature map when the largest layer's input + output exceeds 1 MB.
#include <string>
#include <vector>

#include "flight/cost_models/energy.hpp"
#include "flight/sim/workload.hpp"

namespace flight::sim {

struct LayerEnergy {
  std::string name;
  double macs = 0;
  double compute_pj = 0, sram_pj = 0, dram_pj = 0;
};

struct AsicReport {
  std::string table;  // energy table name
  std::vector<LayerEnergy> layers;
  double macs = 0;
  double compute_pj = 0, sram_pj = 0, dram_pj = 0;
  double total_pj() const { return compute_pj + sram_pj + dram_pj; }
  double compute_ops_per_joule() const { return compute_pj > 0 ? 2.0 * macs / (compute_pj * 1e-12) : 0; }
  double total_ops_per_joule() const { return total_pj() > 0 ? 2.0 * macs / (total_pj() * 1e-12) : 0; }
};

// Contract: pure; InputError when the table lacks an action the format needs (e.g. shifts in the 45 nm table).
AsicReport asic_energy(const Workload& w, const cost_models::EnergyTable& table);

}  // namespace flight::sim
