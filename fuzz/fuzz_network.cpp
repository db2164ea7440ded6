// Network files (sweeps/src/network_file.cpp, TOML) and the shape inference every network goes through.
#include <string>

#include "flight/core/network.hpp"
#include "flight/sweeps/network_file.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  flight::fuzz::expect_accept_or_input_error([&] {
    const auto net = flight::sweeps::parse_network(text, "fuzz.toml");
    (void)flight::infer_shapes(net, {1, 28, 28}, 10);
    (void)flight::infer_shapes(net, {3, 32, 32}, 100);
  });
  return 0;
}
