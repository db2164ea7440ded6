#include <string>

#include "flight/core/checksum.hpp"
#include "flight/core/embedded.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/core/error.hpp"

namespace flight::cost_models {
const std::vector<EmbeddedFile>& embedded_tables();  // generated from cost_models/data/*.csv

const EmbeddedFile& embedded_table(const std::string& name) {
  for (const auto& f : embedded_tables())
    if (f.name == name) return f;
  FLIGHT_CHECK(false, "table " + name + " is not compiled in");
}

std::map<std::string, std::string> table_fingerprints() {
  std::map<std::string, std::string> out;
  for (const auto& f : embedded_tables()) {
    Fnv1a64 h;
    h.update({reinterpret_cast<const std::uint8_t*>(f.contents.data()), f.contents.size()});
    out["cost_models/data/" + std::string(f.name) + " (built in)"] = h.hex();
  }
  return out;
}

}  // namespace flight::cost_models
