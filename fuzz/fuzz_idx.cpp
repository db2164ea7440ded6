// IDX images and labels, plain or gzip (trainer/src/data/idx.cpp, file_bytes.cpp).
#include "flight/trainer/data/dataset.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = flight::fuzz::scratch_file(".idx");
  flight::fuzz::write_input(f, data, size);
  flight::fuzz::expect_accept_or_input_error([&] { (void)flight::data::read_idx_images(f); });
  flight::fuzz::expect_accept_or_input_error([&] { (void)flight::data::read_idx_labels(f); });
  return 0;
}
