// Model files and checkpoints (sweeps/src/model_file.cpp): JSON, every field range-checked, derived values re-derived.
#include "flight/core/parallel.hpp"
#include "flight/sweeps/model_file.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static flight::ThreadLimit one(1);  // the quantizers' parallel loops stay on this thread
  const auto f = flight::fuzz::scratch_file(".json");
  flight::fuzz::write_input(f, data, size);
  flight::fuzz::expect_accept_or_input_error([&] { (void)flight::sweeps::load_model(f); });
  return 0;
}
