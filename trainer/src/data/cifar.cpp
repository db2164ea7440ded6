// CIFAR binary version: fixed-size records, no header.
//   CIFAR-10:  <1 label byte 0..9> <3072 pixel bytes>
//   CIFAR-100: <1 coarse byte 0..19> <1 fine byte 0..99> <3072 pixel bytes>
// Pixels are the R, G, B planes of a 32×32 image, row-major — already our (C, H, W) order.
#include "file_bytes.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/trainer/data/dataset.hpp"

#include <cstring>

namespace flight::data {

void read_cifar_bin(const std::filesystem::path& file, int fine_classes, Split& out) {
  FLIGHT_CHECK(fine_classes == 10 || fine_classes == 100, "CIFAR has 10 or 100 classes");
  const bool cifar100 = fine_classes == 100;
  const std::size_t label_bytes = cifar100 ? 2 : 1;
  constexpr std::size_t kPixels = 3 * 32 * 32;
  const std::size_t record = label_bytes + kPixels;
  const auto bytes = detail::read_file_raw(file);
  const char* kind = cifar100 ? "CIFAR-100" : "CIFAR-10";
  if (bytes.empty() || bytes.size() % record != 0) {
    throw InputError(describe_input_problem(
        file.string(), bytes.empty() ? std::string("empty ") + kind + " file" : std::string("truncated ") + kind + " file",
        "a whole number of " + std::to_string(record) + "-byte records",
        with_commas(bytes.size()) + " bytes (" + std::to_string(bytes.size() / record) + " records + " +
            std::to_string(bytes.size() % record) + " bytes)"));
  }
  const std::size_t n = bytes.size() / record;
  out.shape = ImageShape{3, 32, 32};
  const std::size_t base = out.count;
  out.pixels.resize((base + n) * kPixels);
  out.labels.resize(base + n);
  if (cifar100) out.coarse_labels.resize(base + n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* rec = bytes.data() + i * record;
    const unsigned fine = rec[label_bytes - 1];
    if (fine >= static_cast<unsigned>(fine_classes)) {
      throw InputError(describe_input_problem(file.string(),
                                              "label out of range in record " + std::to_string(i),
                                              std::string(cifar100 ? "fine label 0..99" : "label 0..9"),
                                              std::to_string(fine)));
    }
    if (cifar100) {
      if (rec[0] >= 20) {
        throw InputError(describe_input_problem(file.string(),
                                                "coarse label out of range in record " + std::to_string(i),
                                                "0..19", std::to_string(rec[0])));
      }
      out.coarse_labels[base + i] = rec[0];
    }
    out.labels[base + i] = static_cast<std::uint16_t>(fine);
    std::memcpy(out.pixels.data() + (base + i) * kPixels, rec + label_bytes, kPixels);
  }
  out.count = base + n;
}

}  // namespace flight::data
