// MATLAB v5 MAT-files, compressed or not, either byte order, and SVHN format 2 on top (matv5.cpp, svhn.cpp).
#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/data/matv5.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = flight::fuzz::scratch_file(".mat");
  flight::fuzz::write_input(f, data, size);
  flight::fuzz::expect_accept_or_input_error([&] { (void)flight::data::read_mat_v5(f); });
  flight::fuzz::expect_accept_or_input_error([&] { (void)flight::data::read_svhn_mat(f); });
  return 0;
}
