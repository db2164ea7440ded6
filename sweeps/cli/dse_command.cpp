// flight dse — what-if FPGA design search and ASIC energy for a network and weight formats, without training.
// The computation is sweeps/dse.hpp; this file parses, calls and prints.
#include <boost/json.hpp>
#include <iostream>

#include "commands.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sweeps/dse.hpp"

namespace flight::cli {
namespace {

struct DseOptions {
  sweeps::DseRequest request;
  double clock_mhz = 0;
  bool json = false, layers = false;
};

int run_dse_command(DseOptions o) {
  if (o.clock_mhz > 0) o.request.limits.clock_mhz = o.clock_mhz;
  const auto r = sweeps::run_dse(o.request);
  if (o.json) std::cout << boost::json::serialize(sweeps::to_json(r)) << "\n";
  else std::cout << sweeps::dse_tables(r, o.layers);
  return 0;
}

}  // namespace

void register_dse_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<DseOptions>();
  o->request.device = cost_models::kDefaultDevice;
  o->request.energy_table = cost_models::kDefaultEnergyTable;
  auto* dse = app.add_subcommand(
      "dse", "What-if analysis without training: FPGA design search and ASIC energy for a network and weight formats");
  dse->add_option("--net", o->request.net, "Network name (lenet-s, lenet-l, vgg-s, vgg-l) or a network .toml file")
      ->required();
  dse->add_option("--k-profile", o->request.profiles,
                  "Weight format, repeatable: uniform:1, uniform:2, mix:F (fraction F of filters at k=2), fixed:N, "
                  "fp32")
      ->required();
  dse->add_option("--device", o->request.device, "FPGA device from the catalog")->capture_default_str();
  dse->add_option("--dataset", o->request.dataset,
                  "Data set giving the input shape and classes (default: the network's)");
  dse->add_option("--lut-cap", o->request.limits.lut_cap, "Fraction of the device's LUTs a design may use")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  dse->add_option("--clock-mhz", o->clock_mhz, "Accelerator clock (default: the device's)")
      ->check(CLI::PositiveNumber);
  dse->add_option("--a-bits", o->request.quant.a_bits, "Activation bits")->check(CLI::Range(2, 16))->capture_default_str();
  dse->add_option("--e-bits", o->request.quant.e_bits, "Exponent bits of a power-of-two term")
      ->check(CLI::Range(2, 4))
      ->capture_default_str();
  dse->add_option("--energy-table", o->request.energy_table, "ASIC energy table (40nm-aladdin, 45nm-horowitz)")
      ->capture_default_str();
  dse->add_flag("--layers", o->layers, "Print the per-layer and resource tables for every profile");
  dse->add_flag("--json", o->json, "Print one JSON object");
  dse->callback([o, &chosen] { chosen = [o] { return run_dse_command(*o); }; });
}

}  // namespace flight::cli
