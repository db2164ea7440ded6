// Loader tests: tiny valid files of every format, and the broken variants a user meets in practice.
#include <gtest/gtest.h>

#include <cstdlib>

#include "flight/core/error.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/data/matv5.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::data {
namespace {
using namespace flight::test;
namespace fs = std::filesystem;

// Expects InputError whose one-line message contains `file` and `fragment`.
template <typename F>
void expect_input_error(F&& f, const fs::path& file, const std::string& fragment) {
  try {
    f();
    FAIL() << "no InputError for " << file;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

class DataTest : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path file(const std::string& name) const { return tmp.path() / name; }
};

// ---------- IDX ----------

TEST_F(DataTest, IdxImagesPlainRoundTrip) {
  write_bytes(file("img"), idx_images(3, 4, 5));
  const auto im = read_idx_images(file("img"));
  EXPECT_EQ(im.count, 3u);
  EXPECT_EQ(im.rows, 4u);
  EXPECT_EQ(im.cols, 5u);
  ASSERT_EQ(im.pixels.size(), 60u);
  EXPECT_EQ(im.pixels[20 + 3], (1 * 7 + 3) % 256);
}

TEST_F(DataTest, IdxImagesGzipRoundTrip) {
  write_bytes(file("img.gz"), gzip_bytes(idx_images(4, 28, 28)));
  const auto im = read_idx_images(file("img.gz"));
  EXPECT_EQ(im.count, 4u);
  EXPECT_EQ(im.pixels.size(), 4u * 784u);
  EXPECT_EQ(im.pixels[784 * 2 + 5], (2 * 7 + 5) % 256);
}

TEST_F(DataTest, IdxWrongMagicNamesBothNumbers) {
  write_bytes(file("img"), idx_images(2, 3, 3, 0x00000801));
  expect_input_error([&] { read_idx_images(file("img")); }, file("img"), "expected 0x00000803, found 0x00000801");
}

TEST_F(DataTest, IdxLabelsFileGivenAsImages) {
  write_bytes(file("lab"), idx_labels({1, 2, 3}));
  expect_input_error([&] { read_idx_images(file("lab")); }, file("lab"), "wrong IDX magic");
}

TEST_F(DataTest, IdxTruncatedData) {
  auto bytes = idx_images(3, 4, 4);
  bytes.resize(bytes.size() - 5);
  write_bytes(file("img"), bytes);
  expect_input_error([&] { read_idx_images(file("img")); }, file("img"), "truncated IDX data");
}

TEST_F(DataTest, IdxTrailingBytes) {
  auto bytes = idx_labels({1, 2});
  bytes.push_back(7);
  write_bytes(file("lab"), bytes);
  expect_input_error([&] { read_idx_labels(file("lab")); }, file("lab"), "trailing bytes");
}

TEST_F(DataTest, IdxTruncatedHeader) {
  write_bytes(file("img"), {0, 0, 8, 3, 0, 0});
  expect_input_error([&] { read_idx_images(file("img")); }, file("img"), "truncated IDX header");
}

// Dimensions whose product wraps around 2^64 (2^31 · 2^31 · 4 = 2^64 ≡ 0) used to match an empty data section and
// send the loader reading 2^31 images past the buffer; the product is now checked as it grows.
TEST_F(DataTest, IdxDimensionsWhoseProductOverflowsAreRefused) {
  std::vector<std::uint8_t> bytes = {0, 0, 8, 3, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 4};
  write_bytes(file("img"), bytes);
  expect_input_error([&] { read_idx_images(file("img")); }, file("img"), "IDX dimensions too large");
}

TEST_F(DataTest, GzipCorruptStream) {
  auto gz = gzip_bytes(idx_images(5, 28, 28));
  gz.resize(gz.size() / 2);
  write_bytes(file("img.gz"), gz);
  expect_input_error([&] { read_idx_images(file("img.gz")); }, file("img.gz"), "gzip");
}

TEST_F(DataTest, GzSuffixWithoutGzipMagic) {
  write_bytes(file("img.gz"), idx_images(1, 2, 2));
  expect_input_error([&] { read_idx_images(file("img.gz")); }, file("img.gz"), "not a gzip file");
}

TEST_F(DataTest, MissingFileIsInputError) {
  expect_input_error([&] { read_idx_labels(file("nope")); }, file("nope"), "cannot open");
}

// ---------- data roots ----------

TEST_F(DataTest, TinyRootLoadsEveryDataSet) {
  write_tiny_data_root(tmp.path(), 12, 5);
  for (auto id : all_datasets()) {
    SCOPED_TRACE(std::string(dataset_name(id)));
    const auto d = load_dataset(id, tmp.path());
    EXPECT_EQ(d.train.count, id == DatasetId::cifar10 ? 60u : 12u);
    EXPECT_EQ(d.test.count, 5u);
    EXPECT_EQ(d.train.pixels.size(), d.train.count * d.shape.pixels());
    EXPECT_EQ(d.train.labels.size(), d.train.count);
    EXPECT_EQ(d.class_names.size(), static_cast<std::size_t>(d.num_classes));
    EXPECT_FALSE(d.synthetic);
  }
}

TEST_F(DataTest, MnistShapeAndLabels) {
  write_tiny_data_root(tmp.path(), 12, 5);
  const auto d = load_dataset(DatasetId::mnist, tmp.path());
  EXPECT_EQ(d.shape, (ImageShape{1, 28, 28}));
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.train.labels[11], 1);
  EXPECT_EQ(d.train.image(3)[10], (3 * 7 + 10) % 256);
}

TEST_F(DataTest, MnistLabelOutOfRange) {
  write_tiny_data_root(tmp.path(), 4, 2);
  write_bytes(tmp.path() / "mnist/t10k-labels-idx1-ubyte", idx_labels({3, 12}));
  expect_input_error([&] { load_dataset(DatasetId::mnist, tmp.path()); }, tmp.path() / "mnist/t10k-labels-idx1-ubyte",
                     "label out of range at index 1 (expected 0..9, found 12)");
}

TEST_F(DataTest, MnistLabelCountMismatch) {
  write_tiny_data_root(tmp.path(), 4, 2);
  write_bytes(tmp.path() / "mnist/t10k-labels-idx1-ubyte", idx_labels({3, 1, 2}));
  expect_input_error([&] { load_dataset(DatasetId::mnist, tmp.path()); }, tmp.path() / "mnist/t10k-labels-idx1-ubyte",
                     "label count does not match");
}

TEST_F(DataTest, AbsentDataSetNamesExpectedFiles) {
  const auto p = find_dataset(DatasetId::svhn, tmp.path());
  EXPECT_FALSE(p.present);
  EXPECT_NE(p.reason.find("train_32x32.mat"), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("test_32x32.mat"), std::string::npos) << p.reason;
  EXPECT_THROW(load_dataset(DatasetId::svhn, tmp.path()), InputError);
}

TEST_F(DataTest, DataRootPrecedence) {
  ::setenv("FLIGHT_DATA", "/from/env", 1);
  EXPECT_EQ(resolve_data_root(std::string("/from/cli")), fs::path("/from/cli"));
  EXPECT_EQ(resolve_data_root(std::nullopt), fs::path("/from/env"));
  ::unsetenv("FLIGHT_DATA");
  EXPECT_EQ(resolve_data_root(std::nullopt), fs::path("data"));
}

TEST_F(DataTest, DatasetNamesRoundTrip) {
  for (auto id : all_datasets()) EXPECT_EQ(parse_dataset_id(dataset_name(id)), id);
  EXPECT_FALSE(parse_dataset_id("imagenet").has_value());
}

// ---------- CIFAR ----------

TEST_F(DataTest, Cifar10RecordsAndPlanarPixels) {
  write_bytes(file("b.bin"), cifar_records({3, 9, 0}, false));
  Split s;
  read_cifar_bin(file("b.bin"), 10, s);
  ASSERT_EQ(s.count, 3u);
  EXPECT_EQ(s.labels[1], 9);
  EXPECT_EQ(s.image(2)[100], (2 + 100) % 256);
  EXPECT_TRUE(s.coarse_labels.empty());
  read_cifar_bin(file("b.bin"), 10, s);  // appends
  EXPECT_EQ(s.count, 6u);
  EXPECT_EQ(s.labels[4], 9);
}

TEST_F(DataTest, CifarTruncated) {
  auto bytes = cifar_records({1, 2}, false);
  bytes.resize(bytes.size() - 1);
  write_bytes(file("b.bin"), bytes);
  Split s;
  expect_input_error([&] { read_cifar_bin(file("b.bin"), 10, s); }, file("b.bin"),
                     "truncated CIFAR-10 file (expected a whole number of 3073-byte records");
}

TEST_F(DataTest, CifarLabelOutOfRange) {
  write_bytes(file("b.bin"), cifar_records({1, 10}, false));
  Split s;
  expect_input_error([&] { read_cifar_bin(file("b.bin"), 10, s); }, file("b.bin"), "label out of range in record 1");
}

TEST_F(DataTest, Cifar100CoarseAndFine) {
  write_bytes(file("t.bin"), cifar_records({99, 4}, true, {19, 0}));
  Split s;
  read_cifar_bin(file("t.bin"), 100, s);
  ASSERT_EQ(s.count, 2u);
  EXPECT_EQ(s.labels[0], 99);
  EXPECT_EQ(s.coarse_labels[0], 19);
  EXPECT_EQ(s.image(1)[0], 1);
}

TEST_F(DataTest, Cifar100CoarseOutOfRange) {
  write_bytes(file("t.bin"), cifar_records({5}, true, {20}));
  Split s;
  expect_input_error([&] { read_cifar_bin(file("t.bin"), 100, s); }, file("t.bin"), "coarse label out of range");
}

TEST_F(DataTest, Cifar10ClassNamesFromMetaFile) {
  write_tiny_data_root(tmp.path(), 3, 2);
  const auto dir = tmp.path() / "cifar10/cifar-10-batches-bin";
  write_bytes(dir / "batches.meta.txt",
              [] {
                std::string s = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
                return std::vector<std::uint8_t>(s.begin(), s.end());
              }());
  const auto d = load_dataset(DatasetId::cifar10, tmp.path());
  EXPECT_EQ(d.class_names[0], "airplane");
  EXPECT_EQ(d.class_names[9], "truck");
}

TEST_F(DataTest, ClassNamesFileWithWrongCount) {
  write_tiny_data_root(tmp.path(), 3, 2);
  const auto names = tmp.path() / "cifar100/cifar-100-binary/coarse_label_names.txt";
  write_bytes(names, {'a', '\n', 'b', '\n'});
  expect_input_error([&] { load_dataset(DatasetId::cifar100, tmp.path()); }, names,
                     "wrong number of class names (expected 20, found 2)");
}

TEST_F(DataTest, CifarFilesDirectlyInDataSetFolder) {
  for (int b = 1; b <= 5; ++b)
    write_bytes(tmp.path() / ("cifar10/data_batch_" + std::to_string(b) + ".bin"), cifar_records({1}, false));
  write_bytes(tmp.path() / "cifar10/test_batch.bin", cifar_records({2, 3}, false));
  const auto d = load_dataset(DatasetId::cifar10, tmp.path());
  EXPECT_EQ(d.train.count, 5u);
  EXPECT_EQ(d.test.count, 2u);
  EXPECT_EQ(d.directory, tmp.path() / "cifar10");
}

// ---------- MATLAB v5 / SVHN ----------

TEST_F(DataTest, MatV5UncompressedTransposesToChannelMajor) {
  write_bytes(file("s.mat"), mat_v5({svhn_x(3), svhn_y({10, 1, 9})}, false));
  const auto s = read_svhn_mat(file("s.mat"));
  ASSERT_EQ(s.count, 3u);
  EXPECT_EQ(s.labels[0], 0);  // 10 means digit 0
  EXPECT_EQ(s.labels[1], 1);
  EXPECT_EQ(s.labels[2], 9);
  for (std::size_t img = 0; img < 3; ++img)
    for (std::size_t ch : {0, 2})
      for (std::size_t r : {0, 5, 31})
        for (std::size_t c : {0, 7, 31}) EXPECT_EQ(s.image(img)[ch * 1024 + r * 32 + c], svhn_pixel(r, c, ch, img));
}

TEST_F(DataTest, MatV5CompressedMatchesUncompressed) {
  write_bytes(file("u.mat"), mat_v5({svhn_x(4), svhn_y({1, 2, 3, 10})}, false));
  write_bytes(file("c.mat"), mat_v5({svhn_x(4), svhn_y({1, 2, 3, 10})}, true));
  const auto u = read_svhn_mat(file("u.mat"));
  const auto c = read_svhn_mat(file("c.mat"));
  EXPECT_EQ(u.pixels, c.pixels);
  EXPECT_EQ(u.labels, c.labels);
}

TEST_F(DataTest, MatV5BigEndian) {
  write_bytes(file("be.mat"), mat_v5({svhn_x(2), svhn_y({5, 10})}, false, true));
  const auto s = read_svhn_mat(file("be.mat"));
  EXPECT_EQ(s.labels[0], 5);
  EXPECT_EQ(s.labels[1], 0);
  EXPECT_EQ(s.image(1)[1024 + 3 * 32 + 4], svhn_pixel(3, 4, 1, 1));
}

TEST_F(DataTest, MatV5GenericArrays) {
  write_bytes(file("g.mat"), mat_v5({MatVar{"values", 6, {1, 3}, {}, {1.5, -2, 3}}}, true));
  const auto vars = read_mat_v5(file("g.mat"));
  ASSERT_EQ(vars.count("values"), 1u);
  const auto& v = vars.at("values");
  EXPECT_EQ(v.mx_class, 6);
  EXPECT_EQ(v.element_count(), 3u);
  EXPECT_DOUBLE_EQ(v.values[0], 1.5);
  EXPECT_DOUBLE_EQ(v.values[1], -2);
}

// The same for MAT v5: 65536⁴ = 2^64 ≡ 0 elements used to match a 0-byte data element.
TEST_F(DataTest, MatDimensionsWhoseProductOverflowsAreRefused) {
  write_bytes(file("o.mat"), mat_v5({MatVar{"big", 6, {65536, 65536, 65536, 65536}, {}, {}}}, false));
  expect_input_error([&] { read_mat_v5(file("o.mat")); }, file("o.mat"), "dimensions of 'big'");
}

TEST_F(DataTest, SvhnWithoutX) {
  write_bytes(file("s.mat"), mat_v5({svhn_y({1, 2})}, true));
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "no variable 'X'");
}

TEST_F(DataTest, SvhnWithoutY) {
  write_bytes(file("s.mat"), mat_v5({svhn_x(2)}, false));
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "no variable 'y'");
}

TEST_F(DataTest, SvhnLabelOutOfRange) {
  write_bytes(file("s.mat"), mat_v5({svhn_x(3), svhn_y({1, 0, 2})}, true));
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"),
                     "SVHN label out of range at index 1 (expected an integer 1..10");
}

TEST_F(DataTest, SvhnLabelCountMismatch) {
  write_bytes(file("s.mat"), mat_v5({svhn_x(3), svhn_y({1, 2})}, true));
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "does not match 'X'");
}

TEST_F(DataTest, SvhnWrongXShape) {
  MatVar x{"X", 9, {28, 28, 1, 2}, std::vector<std::uint8_t>(28 * 28 * 2), {}};
  write_bytes(file("s.mat"), mat_v5({x, svhn_y({1, 2})}, false));
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "expected 32x32x3xN with N > 0, found 28x28x1x2");
}

TEST_F(DataTest, MatTruncated) {
  auto bytes = mat_v5({svhn_x(2), svhn_y({1, 2})}, false);
  bytes.resize(bytes.size() - 3000);
  write_bytes(file("s.mat"), bytes);
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "truncated");
}

TEST_F(DataTest, MatCompressedCorrupt) {
  auto bytes = mat_v5({svhn_x(2), svhn_y({1, 2})}, true);
  for (std::size_t i = 140; i < 200; ++i) bytes[i] ^= 0x5a;
  write_bytes(file("s.mat"), bytes);
  expect_input_error([&] { read_svhn_mat(file("s.mat")); }, file("s.mat"), "compressed");
}

TEST_F(DataTest, MatNotAMatFile) {
  write_bytes(file("s.mat"), std::vector<std::uint8_t>(200, 'x'));
  expect_input_error([&] { read_mat_v5(file("s.mat")); }, file("s.mat"), "not a MATLAB MAT-file");
}

TEST_F(DataTest, MatV73Rejected) {
  auto bytes = mat_v5({}, false);
  bytes[124] = 0x00;
  bytes[125] = 0x02;
  write_bytes(file("s.mat"), bytes);
  expect_input_error([&] { read_mat_v5(file("s.mat")); }, file("s.mat"), "v7.3");
}

TEST_F(DataTest, SyntheticMarkerIsReported) {
  write_tiny_data_root(tmp.path(), 3, 2);
  write_bytes(tmp.path() / "svhn/SYNTHETIC-NOT-REAL-DATA.txt", {'x'});
  EXPECT_TRUE(load_dataset(DatasetId::svhn, tmp.path()).synthetic);
}

}  // namespace
}  // namespace flight::data
