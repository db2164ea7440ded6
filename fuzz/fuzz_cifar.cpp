// CIFAR-10 and CIFAR-100 binary records (trainer/src/data/cifar.cpp).
#include "flight/trainer/data/dataset.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = flight::fuzz::scratch_file(".bin");
  flight::fuzz::write_input(f, data, size);
  for (int classes : {10, 100}) {
    flight::data::Split s;
    s.shape = {3, 32, 32};
    flight::fuzz::expect_accept_or_input_error([&] { flight::data::read_cifar_bin(f, classes, s); });
  }
  return 0;
}
