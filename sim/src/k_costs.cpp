#include "flight/sim/k_costs.hpp"

#include <algorithm>

#include "flight/core/error.hpp"

namespace flight::sim {

namespace {
Workload uniform_k(Workload w, int k) {
  for (auto& l : w.layers) l.filters_by_k = {0, k == 1 ? l.c_out : 0, k == 2 ? l.c_out : 0};
  return w;
}
}  // namespace

KCosts k_marginal_costs(const Workload& current, const cost_models::Device& device,
                        const cost_models::FpgaCostTable& costs, FpgaLimits limits) {
  if (current.format != WeightFormat::pow2) {
    throw InputError("hardware cost of k: expected a power-of-two workload, found " + current.name);
  }
  KCosts r;
  const FpgaModel all_k2(uniform_k(current, 2), device, costs, limits);
  const auto tm = all_k2.search(Mapping::time_multiplexed);
  if (!tm.found) {
    r.reason = "no time-multiplexed design fits " + device.name + ": " + tm.reason;
    return r;
  }
  r.found = true;
  r.design = tm.best.design;
  const auto ev2 = tm.best;
  const auto ev1 = FpgaModel(uniform_k(current, 1), device, costs, limits).evaluate(r.design);
  r.cycles_all_k2 = ev2.cycles_per_image;
  r.cycles_all_k1 = ev1.cycles_per_image;

  // Storage: the current mix under the same design, with its weights streamed and on chip.
  const FpgaModel now(current, device, costs, limits);
  for (const auto& l : current.layers) r.weight_bits += double(current.weight_bits_of(l));
  if (!r.design.weights_on_chip) {
    auto on = r.design;
    on.weights_on_chip = true;
    const auto ev_on = now.evaluate(on);
    const auto ev_stream = now.evaluate(r.design);
    const double bram_budget = limits.bram_cap * device.bram36 - ev_on.breakdown.fmap_buffer.bram36;
    r.weight_capacity_bits = std::max(0.0, bram_budget) * costs.fixed_value("bram36_bits");
    r.bits_over = std::max(0.0, r.weight_bits - r.weight_capacity_bits);
    r.fit_gain_cycles = std::max(0.0, ev_stream.cycles_per_image - ev_on.cycles_per_image);
  }
  const double bits_unit = std::max(r.bits_over, 0.01 * r.weight_bits);
  for (std::size_t i = 0; i < current.layers.size(); ++i) {
    const auto& l = current.layers[i];
    LayerKCost c;
    c.name = l.name;
    c.filters = l.c_out;
    c.cycles_per_filter = l.c_out > 0 ? std::max(0.0, ev2.layers[i].cycles - ev1.layers[i].cycles) / l.c_out : 0;
    c.bits_per_filter = double(l.fan_in()) * (1 + current.e_bits);
    if (r.bits_over > 0 && bits_unit > 0) c.storage_cycles_per_filter = c.bits_per_filter * r.fit_gain_cycles / bits_unit;
    r.layers.push_back(c);
  }
  return r;
}

}  // namespace flight::sim
