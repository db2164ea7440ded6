#include "flight/cost_models/devices.hpp"

#include <algorithm>
#include <cctype>

#include "flight/core/embedded.hpp"
#include "flight/core/error.hpp"

namespace flight::cost_models {
const EmbeddedFile& embedded_table(const std::string& name);  // embedded_tables.cpp

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

std::vector<Device> parse_devices(const CsvTable& t) {
  std::vector<Device> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    Device d;
    d.name = t.cell(r, "name");
    std::string aliases = t.cell(r, "aliases");
    std::size_t p = 0;
    while (p < aliases.size()) {
      auto e = aliases.find(';', p);
      if (e == std::string::npos) e = aliases.size();
      if (e > p) d.aliases.push_back(aliases.substr(p, e - p));
      p = e + 1;
    }
    d.family = t.cell(r, "family");
    d.lut = t.number(r, "lut");
    d.ff = t.number(r, "ff");
    d.dsp = t.number(r, "dsp");
    d.bram36 = t.number(r, "bram36");
    d.clock_mhz = t.number(r, "clock_mhz");
    d.ddr_bytes_per_s = t.number(r, "ddr_gbytes_per_s") * 1e9;
    d.source = t.cell(r, "source");
    if (d.lut <= 0 || d.ff <= 0 || d.dsp < 0 || d.bram36 <= 0 || d.clock_mhz <= 0 || d.ddr_bytes_per_s <= 0) {
      throw InputError(describe_input_problem(t.origin + ":" + std::to_string(t.lines[r]), "device " + d.name,
                                              "positive resource counts, clock and bandwidth", "a zero or negative"));
    }
    out.push_back(d);
  }
  return out;
}

const std::vector<Device>& builtin_devices() {
  static const std::vector<Device> devices = [] {
    const auto& f = embedded_table("devices.csv");
    return parse_devices(parse_csv(f.contents, "cost_models/data/devices.csv"));
  }();
  return devices;
}

const Device& find_device(const std::string& name) {
  const std::string want = lower(name);
  for (const auto& d : builtin_devices()) {
    if (lower(d.name) == want) return d;
    for (const auto& a : d.aliases)
      if (lower(a) == want) return d;
  }
  std::string names;
  for (const auto& d : builtin_devices()) names += (names.empty() ? "" : ", ") + d.name;
  throw InputError("--device: unknown device '" + name + "' (expected one of " + names + ", or an alias)");
}

}  // namespace flight::cost_models
