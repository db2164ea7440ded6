// flight dse — what-if FPGA design search and ASIC energy for a network and weight formats, without training.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sim/asic.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/workload_builder.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::cli {
namespace {

struct DseOptions {
  std::string net;
  std::vector<std::string> profiles;
  std::string device = "zynq-7045";
  std::string dataset;  // default: the network's default_dataset
  std::string energy_table = "40nm-aladdin";
  double lut_cap = 0.8;
  double clock_mhz = 0;
  int a_bits = 8, e_bits = 3;
  bool json = false, layers = false;
};

struct ProfileResult {
  sim::KProfile profile;
  sim::Workload workload;
  sim::SearchResult search;
  std::optional<sim::AsicReport> asic;
  std::string asic_reason;  // why there is no ASIC figure (the energy table lacks an action this format needs)
  double search_seconds = 0;
};

int run_dse(const DseOptions& o) {
  const auto net = sweeps::load_network(o.net);
  const std::string ds_name = o.dataset.empty() ? net.default_dataset : o.dataset;
  const auto ds = data::parse_dataset_id(ds_name);
  if (!ds) {
    throw InputError("--dataset: unknown data set '" + ds_name + "' (expected one of " + data::dataset_names_joined() +
                     ")");
  }
  const auto& device = cost_models::find_device(o.device);
  const auto& energy = cost_models::builtin_energy_table(o.energy_table);
  sim::FpgaLimits limits;
  limits.lut_cap = o.lut_cap;
  limits.clock_mhz = o.clock_mhz;
  std::vector<ProfileResult> results;
  for (const auto& text : o.profiles) {
    ProfileResult r;
    r.profile = sweeps::parse_k_profile(text);
    r.workload = sim::build_workload(net, data::official_shape(*ds),
                                        static_cast<std::size_t>(data::official_classes(*ds)), r.profile,
                                        {o.a_bits, o.e_bits});
    const auto t0 = std::chrono::steady_clock::now();
    sim::FpgaModel model(r.workload, device, cost_models::builtin_fpga_costs(), limits);
    r.search = model.search();
    r.search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    try {
      r.asic = sim::asic_energy(r.workload, energy);
    } catch (const InputError& e) {
      r.asic_reason = e.what();
    }
    results.push_back(std::move(r));
  }

  if (o.json) {
    boost::json::array profiles;
    for (const auto& r : results) {
      profiles.push_back({{"profile", r.profile.text},
                          {"macs", r.workload.macs()},
                          {"mean_terms_per_weight", r.workload.mean_terms_per_weight()},
                          {"fraction_k2", r.workload.fraction_k2()},
                          {"fpga", sweeps::to_json(r.search)},
                          {"search_seconds", r.search_seconds},
                          {"asic", r.asic ? boost::json::value(sweeps::to_json(*r.asic))
                                          : boost::json::value({{"error", r.asic_reason}})}});
    }
    boost::json::object speedups;
    for (const auto& a : results)
      for (const auto& b : results)
        if (a.search.found && b.search.found && &a != &b) {
          speedups[a.profile.text + " vs " + b.profile.text] = a.search.best.images_per_s / b.search.best.images_per_s;
        }
    std::cout << boost::json::serialize(boost::json::object{{"net", net.name},
                                                            {"dataset", ds_name},
                                                            {"device", sweeps::device_json(device)},
                                                            {"lut_cap", o.lut_cap},
                                                            {"a_bits", o.a_bits},
                                                            {"e_bits", o.e_bits},
                                                            {"profiles", profiles},
                                                            {"speedups", speedups}})
              << "\n";
    return 0;
  }

  std::printf("%s on %s (%s input, %d classes)  device %s: %.0f LUT, %.0f DSP, %.0f BRAM36, %.0f MHz, DDR %.2f GB/s\n",
              net.name.c_str(), ds_name.c_str(), data::official_shape(*ds).str().c_str(),
              data::official_classes(*ds), device.name.c_str(), device.lut, device.dsp, device.bram36,
              o.clock_mhz > 0 ? o.clock_mhz : device.clock_mhz, device.ddr_bytes_per_s / 1e9);
  std::printf("A=%d bits, E=%d bits, LUT cap %.0f %%, ASIC table %s\n\n", o.a_bits, o.e_bits, 100 * o.lut_cap,
              o.energy_table.c_str());
  std::printf("%-10s %6s %6s %6s %6s %12s %10s %11s %11s %11s  %s\n", "profile", "LUT%", "FF%", "DSP%", "BRAM%",
              "cycles/img", "latency", "images/s", "E_comp/img", "E_tot/img", "design");
  for (const auto& r : results) {
    char ecomp[32] = "        -", etot[32] = "        -";
    if (r.asic) {
      std::snprintf(ecomp, sizeof ecomp, "%9.3f uJ", r.asic->compute_pj * 1e-6);
      std::snprintf(etot, sizeof etot, "%9.3f uJ", r.asic->total_pj() * 1e-6);
    }
    if (!r.search.found) {
      std::printf("%-10s %6s %6s %6s %6s %12s %10s %11s %12s %12s  no design fits: %s\n", r.profile.text.c_str(), "-",
                  "-", "-", "-", "-", "-", "-", ecomp, etot, r.search.reason.c_str());
      continue;
    }
    const auto& b = r.search.best;
    std::printf("%-10s %6.1f %6.1f %6.1f %6.1f %12.0f %7.3f ms %11.1f %12s %12s  %s\n", r.profile.text.c_str(),
                b.lut_pct, b.ff_pct, b.dsp_pct, b.bram_pct, b.cycles_per_image, b.latency_s * 1e3, b.images_per_s,
                ecomp, etot, sim::describe(b.design).c_str());
  }
  for (const auto& r : results)
    if (!r.asic) std::printf("%s: no ASIC figure: %s\n", r.profile.text.c_str(), r.asic_reason.c_str());
  if (results.size() > 1) {
    std::printf("\nspeedup (images/s of the row over the column)\n%-10s", "");
    for (const auto& c : results) std::printf(" %10s", c.profile.text.c_str());
    std::printf("\n");
    for (const auto& r : results) {
      std::printf("%-10s", r.profile.text.c_str());
      for (const auto& c : results) {
        if (r.search.found && c.search.found) std::printf(" %9.2fx", r.search.best.images_per_s / c.search.best.images_per_s);
        else std::printf(" %10s", "-");
      }
      std::printf("\n");
    }
  }
  for (const auto& r : results) {
    if (!(o.layers || results.size() == 1) || !r.search.found) continue;
    std::printf("\n%s: %s, %ld candidate designs searched (%ld fit) in %.3f s\n", r.profile.text.c_str(),
                sim::describe(r.search.best.design).c_str(), r.search.candidates, r.search.feasible,
                r.search_seconds);
    std::cout << sweeps::resource_table(r.search.best) << sweeps::layer_table(r.search.best);
    if (r.asic) {
      const auto& a = *r.asic;
      std::printf("  ASIC (%s): computational %.3f uJ/image (%.3g ops/J), total %.3f uJ/image (SRAM %.3f, DRAM %.3f)\n",
                  a.table.c_str(), a.compute_pj * 1e-6, a.compute_ops_per_joule(), a.total_pj() * 1e-6,
                  a.sram_pj * 1e-6, a.dram_pj * 1e-6);
    }
  }
  return 0;
}

}  // namespace

void register_dse_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<DseOptions>();
  auto* dse = app.add_subcommand(
      "dse", "What-if analysis without training: FPGA design search and ASIC energy for a network and weight formats");
  dse->add_option("--net", o->net, "Network name (lenet-s, lenet-l, vgg-s, vgg-l) or a network .toml file")
      ->required();
  dse->add_option("--k-profile", o->profiles,
                  "Weight format, repeatable: uniform:1, uniform:2, mix:F (fraction F of filters at k=2), fixed:N, "
                  "fp32")
      ->required();
  dse->add_option("--device", o->device, "FPGA device from the catalog")->capture_default_str();
  dse->add_option("--dataset", o->dataset, "Data set giving the input shape and classes (default: the network's)");
  dse->add_option("--lut-cap", o->lut_cap, "Fraction of the device's LUTs a design may use")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  dse->add_option("--clock-mhz", o->clock_mhz, "Accelerator clock (default: the device's)")
      ->check(CLI::PositiveNumber);
  dse->add_option("--a-bits", o->a_bits, "Activation bits")->check(CLI::Range(2, 16))->capture_default_str();
  dse->add_option("--e-bits", o->e_bits, "Exponent bits of a power-of-two term")
      ->check(CLI::Range(2, 4))
      ->capture_default_str();
  dse->add_option("--energy-table", o->energy_table, "ASIC energy table (40nm-aladdin, 45nm-horowitz)")
      ->capture_default_str();
  dse->add_flag("--layers", o->layers, "Print the per-layer and resource tables for every profile");
  dse->add_flag("--json", o->json, "Print one JSON object");
  dse->callback([o, &chosen] { chosen = [o] { return run_dse(*o); }; });
}

}  // namespace flight::cli
