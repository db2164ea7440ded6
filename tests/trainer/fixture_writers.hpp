#pragma once
// Writers of tiny data files in the official formats, valid or deliberately broken, for loader and CLI tests.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace flight::test {

void write_bytes(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& raw);

// IDX: magic, big-endian dims, data.  Pixel i of image n is (n * 7 + i) % 256.
std::vector<std::uint8_t> idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                                     std::uint32_t magic = 0x00000803);
std::vector<std::uint8_t> idx_labels(const std::vector<std::uint8_t>& labels, std::uint32_t magic = 0x00000801);

// CIFAR records.  CIFAR-10: label byte; CIFAR-100: coarse, fine.  Pixel bytes are (n + i) % 256.
std::vector<std::uint8_t> cifar_records(const std::vector<std::uint8_t>& fine, bool cifar100,
                                        const std::vector<std::uint8_t>& coarse = {});

// MATLAB v5 MAT-file, built byte by byte.
struct MatVar {
  std::string name;
  int mx_class;                      // 6 double, 9 uint8
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> u8;      // for uint8
  std::vector<double> f64;           // for double
};
std::vector<std::uint8_t> mat_v5(const std::vector<MatVar>& vars, bool compressed, bool big_endian = false);

// SVHN-like X (32×32×3×n, column-major) where pixel (r, c, ch, img) = (r + 2c + 5ch + 11img) % 256.
MatVar svhn_x(std::uint32_t n);
std::uint8_t svhn_pixel(std::size_t r, std::size_t c, std::size_t ch, std::size_t img);
MatVar svhn_y(const std::vector<double>& labels_1_to_10);

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A golden file's text, or nullopt when it is missing.  With FLIGHT_UPDATE_GOLDEN set, `got` is written to it first
// (regenerate, then review the diff).
std::optional<std::string> golden_text(const std::filesystem::path& golden, const std::string& got);

// A complete tiny data root: mnist (IDX plain), fashion-mnist (IDX .gz), cifar10 (in cifar-10-batches-bin/),
// cifar100 (in cifar-100-binary/), svhn (compressed MAT) — each with `train` and `test` images.
void write_tiny_data_root(const std::filesystem::path& root, std::uint32_t train = 12, std::uint32_t test = 5);

}  // namespace flight::test
