#include <gtest/gtest.h>

#include <string>

#include "flight/core/checksum.hpp"
#include "flight/core/error.hpp"
#include "flight/core/shape.hpp"
#include "flight/core/text.hpp"

namespace flight {
namespace {

TEST(Error, InputProblemIsOneLineNamingWhereExpectedAndFound) {
  const auto line = describe_input_problem("data/x.bin", "truncated file", "3073-byte records", "12 bytes");
  EXPECT_EQ(line, "data/x.bin: truncated file (expected 3073-byte records, found 12 bytes)");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Error, CheckStaysOnAndNamesFileLineAndCondition) {
  try {
    FLIGHT_CHECK(1 + 1 == 3, "arithmetic");
    FAIL() << "FLIGHT_CHECK did not throw";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test_core.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("1 + 1 == 3"), std::string::npos) << what;
    EXPECT_NE(what.find("arithmetic"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(FLIGHT_CHECK(true, ""));
}

TEST(Checksum, Fnv1a64KnownVectors) {
  // Reference values of the FNV-1a 64-bit hash (Fowler/Noll/Vo test suite).
  Fnv1a64 empty;
  EXPECT_EQ(empty.hex(), "cbf29ce484222325");
  Fnv1a64 a;
  const std::uint8_t byte_a[] = {'a'};
  a.update(byte_a);
  EXPECT_EQ(a.hex(), "af63dc4c8601ec8c");
  Fnv1a64 foobar;
  const std::string s = "foobar";
  foobar.update({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  EXPECT_EQ(foobar.hex(), "85944171f73967e8");
}

TEST(Checksum, IncrementalEqualsOneShot) {
  std::vector<std::uint8_t> bytes(1000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 31);
  Fnv1a64 whole, parts;
  whole.update(bytes);
  parts.update(std::span(bytes).first(333));
  parts.update(std::span(bytes).subspan(333));
  EXPECT_EQ(whole.value(), parts.value());
}

TEST(Text, NonemptyLinesSkipsBlanksAndCarriageReturns) {
  const auto lines = nonempty_lines("airplane\r\n automobile \n\n\nbird\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "airplane");
  EXPECT_EQ(lines[1], "automobile");
  EXPECT_EQ(lines[2], "bird");
  EXPECT_TRUE(nonempty_lines("").empty());
}

TEST(Text, WithCommasAndSeconds) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(30730000), "30,730,000");
  EXPECT_EQ(format_seconds(0.0123), "12.3 ms");
  EXPECT_EQ(format_seconds(1.5), "1.50 s");
  EXPECT_EQ(format_seconds(125), "2m05s");
}

TEST(Shape, PixelsAndString) {
  ImageShape s{3, 32, 32};
  EXPECT_EQ(s.pixels(), 3072u);
  EXPECT_EQ(s.str(), "32x32x3");
  EXPECT_EQ(s, (ImageShape{3, 32, 32}));
  EXPECT_NE(s, (ImageShape{1, 32, 32}));
}

}  // namespace
}  // namespace flight
