#include <string>

#include "flight/core/embedded.hpp"
#include "flight/core/error.hpp"

namespace flight::cost_models {
const std::vector<EmbeddedFile>& embedded_tables();  // generated from cost_models/data/*.csv

const EmbeddedFile& embedded_table(const std::string& name) {
  for (const auto& f : embedded_tables())
    if (f.name == name) return f;
  FLIGHT_CHECK(false, "table " + name + " is not compiled in");
}

}  // namespace flight::cost_models
