// End-to-end tests of `flight` (the real binary) on tiny data written by the test.
#include <gtest/gtest.h>

#include "cli/cli_runner.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::test {
namespace {
namespace fs = std::filesystem;

class CliData : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path root() const { return tmp.path() / "data"; }
  void SetUp() override { write_tiny_data_root(root(), 12, 5); }
  CliResult run(const std::string& args, const std::string& env = "") { return run_flight(args, tmp.path(), env); }
  // Bad input: exit 2, exactly one line on stderr, naming `file`.
  void expect_bad_input(const std::string& args, const fs::path& file, const std::string& fragment) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
};

TEST_F(CliData, HelpAndVersion) {
  for (const char* args : {"--help", "data --help", "data info --help", "data list --help"}) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args << r.out;
  }
  const auto v = run("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("flight 0."), std::string::npos) << v.out;
}

TEST_F(CliData, NoOrUnknownSubcommandIsBadInput) {
  EXPECT_EQ(run("").exit_code, 2);
  EXPECT_EQ(run("frobnicate").exit_code, 2);
  EXPECT_EQ(run("data info").exit_code, 2);  // DATASET missing
}

TEST_F(CliData, UnknownDataSetListsTheKnownOnes) {
  const auto r = run("data info imagenet --data-dir " + root().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown data set 'imagenet'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fashion-mnist"), std::string::npos) << r.err;
}

TEST_F(CliData, InfoTextForMnist) {
  const auto r = run("data info mnist --data-dir " + root().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("train       12 images"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test        5 images"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("28x28x1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("classes     10"), std::string::npos) << r.out;
}

TEST_F(CliData, InfoJsonForEveryDataSet) {
  for (const char* name : {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn"}) {
    const auto r = run(std::string("data info ") + name + " --json --data-dir " + root().string());
    ASSERT_EQ(r.exit_code, 0) << name << r.err;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(std::string("\"dataset\":\"") + name + "\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"test\":{\"count\":5"), std::string::npos) << r.out;
  }
  const auto c100 = run("data info cifar100 --json --data-dir " + root().string());
  EXPECT_NE(c100.out.find("\"num_classes\":100"), std::string::npos) << c100.out;
  EXPECT_NE(c100.out.find("\"num_coarse_classes\":20"), std::string::npos) << c100.out;
  // SVHN label 10 is stored as digit 0: 12 cyclic labels 10,1,..,9,10,1 give two zeros and two ones.
  const auto svhn = run("data info svhn --json --data-dir " + root().string());
  EXPECT_NE(svhn.out.find("\"train\":{\"count\":12,\"histogram\":[2,2,1,1,1,1,1,1,1,1]"), std::string::npos)
      << svhn.out;
}

TEST_F(CliData, DataRootFromEnvironment) {
  const auto r = run("data info mnist --json", "FLIGHT_DATA=" + root().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliData, ChecksumDependsOnPixels) {
  const auto a = run("data info mnist --json --data-dir " + root().string());
  write_bytes(root() / "mnist/t10k-images-idx3-ubyte", idx_images(5, 28, 28, 0x00000803));
  auto bytes = idx_images(5, 28, 28);
  bytes.back() ^= 1;
  write_bytes(root() / "mnist/t10k-images-idx3-ubyte", bytes);
  const auto b = run("data info mnist --json --data-dir " + root().string());
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  const auto key = std::string("\"pixel_checksum_fnv1a64\":\"");
  const auto ca = a.out.substr(a.out.rfind(key), key.size() + 16);
  const auto cb = b.out.substr(b.out.rfind(key), key.size() + 16);
  EXPECT_NE(ca, cb);
}

TEST_F(CliData, TruncatedCifarIsExit2NamingTheFile) {
  const auto f = root() / "cifar10/cifar-10-batches-bin/data_batch_3.bin";
  auto bytes = cifar_records({1, 2, 3}, false);
  bytes.resize(bytes.size() - 100);
  write_bytes(f, bytes);
  expect_bad_input("data info cifar10 --data-dir " + root().string(), f, "truncated CIFAR-10 file");
}

TEST_F(CliData, WrongIdxMagicIsExit2NamingTheFile) {
  const auto f = root() / "mnist/train-images-idx3-ubyte";
  write_bytes(f, idx_images(12, 28, 28, 0x00000802));
  expect_bad_input("data info mnist --data-dir " + root().string(), f, "wrong IDX magic number");
}

TEST_F(CliData, SvhnWithoutXIsExit2NamingTheFile) {
  const auto f = root() / "svhn/test_32x32.mat";
  write_bytes(f, mat_v5({svhn_y({1, 2, 3})}, true));
  expect_bad_input("data info svhn --data-dir " + root().string(), f, "no variable 'X'");
}

TEST_F(CliData, LabelOutOfRangeIsExit2NamingTheFile) {
  const auto f = root() / "fashion-mnist/t10k-labels-idx1-ubyte.gz";
  write_bytes(f, gzip_bytes(idx_labels({1, 2, 3, 4, 200})));
  expect_bad_input("data info fashion-mnist --data-dir " + root().string(), f, "label out of range");
}

TEST_F(CliData, AbsentSvhnNamesTheExpectedFiles) {
  fs::remove_all(root() / "svhn");
  const auto r = run("data info svhn --data-dir " + root().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("train_32x32.mat"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("test_32x32.mat"), std::string::npos) << r.err;
}

TEST_F(CliData, ListSaysWhatIsPresent) {
  fs::remove_all(root() / "svhn");
  const auto r = run("data list --data-dir " + root().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mnist: present"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("svhn: absent"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace flight::test
