#include "flight/sweeps/dse.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>

#include "flight/core/error.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/workload_builder.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::sweeps {

DseResult run_dse(DseRequest request) {
  DseResult r;
  if (request.device.empty()) request.device = cost_models::kDefaultDevice;
  if (request.energy_table.empty()) request.energy_table = cost_models::kDefaultEnergyTable;
  r.net = load_network(request.net);
  if (request.dataset.empty()) request.dataset = r.net.default_dataset;
  const auto ds = data::parse_dataset_id(request.dataset);
  if (!ds) {
    throw InputError("--dataset: unknown data set '" + request.dataset + "' (expected one of " +
                     data::dataset_names_joined() + ")");
  }
  r.input = data::official_shape(*ds);
  r.classes = data::official_classes(*ds);
  r.device = cost_models::find_device(request.device);
  r.clock_mhz = request.limits.clock_mhz.value_or(r.device.clock_mhz);
  const auto& energy = cost_models::builtin_energy_table(request.energy_table);
  for (const auto& text : request.profiles) {
    DseProfile p;
    p.profile = parse_k_profile(text);
    p.workload = sim::build_workload(r.net, r.input, std::size_t(r.classes), p.profile, request.quant);
    const auto t0 = std::chrono::steady_clock::now();
    sim::FpgaModel model(p.workload, r.device, cost_models::builtin_fpga_costs(), request.limits);
    p.search = model.search();
    p.search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    try {
      p.asic = sim::asic_energy(p.workload, energy);
    } catch (const InputError& e) {
      p.asic_reason = e.what();
    }
    r.profiles.push_back(std::move(p));
  }
  for (const auto& a : r.profiles) {
    auto& row = r.speedup.emplace_back();
    for (const auto& b : r.profiles) {
      if (a.search.found && b.search.found) row.push_back(a.search.best.images_per_s / b.search.best.images_per_s);
      else row.emplace_back();
    }
  }
  r.request = std::move(request);
  return r;
}

boost::json::object to_json(const DseResult& r) {
  boost::json::array profiles;
  for (const auto& p : r.profiles) {
    profiles.push_back({{"profile", p.profile.text},
                        {"macs", p.workload.macs()},
                        {"mean_terms_per_weight", p.workload.mean_terms_per_weight()},
                        {"fraction_k2", p.workload.fraction_k2()},
                        {"fpga", to_json(p.search)},
                        {"search_seconds", p.search_seconds},
                        {"asic", p.asic ? boost::json::value(to_json(*p.asic))
                                        : boost::json::value({{"error", p.asic_reason}})}});
  }
  boost::json::object speedups;
  for (std::size_t i = 0; i < r.profiles.size(); ++i)
    for (std::size_t j = 0; j < r.profiles.size(); ++j)
      if (i != j && r.speedup[i][j]) {
        speedups[r.profiles[i].profile.text + " vs " + r.profiles[j].profile.text] = *r.speedup[i][j];
      }
  return {{"net", r.net.name},
          {"dataset", r.request.dataset},
          {"device", device_json(r.device)},
          {"lut_cap", r.request.limits.lut_cap},
          {"a_bits", r.request.quant.a_bits},
          {"e_bits", r.request.quant.e_bits},
          {"profiles", profiles},
          {"speedups", speedups}};
}

std::string dse_tables(const DseResult& r, bool layers) {
  std::string out;
  const auto& dev = r.device;
  out += fmt::format("{} on {} ({} input, {} classes)  device {}: {:.0f} LUT, {:.0f} DSP, {:.0f} BRAM36, {:.0f} MHz, "
                     "DDR {:.2f} GB/s\n",
                     r.net.name, r.request.dataset, r.input.str(), r.classes, dev.name, dev.lut, dev.dsp, dev.bram36,
                     r.clock_mhz, dev.ddr_bytes_per_s / 1e9);
  out += fmt::format("A={} bits, E={} bits, LUT cap {:.0f} %, ASIC table {}\n\n", r.request.quant.a_bits,
                     r.request.quant.e_bits, 100 * r.request.limits.lut_cap, r.request.energy_table);
  out += fmt::format("{:<10} {:>6} {:>6} {:>6} {:>6} {:>12} {:>10} {:>11} {:>11} {:>11}  {}\n", "profile", "LUT%",
                     "FF%", "DSP%", "BRAM%", "cycles/img", "latency", "images/s", "E_comp/img", "E_tot/img", "design");
  for (const auto& p : r.profiles) {
    std::string ecomp = "        -", etot = "        -";
    if (p.asic) {
      ecomp = fmt::format("{:9.3f} uJ", p.asic->compute_pj * 1e-6);
      etot = fmt::format("{:9.3f} uJ", p.asic->total_pj() * 1e-6);
    }
    if (!p.search.found) {
      out += fmt::format("{:<10} {:>6} {:>6} {:>6} {:>6} {:>12} {:>10} {:>11} {:>12} {:>12}  no design fits: {}\n",
                         p.profile.text, "-", "-", "-", "-", "-", "-", "-", ecomp, etot, p.search.reason);
      continue;
    }
    const auto& b = p.search.best;
    out += fmt::format("{:<10} {:6.1f} {:6.1f} {:6.1f} {:6.1f} {:12.0f} {:7.3f} ms {:11.1f} {:>12} {:>12}  {}\n",
                       p.profile.text, b.lut_pct, b.ff_pct, b.dsp_pct, b.bram_pct, b.cycles_per_image,
                       b.latency_s * 1e3, b.images_per_s, ecomp, etot, sim::describe(b.design));
  }
  for (const auto& p : r.profiles)
    if (!p.asic) out += fmt::format("{}: no ASIC figure: {}\n", p.profile.text, p.asic_reason);
  if (r.profiles.size() > 1) {
    out += fmt::format("\nspeedup (images/s of the row over the column)\n{:<10}", "");
    for (const auto& c : r.profiles) out += fmt::format(" {:>10}", c.profile.text);
    out += "\n";
    for (std::size_t i = 0; i < r.profiles.size(); ++i) {
      out += fmt::format("{:<10}", r.profiles[i].profile.text);
      for (const auto& s : r.speedup[i]) out += s ? fmt::format(" {:9.2f}x", *s) : fmt::format(" {:>10}", "-");
      out += "\n";
    }
  }
  for (const auto& p : r.profiles) {
    if (!(layers || r.profiles.size() == 1) || !p.search.found) continue;
    out += fmt::format("\n{}: {}, {} candidate designs searched ({} fit) in {:.3f} s\n", p.profile.text,
                       sim::describe(p.search.best.design), p.search.candidates, p.search.feasible, p.search_seconds);
    out += resource_table(p.search.best) + layer_table(p.search.best);
    if (p.asic) {
      const auto& a = *p.asic;
      out += fmt::format(
          "  ASIC ({}): computational {:.3f} uJ/image ({:.3g} ops/J), total {:.3f} uJ/image (SRAM {:.3f}, DRAM {:.3f})\n",
          a.table, a.compute_pj * 1e-6, a.compute_ops_per_joule(), a.total_pj() * 1e-6, a.sram_pj * 1e-6,
          a.dram_pj * 1e-6);
    }
  }
  return out;
}

}  // namespace flight::sweeps
