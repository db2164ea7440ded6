// Grid files (sweeps/src/grid.cpp, TOML): profiles, configurations, hardware settings, expansion into experiments.
#include <string>

#include "flight/sweeps/grid.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* profile : {"smoke", "quick"}) {
    flight::fuzz::expect_accept_or_input_error([&] { (void)flight::sweeps::parse_grid(text, "fuzz.toml", profile); });
  }
  return 0;
}
