#pragma once
// The error line a grid text gets from the grid reader ("" when it parses), for the grid tests.
#include <string>

#include "flight/core/error.hpp"
#include "flight/sweeps/grid.hpp"

namespace flight::test {
inline std::string grid_error(const std::string& text, const std::string& profile = "smoke") {
  try {
    sweeps::parse_grid(text, "g.toml", profile);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace flight::test
