#pragma once
// The FPGA device catalog (cost_models/data/devices.csv, compiled in).
#include <map>
#include <string>
#include <vector>

#include "flight/cost_models/csv.hpp"

namespace flight::cost_models {

struct Device {
  std::string name;
  std::vector<std::string> aliases;
  std::string family;  // yosys synth_xilinx family the LUT costs were calibrated for: xc7, xcup
  double lut = 0, ff = 0, dsp = 0, bram36 = 0;
  double clock_mhz = 0;
  double ddr_bytes_per_s = 0;
  std::string source;
};

std::vector<Device> parse_devices(const CsvTable& table);
const std::vector<Device>& builtin_devices();
// By name or alias, case-insensitive; InputError listing the catalog otherwise.
const Device& find_device(const std::string& name);
// Every table compiled into the binary (devices, FPGA block and fixed costs, energy tables), by the path it was built
// from ("cost_models/data/devices.csv (built in)"), with a 16-hex-digit FNV-1a fingerprint of its text.  Hardware
// results record these, so a results database never mixes numbers from two versions of a table.
std::map<std::string, std::string> table_fingerprints();

// The device every command and grid uses unless told otherwise: the ZC706 board's part (DESIGN.md §5).
inline constexpr const char* kDefaultDevice = "zynq-7045";

}  // namespace flight::cost_models
