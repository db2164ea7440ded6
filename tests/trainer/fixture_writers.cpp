#include "trainer/fixture_writers.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace flight::test {
namespace fs = std::filesystem;

void write_bytes(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& raw) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::uint8_t> out(deflateBound(&zs, raw.size()) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

namespace {
void put_be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

struct MatWriter {
  bool big = false;
  std::vector<std::uint8_t> out;
  void u32(std::uint32_t x) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(x >> (big ? 24 - 8 * i : 8 * i)));
  }
  void u16(std::uint16_t x) {
    out.push_back(static_cast<std::uint8_t>(big ? x >> 8 : x));
    out.push_back(static_cast<std::uint8_t>(big ? x : x >> 8));
  }
  void pad8() {
    while (out.size() % 8) out.push_back(0);
  }
  void element(std::uint32_t type, const std::vector<std::uint8_t>& data) {
    u32(type);
    u32(static_cast<std::uint32_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
    pad8();
  }
};

std::vector<std::uint8_t> matrix_body(const MatVar& v, bool big) {
  MatWriter w{big, {}};
  // array flags
  w.u32(6);
  w.u32(8);
  w.u32(static_cast<std::uint32_t>(v.mx_class));
  w.u32(0);
  // dimensions
  w.u32(5);
  w.u32(static_cast<std::uint32_t>(4 * v.dims.size()));
  for (auto d : v.dims) w.u32(d);
  w.pad8();
  // name: small element when ≤ 4 bytes, as MATLAB writes it
  if (v.name.size() <= 4) {
    w.u32(static_cast<std::uint32_t>(v.name.size()) << 16 | 1u);
    for (std::size_t i = 0; i < 4; ++i) w.out.push_back(i < v.name.size() ? static_cast<std::uint8_t>(v.name[i]) : 0);
  } else {
    w.element(1, std::vector<std::uint8_t>(v.name.begin(), v.name.end()));
  }
  if (v.mx_class == 9) {
    w.element(2, v.u8);
  } else {
    std::vector<std::uint8_t> d(v.f64.size() * 8);
    for (std::size_t i = 0; i < v.f64.size(); ++i) {
      std::uint8_t b[8];
      std::memcpy(b, &v.f64[i], 8);
      if (big) std::reverse(b, b + 8);
      std::memcpy(d.data() + 8 * i, b, 8);
    }
    w.element(9, d);
  }
  return w.out;
}
}  // namespace

std::vector<std::uint8_t> idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic) {
  std::vector<std::uint8_t> v;
  put_be32(v, magic);
  put_be32(v, count);
  put_be32(v, rows);
  put_be32(v, cols);
  for (std::uint32_t n = 0; n < count; ++n)
    for (std::uint32_t i = 0; i < rows * cols; ++i) v.push_back(static_cast<std::uint8_t>((n * 7 + i) % 256));
  return v;
}

std::vector<std::uint8_t> idx_labels(const std::vector<std::uint8_t>& labels, std::uint32_t magic) {
  std::vector<std::uint8_t> v;
  put_be32(v, magic);
  put_be32(v, static_cast<std::uint32_t>(labels.size()));
  v.insert(v.end(), labels.begin(), labels.end());
  return v;
}

std::vector<std::uint8_t> cifar_records(const std::vector<std::uint8_t>& fine, bool cifar100,
                                        const std::vector<std::uint8_t>& coarse) {
  std::vector<std::uint8_t> v;
  for (std::size_t n = 0; n < fine.size(); ++n) {
    if (cifar100) v.push_back(coarse.empty() ? static_cast<std::uint8_t>(fine[n] % 20) : coarse[n]);
    v.push_back(fine[n]);
    for (std::size_t i = 0; i < 3072; ++i) v.push_back(static_cast<std::uint8_t>((n + i) % 256));
  }
  return v;
}

std::vector<std::uint8_t> mat_v5(const std::vector<MatVar>& vars, bool compressed, bool big_endian) {
  MatWriter w{big_endian, {}};
  std::string text = "MATLAB 5.0 MAT-file, written by the FLight DSE test suite";
  text.resize(116, ' ');
  w.out.assign(text.begin(), text.end());
  for (int i = 0; i < 8; ++i) w.out.push_back(0);  // subsystem offset
  w.u16(0x0100);
  w.out.push_back(big_endian ? 'M' : 'I');
  w.out.push_back(big_endian ? 'I' : 'M');
  for (const auto& v : vars) {
    auto body = matrix_body(v, big_endian);
    if (!compressed) {
      w.element(14, body);
      continue;
    }
    MatWriter inner{big_endian, {}};
    inner.element(14, body);
    uLongf packed_size = compressBound(static_cast<uLong>(inner.out.size()));
    std::vector<std::uint8_t> packed(packed_size);
    compress(packed.data(), &packed_size, inner.out.data(), static_cast<uLong>(inner.out.size()));
    packed.resize(packed_size);
    w.u32(15);
    w.u32(static_cast<std::uint32_t>(packed.size()));
    w.out.insert(w.out.end(), packed.begin(), packed.end());  // no padding after miCOMPRESSED
  }
  return w.out;
}

std::uint8_t svhn_pixel(std::size_t r, std::size_t c, std::size_t ch, std::size_t img) {
  return static_cast<std::uint8_t>((r + 2 * c + 5 * ch + 11 * img) % 256);
}

MatVar svhn_x(std::uint32_t n) {
  MatVar x{"X", 9, {32, 32, 3, n}, {}, {}};
  x.u8.resize(std::size_t(n) * 3072);
  for (std::size_t img = 0; img < n; ++img)
    for (std::size_t ch = 0; ch < 3; ++ch)
      for (std::size_t c = 0; c < 32; ++c)
        for (std::size_t r = 0; r < 32; ++r) x.u8[r + 32 * c + 1024 * ch + 3072 * img] = svhn_pixel(r, c, ch, img);
  return x;
}

MatVar svhn_y(const std::vector<double>& labels) {
  return MatVar{"y", 6, {static_cast<std::uint32_t>(labels.size()), 1}, {}, labels};
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("flight-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

std::optional<std::string> golden_text(const fs::path& golden, const std::string& got) {
  if (std::getenv("FLIGHT_UPDATE_GOLDEN")) std::ofstream(golden) << got;
  std::ifstream in(golden, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_tiny_data_root(const fs::path& root, std::uint32_t train, std::uint32_t test) {
  auto labels = [](std::uint32_t n, int classes) {
    std::vector<std::uint8_t> v;
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(static_cast<std::uint8_t>(i % classes));
    return v;
  };
  write_bytes(root / "mnist/train-images-idx3-ubyte", idx_images(train, 28, 28));
  write_bytes(root / "mnist/train-labels-idx1-ubyte", idx_labels(labels(train, 10)));
  write_bytes(root / "mnist/t10k-images-idx3-ubyte", idx_images(test, 28, 28));
  write_bytes(root / "mnist/t10k-labels-idx1-ubyte", idx_labels(labels(test, 10)));
  write_bytes(root / "fashion-mnist/train-images-idx3-ubyte.gz", gzip_bytes(idx_images(train, 28, 28)));
  write_bytes(root / "fashion-mnist/train-labels-idx1-ubyte.gz", gzip_bytes(idx_labels(labels(train, 10))));
  write_bytes(root / "fashion-mnist/t10k-images-idx3-ubyte.gz", gzip_bytes(idx_images(test, 28, 28)));
  write_bytes(root / "fashion-mnist/t10k-labels-idx1-ubyte.gz", gzip_bytes(idx_labels(labels(test, 10))));
  for (int b = 1; b <= 5; ++b) {
    write_bytes(root / ("cifar10/cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin"),
                cifar_records(labels(train, 10), false));
  }
  write_bytes(root / "cifar10/cifar-10-batches-bin/test_batch.bin", cifar_records(labels(test, 10), false));
  write_bytes(root / "cifar100/cifar-100-binary/train.bin", cifar_records(labels(train, 100), true));
  write_bytes(root / "cifar100/cifar-100-binary/test.bin", cifar_records(labels(test, 100), true));
  auto svhn_labels = [](std::uint32_t n) {
    std::vector<double> v;
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(i % 10 == 0 ? 10.0 : double(i % 10));
    return v;
  };
  write_bytes(root / "svhn/train_32x32.mat", mat_v5({svhn_x(train), svhn_y(svhn_labels(train))}, true));
  write_bytes(root / "svhn/test_32x32.mat", mat_v5({svhn_x(test), svhn_y(svhn_labels(test))}, true));
}

}  // namespace flight::test
