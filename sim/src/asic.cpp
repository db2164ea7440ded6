#include "flight/sim/asic.hpp"

#include <algorithm>
#include <cmath>

namespace flight::sim {

AsicReport asic_energy(const Workload& w, const cost_models::EnergyTable& table) {
  validate(w);
  AsicReport r;
  r.table = table.name;
  const int a = w.a_bits;
  double max_fmap_bits = 0;
  for (const auto& l : w.layers) {
    max_fmap_bits = std::max(max_fmap_bits, double(l.in_activations() + l.out_activations()) * a);
  }
  const bool fmaps_in_dram = max_fmap_bits > 8.0 * 1024 * 1024;  // bits: > 1 MB
  const double sram_per_bit = table.energy_pj("sram_32kb") / 64.0;
  const double dram_per_bit = table.energy_pj("dram") / 64.0;
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    const auto& l = w.layers[i];
    LayerEnergy e;
    e.name = l.name;
    e.macs = double(l.macs());
    const double macs_per_filter = double(l.fan_in()) * l.h_out * l.w_out;
    const int log_fan_in = static_cast<int>(std::ceil(std::log2(std::max<double>(2.0, double(l.fan_in())))));
    double weight_bits_read = 0;  // over all MACs
    switch (w.format) {
      case WeightFormat::pow2: {
        const int mag = a + (1 << w.e_bits) - 2;
        const double shift = table.energy_pj("shift", mag, w.e_bits);
        const double term_add = table.energy_pj("int_add", mag + 1);
        for (int k = 1; k <= 2; ++k) {
          const int acc = mag + k + log_fan_in;
          const double per_mac = k * shift + (k - 1) * term_add + table.energy_pj("int_add", acc);
          e.compute_pj += per_mac * macs_per_filter * l.filters_by_k[k];
          weight_bits_read += double(k) * (1 + w.e_bits) * macs_per_filter * l.filters_by_k[k];
        }
        break;
      }
      case WeightFormat::fixed: {
        const int acc = w.n_bits + a + log_fan_in;
        e.compute_pj = e.macs * (table.energy_pj("int_mult", w.n_bits, a) + table.energy_pj("int_add", acc));
        weight_bits_read = e.macs * w.n_bits;
        break;
      }
      case WeightFormat::fp32:
        e.compute_pj = e.macs * (table.energy_pj("fp32_mult") + table.energy_pj("fp32_add"));
        weight_bits_read = e.macs * 32;
        break;
    }
    const double act_bits_read = e.macs * a;
    e.sram_pj = (weight_bits_read + act_bits_read + double(l.out_activations()) * a) * sram_per_bit;
    double dram_bits = double(w.weight_bits_of(l));
    if (fmaps_in_dram || i == 0) dram_bits += double(l.in_activations()) * a;
    if (fmaps_in_dram || i + 1 == w.layers.size()) dram_bits += double(l.out_activations()) * a;
    e.dram_pj = dram_bits * dram_per_bit;
    r.macs += e.macs;
    r.compute_pj += e.compute_pj;
    r.sram_pj += e.sram_pj;
    r.dram_pj += e.dram_pj;
    r.layers.push_back(e);
  }
  return r;
}

}  // namespace flight::sim
