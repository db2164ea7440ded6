// End-to-end tests of `flight dse` and network files, with golden reports for two tiny networks.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>

#include "cli/cli_runner.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::test {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kSource = FLIGHT_SOURCE_DIR;

// Compares two JSON values: numbers within a relative 1e-9, everything else exactly; keys named in `ignore`
// (timings) are skipped.  Returns the path of the first difference, or "".
std::string first_difference(const json::value& a, const json::value& b, const std::string& path) {
  if (a.is_number() && b.is_number()) {
    const double x = json::value_to<double>(a), y = json::value_to<double>(b);
    return std::abs(x - y) <= 1e-9 * std::max({1.0, std::abs(x), std::abs(y)}) ? "" : path + ": " +
                                                                                        json::serialize(a) + " vs " +
                                                                                        json::serialize(b);
  }
  if (a.kind() != b.kind()) return path + ": kind differs";
  if (a.is_object()) {
    const auto &oa = a.as_object(), &ob = b.as_object();
    if (oa.size() != ob.size()) return path + ": key count differs";
    for (const auto& [k, v] : oa) {
      if (k == "search_seconds") continue;
      if (!ob.contains(k)) return path + "." + std::string(k) + ": missing";
      if (auto d = first_difference(v, ob.at(k), path + "." + std::string(k)); !d.empty()) return d;
    }
    return "";
  }
  if (a.is_array()) {
    const auto &aa = a.as_array(), &ab = b.as_array();
    if (aa.size() != ab.size()) return path + ": array length differs";
    for (std::size_t i = 0; i < aa.size(); ++i)
      if (auto d = first_difference(aa[i], ab[i], path + "[" + std::to_string(i) + "]"); !d.empty()) return d;
    return "";
  }
  return a == b ? "" : path + ": " + json::serialize(a) + " vs " + json::serialize(b);
}

class CliHw : public ::testing::Test {
 protected:
  TempDir tmp;
  CliResult run(const std::string& args) { return run_flight(args, tmp.path()); }

  void check_golden(const std::string& net, const std::string& golden_name) {
    const auto r = run("dse --net " + (kSource / "tests/fixtures/networks" / (net + ".toml")).string() +
                       " --k-profile uniform:1 --k-profile uniform:2 --k-profile mix:0.5 --k-profile fixed:4"
                       " --device zynq-7020 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto golden_file = kSource / "tests/golden" / golden_name;
    if (std::getenv("FLIGHT_UPDATE_GOLDEN")) {
      std::ofstream(golden_file) << r.out;
      GTEST_SKIP() << "rewrote " << golden_file;
    }
    ASSERT_TRUE(fs::exists(golden_file)) << golden_file << " missing; FLIGHT_UPDATE_GOLDEN=1 writes it";
    const auto diff = first_difference(json::parse(r.out), json::parse(slurp(golden_file)), "$");
    EXPECT_EQ(diff, "") << "flight dse output changed for " << net
                        << "; if the change is intended, rerun with FLIGHT_UPDATE_GOLDEN=1 and review the diff";
  }
};

TEST_F(CliHw, GoldenReportTinyA) { check_golden("tiny-a", "dse_tiny_a.json"); }
TEST_F(CliHw, GoldenReportTinyB) { check_golden("tiny-b", "dse_tiny_b.json"); }

TEST_F(CliHw, DseTextReportForLenet) {
  const auto r = run("dse --net lenet-l --k-profile uniform:1 --k-profile uniform:2 --device zc706");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lenet-l on mnist"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("speedup"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uniform:2"), std::string::npos) << r.out;
}

TEST_F(CliHw, BadInputsAreExit2WithOneLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"dse --net lenet-l --k-profile uniform:3", "--k-profile"},
      {"dse --net lenet-l --k-profile uniform:1 --device stratix10", "unknown device 'stratix10'"},
      {"dse --net lenet-9 --k-profile uniform:1", "unknown network 'lenet-9'"},
      {"dse --net lenet-l --k-profile uniform:1 --energy-table 7nm", "unknown table '7nm'"},
      {"dse --net lenet-l --k-profile uniform:1 --lut-cap 1.5", "lut-cap"},
  };
  for (const auto& [args, fragment] : cases) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << args << "\n" << r.err;
  }
}

TEST_F(CliHw, BadNetworkFileNamesFileAndKey) {
  const auto f = tmp.path() / "bad.toml";
  const std::pair<std::string, std::string> cases[] = {
      {"name = \"x\"\n[[layer]]\ntype = \"conv\"\nout = 4\nkernal = 3\n", "key 'layer[1].kernel'"},
      {"name = \"x\"\n[[layer]]\ntype = \"conv\"\nout = 4\nkernel = 3\nstrde = 2\n", "unknown key 'layer[1].strde'"},
      {"name = \"x\"\n[[layer]]\ntype = \"convolution\"\n", "key 'layer[1].type' (expected one of conv, fc"},
      {"name = \"x\"\n[[layer]]\ntype = \"fc\"\nout = -3\n", "key 'layer[1].out'"},
      {"name = \"x\"\n[[layer]]\ntype = \"relu\"\n", "at least one conv or fc layer"},
      {"name = \"x\"\n[[layer]\n", "TOML syntax error"},
      {"[[layer]]\ntype = \"fc\"\nout = 3\n", "key 'name'"},
  };
  for (const auto& [text, fragment] : cases) {
    std::ofstream(f) << text;
    const auto r = run("dse --net " + f.string() + " --k-profile uniform:1");
    EXPECT_EQ(r.exit_code, 2) << text << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(f.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << text << "\n" << r.err;
  }
}

TEST_F(CliHw, NetworkThatDoesNotFitItsInputIsBadInput) {
  const auto f = tmp.path() / "deep.toml";
  std::ofstream(f) << "name = \"deep\"\n[[layer]]\ntype = \"conv\"\nout = 4\nkernel = 30\n";
  const auto r = run("dse --net " + f.string() + " --k-profile uniform:1 --dataset mnist");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("kernel does not fit its input"), std::string::npos) << r.err;
}

TEST_F(CliHw, CalibrateHelpNamesTheTable) {
  const auto r = run("calibrate fpga --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("fpga_block_costs.csv"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace flight::test
