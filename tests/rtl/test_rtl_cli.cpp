// End-to-end: flight rtl writes the engine of a model trained on tiny data; flight verify simulates it under
// Verilator (outputs bit-identical to flight sim's inference) and reports cycles; bad requests are exit 2.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>

#include "cli/cli_runner.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::test {
namespace {
namespace fs = std::filesystem;

class CliRtl : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path model;
  fs::path root() const { return tmp.path() / "data"; }
  void SetUp() override {
    write_tiny_data_root(root(), 64, 20);
    model = tmp.path() / "m.json";
    const auto t = run("train --dataset mnist --net lenet-s --method flightnn --lambda 0.5 --epochs 1 --batch 16"
                       " --threads 2 --data-dir " + root().string() + " --out " + model.string());
    ASSERT_EQ(t.exit_code, 0) << t.err;
  }
  CliResult run(const std::string& args) { return run_flight(args, tmp.path()); }
};

TEST_F(CliRtl, RtlWritesTheEngineFiles) {
  const auto out = tmp.path() / "engine";
  const auto r = run("rtl --model " + model.string() + " --max-slots 12 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"engine.v", "weights.hex", "requant.hex", "tb.cpp", "synth.ys"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  EXPECT_NE(r.out.find("uniform"), std::string::npos) << r.out;
}

TEST_F(CliRtl, VerifyRunsTheEngineBitIdenticalToSim) {
  if (std::system("verilator --version > /dev/null 2>&1") != 0) {
    if (std::getenv("CI")) FAIL() << "verilator is missing under CI: scripts/install-deps build installs it";
    GTEST_SKIP() << "verilator not installed (scripts/install-deps build)";
  }
  const auto r = run("verify --model " + model.string() + " --max-slots 12 --images 4 --no-synth --json --data-dir " +
                     root().string());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = boost::json::parse(last_line(r.out)).as_object();
  EXPECT_TRUE(j.at("bit_identical").as_bool());
  EXPECT_EQ(j.at("images").as_int64(), 4);
  EXPECT_EQ(j.at("predictions_equal").as_int64(), 4);
  EXPECT_TRUE(j.at("lint_clean").as_bool());
  const auto& layers = j.at("layers").as_array();
  ASSERT_EQ(layers.size(), 5u);  // 2 conv + 3 fc
  for (const auto& l : layers) {
    EXPECT_GT(l.at("measured_cycles").as_int64(), 0);
    EXPECT_LT(std::abs(l.at("error_pct").as_double()), 25.0) << l;
  }
}

TEST_F(CliRtl, DesignFileChoosesTheDesign) {
  // The `design` object of flight sim/dse --json, here written by hand (requantizers absent: the model picks).
  const auto file = tmp.path() / "design.json";
  std::ofstream(file) << R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 3, "lanes": 5,
                             "fmap_on_chip": true, "weights_on_chip": true, "acc_bits": 99, "summary": "ignored"})";
  const auto out = tmp.path() / "engine";
  const auto r = run("rtl --model " + model.string() + " --design " + file.string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("uniform shift_k2 p_in=3 lanes=5"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out / "engine.v"));
  // Each bad design is one line naming the file and what is wrong, exit 2, and nothing written.
  auto bad = [&](const std::string& json, const std::string& expect, const std::string& extra = "") {
    std::ofstream(file) << json;
    const auto dir = tmp.path() / "bad";
    const auto b = run("rtl --model " + model.string() + " --design " + file.string() + extra + " --out " + dir.string());
    EXPECT_EQ(b.exit_code, 2) << json << "\n" << b.err;
    EXPECT_NE(b.err.find(expect), std::string::npos) << json << "\n" << b.err;
    EXPECT_NE(b.err.find(file.string()), std::string::npos) << b.err;
    EXPECT_FALSE(fs::exists(dir / "engine.v")) << json;
  };
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2, "lanes": 4, "pin": 3})", "unknown field 'pin'");
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2})", "missing field 'lanes'");
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 0, "lanes": 4})", "field 'p_in'");
  bad(R"({"mapping": "diagonal", "slot": "shift_k2", "p_in": 2, "lanes": 4})", "field 'mapping'");
  bad(R"({"mapping": "uniform", "slot": "shift_k3", "p_in": 2, "lanes": 4})", "shift_k3");
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2, "lanes": 4, "fmap_on_chip": "yes"})", "fmap_on_chip");
  bad(R"({"mapping": "time-multiplexed", "slot": "shift_k1", "p_in": 2, "lanes": 4})", "not generated yet");
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 128, "lanes": 1000, "weights_on_chip": true})",
      "does not fit");
  // Absent on-chip flags take FpgaDesign's defaults: weights in DDR, which the generator does not cover.
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2, "lanes": 4})", "DDR streaming");
  bad(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2, "lanes": 4})", "give one", " --max-slots 8");
  bad("{\"mapping\": ", "not JSON");
}

TEST_F(CliRtl, BadRequestsAreExitTwoWithOneLine) {
  auto r = run("rtl --model " + (tmp.path() / "missing.json").string() + " --out x");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run("rtl --model " + model.string() + " --max-slots 0 --device no-such-fpga --out x");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no-such-fpga"), std::string::npos) << r.err;
  // An fp32 model has no integer engine.
  const auto fp = tmp.path() / "fp.json";
  ASSERT_EQ(run("train --dataset mnist --net lenet-s --method fp32 --epochs 1 --batch 16 --data-dir " +
                root().string() + " --out " + fp.string()).exit_code, 0);
  r = run("rtl --model " + fp.string() + " --out x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fp32"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flight::test
