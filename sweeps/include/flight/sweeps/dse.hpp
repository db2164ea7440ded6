#pragma once
// `flight dse` as a library call: for a network and several what-if weight formats, the FPGA design search and the
// ASIC energy of each, and the speedup of every format over every other.  The CLI parses, calls and prints.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flight/core/network.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/sim/asic.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sim/workload_builder.hpp"

namespace flight::sweeps {

struct DseRequest {
  std::string net;                    // network name or .toml file
  std::vector<std::string> profiles;  // --k-profile texts
  std::string device;                 // default: cost_models::kDefaultDevice
  std::string dataset;                // input shape and classes; default: the network's default_dataset
  std::string energy_table;           // default: cost_models::kDefaultEnergyTable
  sim::FpgaLimits limits;
  sim::QuantSettings quant;
};

struct DseProfile {
  sim::KProfile profile;
  sim::Workload workload;
  sim::SearchResult search;
  std::optional<sim::AsicReport> asic;
  std::string asic_reason;  // why there is no ASIC figure (the energy table lacks an action this format needs)
  double search_seconds = 0;
};

struct DseResult {
  DseRequest request;  // with the defaults resolved
  NetworkSpec net;
  ImageShape input;
  int classes = 0;
  cost_models::Device device;
  double clock_mhz = 0;
  std::vector<DseProfile> profiles;
  // speedup[i][j]: images/s of profile i over profile j; empty when either has no design.
  std::vector<std::vector<std::optional<double>>> speedup;
};

// Contract: InputError (naming the option) for an unknown network, data set, device, energy table or profile.
DseResult run_dse(DseRequest request);

boost::json::object to_json(const DseResult& r);
// The tables `flight dse` prints: the summary, the speedup matrix, and (with `layers`, or for a single profile) each
// profile's resource and layer tables.
std::string dse_tables(const DseResult& r, bool layers);

}  // namespace flight::sweeps
