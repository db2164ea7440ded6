// End-to-end: flight train on tiny data writes a model; flight sim reads it; bad model files are exit 2.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <functional>
#include <fstream>
#include <iterator>

#include "cli/cli_runner.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::test {
namespace {
namespace fs = std::filesystem;

class CliTrain : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path root() const { return tmp.path() / "data"; }
  void SetUp() override { write_tiny_data_root(root(), 64, 20); }
  CliResult run(const std::string& args) { return run_flight(args, tmp.path()); }
};

TEST_F(CliTrain, TrainWritesAModelThatSimReadsAndAgreesBitForBit) {
  const auto model = tmp.path() / "m.json";
  const auto t = run("train --dataset mnist --net lenet-s --method lightnn2 --epochs 1 --batch 16 --threads 2 --json"
                     " --data-dir " + root().string() + " --out " + model.string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto j = boost::json::parse(last_line(t.out)).as_object();
  EXPECT_EQ(j.at("method").as_string(), "lightnn2");
  EXPECT_DOUBLE_EQ(j.at("fraction_k2").as_double(), 1.0);
  ASSERT_TRUE(fs::exists(model));
  const auto s = run("sim --model " + model.string() + " --device zynq-7020 --json --data-dir " + root().string());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto sim = boost::json::parse(s.out).as_object();
  EXPECT_TRUE(sim.at("fpga").as_object().at("found").as_bool());
  const auto& inf = sim.at("inference").as_object();
  EXPECT_EQ(inf.at("images").as_int64(), 20);
  EXPECT_DOUBLE_EQ(inf.at("agreement").as_double(), 1.0);
  EXPECT_EQ(inf.at("accumulator_bits_per_layer").as_array().size(), 5u);  // 2 conv + 3 fc
  // A stated accumulator width: wide enough → no overflow and the same predictions; too narrow → overflows counted.
  std::int64_t widest = 0;
  for (const auto& b : inf.at("accumulator_bits_per_layer").as_array()) widest = std::max(widest, b.as_int64());
  auto with_width = [&](std::int64_t bits) {
    const auto r = run("sim --model " + model.string() + " --target inference --json --acc-bits " +
                       std::to_string(bits) + " --data-dir " + root().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return boost::json::parse(r.out).as_object().at("inference").as_object();
  };
  const auto wide = with_width(widest);
  std::int64_t over = 0;
  for (const auto& v : wide.at("overflows_per_layer").as_array()) over += v.as_int64();
  EXPECT_EQ(over, 0);
  EXPECT_DOUBLE_EQ(wide.at("agreement").as_double(), 1.0);
  const auto narrow = with_width(std::max<std::int64_t>(2, widest - 4));
  over = 0;
  for (const auto& v : narrow.at("overflows_per_layer").as_array()) over += v.as_int64();
  EXPECT_GT(over, 0);
}

TEST_F(CliTrain, FineTuneFromAnFp32Model) {
  const auto fp = tmp.path() / "fp.json", q = tmp.path() / "q.json";
  ASSERT_EQ(run("train --dataset mnist --net lenet-s --epochs 1 --batch 16 --data-dir " + root().string() +
                " --out " + fp.string()).exit_code, 0);
  const auto r = run("train --dataset mnist --net lenet-s --method flightnn --lambda 0.5 --epochs 1 --batch 16"
                     " --data-dir " + root().string() + " --init " + fp.string() + " --out " + q.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // An fp32 model: FPGA design with fp32 slots, no ASIC figure in the default table, no integer form — said, not fatal.
  const auto s = run("sim --model " + fp.string() + " --device zynq-7020 --data-dir " + root().string());
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("not applicable to an fp32 model"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("fp32_mult"), std::string::npos) << s.out;
  EXPECT_EQ(run("sim --model " + fp.string() + " --target inference").exit_code, 2);
  const auto bad = run("train --dataset mnist --net lenet-l --method lightnn1 --epochs 1 --data-dir " +
                       root().string() + " --init " + fp.string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--init model does not match"), std::string::npos) << bad.err;
}

TEST_F(CliTrain, BadModelFilesAreExit2NamingFileAndKey) {
  const auto model = tmp.path() / "m.json";
  ASSERT_EQ(run("train --dataset mnist --net lenet-s --method fixed4 --epochs 1 --batch 16 --data-dir " +
                root().string() + " --out " + model.string()).exit_code, 0);
  auto doc = boost::json::parse(slurp(model)).as_object();
  const auto write = [&](const boost::json::object& o) {
    const auto f = tmp.path() / "bad.json";
    std::ofstream(f) << boost::json::serialize(o);
    return run("sim --model " + f.string() + " --target asic");
  };
  auto v2 = doc;
  v2["version"] = 2;
  auto r = write(v2);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("key 'version' (expected 1, found 2)"), std::string::npos) << r.err;
  auto tampered = doc;
  tampered["layers"].as_array()[0].as_object()["quantized"].as_array()[3] = 123.0;
  r = write(tampered);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("layers[0].quantized[3]"), std::string::npos) << r.err;
  auto short_w = doc;
  short_w["layers"].as_array()[0].as_object()["weights"].as_array().pop_back();
  r = write(short_w);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("layers[0].weights"), std::string::npos) << r.err;
  std::ofstream(tmp.path() / "trunc.json") << slurp(model).substr(0, 500);
  r = run("sim --model " + (tmp.path() / "trunc.json").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

// Crafted model files that an earlier reader accepted (issue 13): a LightNN with k = 5 (its terms overflowed a
// two-entry array), exponent/activation/fixed-point widths that make shifts undefined, and stored codes, windows,
// fixed-point and activation scales that disagree with the weights.  Each is exit 2 with one line naming the key.
TEST_F(CliTrain, CraftedModelFieldsAreRangeCheckedAndDerivedValuesReadBack) {
  const auto l2 = tmp.path() / "l2.json", f4 = tmp.path() / "f4.json";
  ASSERT_EQ(run("train --dataset mnist --net lenet-s --method lightnn2 --epochs 1 --batch 16 --data-dir " +
                root().string() + " --out " + l2.string()).exit_code, 0);
  ASSERT_EQ(run("train --dataset mnist --net lenet-s --method fixed4 --epochs 1 --batch 16 --data-dir " +
                root().string() + " --out " + f4.string()).exit_code, 0);
  const auto pow2 = boost::json::parse(slurp(l2)).as_object(), fixed = boost::json::parse(slurp(f4)).as_object();
  int n = 0;
  const auto check = [&](boost::json::object doc, const std::function<void(boost::json::object&)>& edit,
                         const std::string& key) {
    edit(doc);
    const auto f = tmp.path() / ("crafted" + std::to_string(++n) + ".json");
    std::ofstream(f) << boost::json::serialize(doc);
    const auto r = run("sim --model " + f.string() + " --target asic");
    EXPECT_EQ(r.exit_code, 2) << key << ": " << r.err;
    EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  };
  auto quant = [](boost::json::object& d) -> boost::json::object& { return d["quantization"].as_object(); };
  auto layer0 = [](boost::json::object& d) -> boost::json::object& { return d["layers"].as_array()[0].as_object(); };
  check(pow2, [&](auto& d) { quant(d)["method"] = "lightnn5"; quant(d)["k"] = 5; }, "quantization.method");
  check(pow2, [&](auto& d) { quant(d)["k"] = 5; }, "quantization.k");
  check(pow2, [&](auto& d) { quant(d)["e_bits"] = 40; }, "quantization.e_bits");
  check(pow2, [&](auto& d) { quant(d)["a_bits"] = 64; }, "quantization.a_bits");
  check(fixed, [&](auto& d) { quant(d)["fixed_bits"] = 33; }, "quantization.fixed_bits");
  check(pow2, [&](auto& d) { quant(d)["lambda"] = -1.0; }, "quantization.lambda");
  check(pow2, [&](auto& d) { d["classes"] = 1000000000; }, "key 'classes'");
  check(pow2, [&](auto& d) { layer0(d)["codes"].as_array()[5] = 99; }, "layers[0].codes[5]");
  check(pow2, [&](auto& d) { layer0(d)["exp_base"] = layer0(d)["exp_base"].as_int64() + 1; }, "layers[0].exp_base");
  check(pow2, [&](auto& d) { layer0(d)["min_exp"] = -100; }, "layers[0].min_exp");
  check(fixed, [&](auto& d) { layer0(d)["fixed_scale"] = 0.5; }, "layers[0].fixed_scale");
  check(pow2, [&](auto& d) { d["layers"].as_array()[1].as_object()["scale"] = 3.0; }, "layers[1].scale");
  check(pow2, [&](auto& d) { layer0(d)["weights"].as_array()[0] = 1e39; }, "layers[0].weights[0]");
}

TEST_F(CliTrain, UnknownMethodIsBadInput) {
  const auto r = run("train --dataset mnist --net lenet-s --method lightnn3 --data-dir " + root().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown method 'lightnn3'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flight::test

namespace flight::test {
namespace {
TEST_F(CliTrain, KilledRunResumesFromItsCheckpointAndEndsBitIdentical) {
  const auto straight = tmp.path() / "straight.json", resumed = tmp.path() / "resumed.json";
  const std::string common = "train --dataset mnist --net lenet-s --method flightnn --lambda 0.1 --epochs 3 --batch 16"
                             " --threads 2 --data-dir " + root().string();
  ASSERT_EQ(run(common + " --out " + straight.string()).exit_code, 0);
  const auto killed = run(common + " --out " + resumed.string() + " --stop-after 2");
  EXPECT_EQ(killed.exit_code, 3);
  ASSERT_TRUE(fs::exists(resumed.string() + ".ckpt"));
  EXPECT_FALSE(fs::exists(resumed));
  const auto again = run(common + " --out " + resumed.string());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming"), std::string::npos) << again.err;
  EXPECT_FALSE(fs::exists(resumed.string() + ".ckpt"));
  // Same weights, thresholds, statistics and history: the layers of both files are identical.
  const auto a = boost::json::parse(slurp(straight)).as_object(), b = boost::json::parse(slurp(resumed)).as_object();
  EXPECT_EQ(a.at("layers"), b.at("layers"));
  EXPECT_EQ(a.at("training").at("epochs_curve").as_array().size(), 3u);
  EXPECT_EQ(a.at("training").at("test_accuracy"), b.at("training").at("test_accuracy"));
  // A checkpoint of another run is refused, not silently resumed.
  ASSERT_EQ(run(common + " --out " + resumed.string() + " --stop-after 1").exit_code, 3);
  const auto other = run("train --dataset mnist --net lenet-s --method lightnn1 --epochs 3 --batch 16 --data-dir " +
                         root().string() + " --out " + resumed.string());
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("checkpoint of a different run"), std::string::npos) << other.err;
}
}  // namespace
}  // namespace flight::test

namespace flight::test {
namespace {
// The LightNN paper's own code (±2^−n, n = 0…7: exp_base 0, no zero code) trains, saves, reloads and runs in
// integers with the same predictions.
TEST_F(CliTrain, LightNNPaperSettingRoundTripsThroughTheIntegerModel) {
  const auto model = tmp.path() / "paper.json";
  const auto t = run("train --dataset mnist --net lenet-s --method lightnn1 --exp-base 0 --no-zero-code --epochs 1"
                     " --batch 16 --data-dir " + root().string() + " --out " + model.string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto doc = boost::json::parse(slurp(model)).as_object();
  EXPECT_EQ(doc.at("quantization").at("zero_code").as_bool(), false);
  EXPECT_EQ(doc.at("layers").as_array()[0].at("exp_base").as_int64(), 0);
  EXPECT_EQ(doc.at("layers").as_array()[0].at("min_exp").as_int64(), -7);
  const auto s = run("sim --model " + model.string() + " --target inference --json --data-dir " + root().string());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_DOUBLE_EQ(boost::json::parse(s.out).at("inference").at("agreement").as_double(), 1.0);
}
}  // namespace
}  // namespace flight::test

namespace flight::test {
namespace {

// The k = 0 outer indicator: prune thresholds are saved and validated on load; integer inference still agrees.
TEST(CliTrainK0, AllowK0ModelRoundTripsAndAgreesBitForBit) {
  TempDir tmp;
  const auto root = tmp.path() / "data";
  write_tiny_data_root(root, 64, 20);
  const auto model = tmp.path() / "k0.json";
  auto r = run_flight("train --dataset mnist --net lenet-s --method flightnn --allow-k0 --lambda 5 "
                      "--epochs 2 --batch 16 --threads 1 --json --data-dir " +
                          root.string() + " --out " + model.string(),
                      tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(model).find("\"prune_thresholds\""), std::string::npos);
  EXPECT_NE(slurp(model).find("\"allow_k0\":true"), std::string::npos);
  const auto s = run_flight("sim --model " + model.string() + " --json --data-dir " + root.string(), tmp.path());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto sim = boost::json::parse(s.out).as_object();
  EXPECT_DOUBLE_EQ(sim.at("inference").as_object().at("agreement").as_double(), 1.0);
  r = run_flight("train --dataset mnist --net lenet-s --method lightnn2 --allow-k0 --epochs 1 --data-dir " +
                     root.string(),
                 tmp.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--allow-k0"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flight::test

namespace flight::test {
namespace {
// The LightNN paper's whole setting: ±2^−n codes and k-ones + stochastic rounding.  Trains, resumes bit-identically
// after a kill (the draws are keyed by the optimizer step), saves, and runs in integers with the same predictions.
TEST_F(CliTrain, KOnesStochasticRoundingResumesAndRoundTrips) {
  const auto straight = tmp.path() / "ks.json", resumed = tmp.path() / "ks2.json";
  const std::string common = "train --dataset mnist --net lenet-s --method lightnn2 --rounding kones-stochastic"
                             " --exp-base 0 --no-zero-code --epochs 2 --batch 16 --threads 2 --data-dir " +
                             root().string();
  ASSERT_EQ(run(common + " --out " + straight.string()).exit_code, 0);
  EXPECT_EQ(run(common + " --out " + resumed.string() + " --stop-after 1").exit_code, 3);
  ASSERT_EQ(run(common + " --out " + resumed.string()).exit_code, 0);
  const auto a = boost::json::parse(slurp(straight)).as_object(), b = boost::json::parse(slurp(resumed)).as_object();
  EXPECT_EQ(a.at("layers"), b.at("layers"));
  EXPECT_EQ(a.at("quantization").at("rounding").as_string(), "kones-stochastic");
  const auto s = run("sim --model " + straight.string() + " --target inference --json --data-dir " + root().string());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_DOUBLE_EQ(boost::json::parse(s.out).at("inference").at("agreement").as_double(), 1.0);
  const auto bad = run("train --dataset mnist --net lenet-s --method flightnn --rounding kones-stochastic --data-dir " +
                       root().string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--rounding"), std::string::npos) << bad.err;
}
}  // namespace
}  // namespace flight::test

namespace flight::test {
namespace {

// Issue 17: a throughput target on a device instead of a λ.  On tiny data the projection does most of the work; the
// point here is the whole path: costs from the simulator, dual ascent, projection, the model file agreeing.  lenet-l
// on the Zynq-7045 spans 66,867 (LightNN-2) to 89,166 images/s (LightNN-1) in coarse steps (`flight dse --k-profile
// mix:F`: 5 % of the filters at k = 2: 87,604; 15 %: 88,067; 40 %: 70,497; 2 %, conv1's included: 73,665).  The
// projection flips single filters between such steps; on this run it lands at 80,064 images/s, within 5 % of 80,000
// (85,000 ends at LightNN-1, +7 %; 88,000 would be met by LightNN-1 itself, which the k2 > 0 check rejects).
TEST_F(CliTrain, ThroughputTargetIsMetAndTheModelFileAgrees) {
  const auto model = tmp.path() / "budget.json";
  const auto t = run("train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 2 --batch 16"
                     " --threads 2 --json --cost cycles+storage --target-fps 80000 --device zynq-7045"
                     " --data-dir " + root().string() + " --out " + model.string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto j = boost::json::parse(last_line(t.out)).as_object();
  const auto& b = j.at("budget").as_object();
  EXPECT_EQ(b.at("cost").as_string(), "cycles+storage");
  EXPECT_DOUBLE_EQ(b.at("target_fps").as_double(), 80000.0);
  EXPECT_TRUE(b.at("met").as_bool()) << boost::json::serialize(b);
  EXPECT_LE(std::abs(b.at("miss").as_double()), 0.05);
  EXPECT_GT(b.at("trajectory").as_array().size(), 1u);
  // The mix was projected once at 80 % of the run (the default --project-at), the last steps training under it.
  const auto& mid = b.at("projection_mid_run").as_object();
  const auto steps = b.at("trajectory").as_array().back().as_object().at("step").as_int64();
  EXPECT_GE(double(mid.at("step").as_int64()), 0.8 * double(steps)) << boost::json::serialize(mid);
  EXPECT_LT(mid.at("step").as_int64(), steps) << boost::json::serialize(mid);
  const double k2 = j.at("fraction_k2").as_double();
  EXPECT_GT(k2, 0.0);
  EXPECT_LT(k2, 1.0);
  // The model file holds the mix that met the target: flight sim finds the same design throughput.
  const auto s = run("sim --model " + model.string() + " --device zynq-7045 --target fpga --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto sim = boost::json::parse(s.out).as_object();
  EXPECT_DOUBLE_EQ(sim.at("fpga").as_object().at("best").as_object().at("images_per_s").as_double(),
                   b.at("achieved_fps").as_double());
}

TEST_F(CliTrain, KilledBudgetRunResumesItsControllerAndEndsBitIdentical) {
  const auto straight = tmp.path() / "straight.json", resumed = tmp.path() / "resumed.json";
  const std::string common = "train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 3"
                             " --batch 16 --threads 2 --cost cycles+storage --target-fps 115000 --budget-every 2"
                             " --project-at 0.5"  // the mid-run projection before the kill: the resumed run keeps it
                             " --data-dir " + root().string();
  ASSERT_EQ(run(common + " --out " + straight.string()).exit_code, 0);
  ASSERT_EQ(run(common + " --out " + resumed.string() + " --stop-after 2").exit_code, 3);
  const auto ckpt = boost::json::parse(slurp(resumed.string() + ".ckpt")).as_object();
  ASSERT_TRUE(ckpt.at("checkpoint").as_object().contains("aim"));
  EXPECT_TRUE(ckpt.at("checkpoint").as_object().at("aim").as_object().at("mid_run").as_object().contains("step"))
      << "projected at half of the 3 epochs, before the kill after 2";
  const auto again = run(common + " --out " + resumed.string());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming"), std::string::npos) << again.err;
  const auto a = boost::json::parse(slurp(straight)).as_object(), b = boost::json::parse(slurp(resumed)).as_object();
  EXPECT_EQ(a.at("layers"), b.at("layers"));
  auto budget = [](const boost::json::object& m) { return m.at("training").as_object().at("budget").as_object(); };
  EXPECT_EQ(budget(a).at("trajectory"), budget(b).at("trajectory"));
  EXPECT_EQ(budget(a).at("lambda_final"), budget(b).at("lambda_final"));
  EXPECT_EQ(budget(a).at("achieved_fps"), budget(b).at("achieved_fps"));
  EXPECT_EQ(budget(a).at("projection_mid_run"), budget(b).at("projection_mid_run"));
}

// An energy budget instead of a throughput: λ by dual ascent on the ASIC computational energy per image, which the
// saved model then has (flight sim's ASIC figure), between LightNN-1's and LightNN-2's.
TEST_F(CliTrain, EnergyTargetIsMetAndTheModelFileAgrees) {
  const auto model = tmp.path() / "energy.json";
  const auto t = run("train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 2 --batch 16"
                     " --threads 2 --json --target-energy 0.8 --device zynq-7045 --data-dir " + root().string() +
                     " --out " + model.string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto j = boost::json::parse(last_line(t.out)).as_object();
  const auto& b = j.at("budget").as_object();
  EXPECT_DOUBLE_EQ(b.at("target_energy_uj").as_double(), 0.8);
  EXPECT_FALSE(b.contains("target_fps"));
  EXPECT_TRUE(b.at("met").as_bool()) << boost::json::serialize(b);
  EXPECT_LE(std::abs(b.at("achieved_energy_uj").as_double() / 0.8 - 1), 0.05);
  EXPECT_TRUE(b.at("trajectory").as_array().back().as_object().contains("achieved_energy_uj"));
  const double k2 = j.at("fraction_k2").as_double();
  EXPECT_GT(k2, 0.0);
  EXPECT_LT(k2, 1.0);
  const auto s = run("sim --model " + model.string() + " --target asic --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto asic = boost::json::parse(s.out).as_object().at("asic").as_object();
  EXPECT_NEAR(asic.at("compute_energy_j").as_double() * 1e6, b.at("achieved_energy_uj").as_double(), 1e-9) << s.out;
  const auto both = run("train --dataset mnist --net lenet-l --method flightnn --epochs 1 --target-energy 0.8"
                        " --target-fps 80000 --data-dir " + root().string());
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("--target-energy"), std::string::npos) << both.err;
}

// --profile-layers: every step counted, every layer named, and the parts add up within their wholes (the layers'
// forward times within the forward phase, the quantizer within its layer, the phases within the run).
TEST_F(CliTrain, ProfileLayersAccountsForEveryStepAndLayer) {
  const auto t = run("train --dataset mnist --net lenet-s --method flightnn --lambda 0.05 --epochs 2 --batch 16"
                     " --threads 1 --json --profile-layers --data-dir " + root().string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto j = boost::json::parse(last_line(t.out)).as_object();
  const auto& p = j.at("profile").as_object();
  const auto images = p.at("images").to_number<std::int64_t>();
  EXPECT_EQ(p.at("steps").as_int64(), 2 * ((images / 2 + 15) / 16)) << boost::json::serialize(p);
  double fwd = 0, bwd = 0;
  std::vector<std::string> names;
  for (const auto& v : p.at("layers").as_array()) {
    const auto& l = v.as_object();
    names.emplace_back(l.at("layer").as_string());
    fwd += l.at("forward_s").as_double(), bwd += l.at("backward_s").as_double();
    EXPECT_LE(l.at("quantize_s").as_double(), l.at("forward_s").as_double()) << names.back();
    EXPECT_LE(l.at("straight_through_s").as_double(), l.at("backward_s").as_double()) << names.back();
  }
  EXPECT_EQ(names.front(), "conv1");
  EXPECT_EQ(names.back(), "fc" + std::to_string(std::count_if(names.begin(), names.end(), [](const std::string& n) {
                                   return n.rfind("fc", 0) == 0;
                                })));
  EXPECT_GT(fwd, 0);
  EXPECT_LE(fwd, p.at("forward_s").as_double());
  EXPECT_LE(bwd, p.at("backward_s").as_double());
  double phases = 0;
  for (const char* k : {"data_s", "zero_grad_s", "forward_s", "loss_s", "backward_s", "optimizer_s", "hook_s",
                        "evaluate_s"})
    phases += p.at(k).as_double();
  EXPECT_LE(phases, p.at("wall_s").as_double());
  const auto text = run("train --dataset mnist --net lenet-s --method fp32 --epochs 1 --threads 1 --profile-layers"
                        " --data-dir " + root().string());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("where the time went"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("conv1"), std::string::npos) << text.out;
}

// A budget run's checkpoint whose controller state is damaged is refused naming the file and the key, exit 2, and
// nothing is trained from it.
TEST_F(CliTrain, BudgetCheckpointWithABadControllerStateIsExit2NamingTheKey) {
  const auto out = tmp.path() / "aim.json";
  const std::string common = "train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 2"
                             " --batch 16 --threads 1 --target-fps 80000 --data-dir " + root().string() +
                             " --out " + out.string();
  ASSERT_EQ(run(common + " --stop-after 1").exit_code, 3);
  const auto ckpt = out.string() + ".ckpt";
  const auto good = boost::json::parse(slurp(ckpt)).as_object();
  const std::vector<std::pair<const char*, boost::json::value>> damage = {
      {"lambda", -1.0}, {"weights", boost::json::array{1.0}}, {"mid_run", "yes"}, {"trajectory", 3}};
  for (const auto& [key, value] : damage) {
    auto doc = good;
    doc["checkpoint"].as_object()["aim"].as_object()[key] = value;
    std::ofstream(ckpt) << boost::json::serialize(doc);
    const auto r = run(common);
    EXPECT_EQ(r.exit_code, 2) << key << ": " << r.err;
    EXPECT_NE(r.err.find(ckpt + ": key 'checkpoint.aim." + key + "': expected"), std::string::npos) << key << ": "
                                                                                                    << r.err;
    EXPECT_LT(r.err.substr(r.err.find("flight: error")).size(), 300u) << "one short line: " << r.err;
    EXPECT_FALSE(fs::exists(out)) << key;
  }
}

// A target no mix reaches is missed, and the run says where the reachable throughputs end: with every filter at
// k = 1 the design search finds what `flight dse` finds for LightNN-1's uniform mix.
TEST_F(CliTrain, AnUnreachableTargetSaysHowCloseTheMixesGet) {
  const auto t = run("train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 1 --batch 16"
                     " --threads 2 --json --cost cycles --target-fps 1000000 --device zynq-7045 --data-dir " +
                     root().string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto b = boost::json::parse(last_line(t.out)).as_object().at("budget").as_object();
  EXPECT_FALSE(b.at("met").as_bool());
  const auto& gap = b.at("projection").as_object().at("gap").as_object();
  EXPECT_TRUE(gap.at("above").is_null()) << boost::json::serialize(gap);
  const auto d = run("dse --net lenet-l --dataset mnist --k-profile uniform:1 --device zynq-7045 --json");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto dse = boost::json::parse(d.out).as_object();
  EXPECT_DOUBLE_EQ(gap.at("below").as_double(),
                   dse.at("profiles").as_array().at(0).as_object().at("fpga").as_object().at("best").as_object().at("images_per_s").as_double())
      << d.out;
  const auto text = run("train --dataset mnist --net lenet-l --method flightnn --lambda 0.05 --epochs 1 --batch 16"
                        " --threads 2 --cost cycles --target-fps 1000000 --device zynq-7045 --data-dir " +
                        root().string());
  EXPECT_NE(text.out.find("the target lies in a gap of what the k mixes reach"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("and nothing above it"), std::string::npos) << text.out;
}

TEST_F(CliTrain, ThroughputTargetNeedsFLightNNAndAKnownCost) {
  const auto a = run("train --dataset mnist --net lenet-s --method lightnn2 --epochs 1 --target-fps 1000 --data-dir " +
                     root().string());
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("only with --method flightnn"), std::string::npos) << a.err;
  const auto b = run("train --dataset mnist --net lenet-s --method flightnn --epochs 1 --cost latency --data-dir " +
                     root().string());
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("--cost"), std::string::npos) << b.err;
  const auto c = run("train --dataset mnist --net lenet-s --method flightnn --epochs 1 --target-fps 1000 --device "
                     "nonesuch --data-dir " + root().string());
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("nonesuch"), std::string::npos) << c.err;
}

// --precision bf16 says which arithmetic ran, in one line and in the JSON: on a CPU with AVX512_BF16 (from
// /proc/cpuinfo) the 16 → 16 convolution must run bf16, the first layer and the fc layer fp32; with oneDNN held to
// AVX-512 without bf16 (DNNL_MAX_CPU_ISA, as on an older CPU) fp32 runs and the line says why.  An unknown precision
// is exit 2.
TEST_F(CliTrain, Bf16SaysWhichPrecisionRanAndFallsBackToFp32WhereUnavailable) {
  const auto net = tmp.path() / "net.toml";
  std::ofstream(net) << "name = \"bf16-probe\"\n"
                        "[[layer]]\ntype = \"conv\"\nout = 16\nkernel = 3\npad = 1\nbias = false\n"
                        "[[layer]]\ntype = \"batchnorm\"\n[[layer]]\ntype = \"relu\"\n"
                        "[[layer]]\ntype = \"conv\"\nout = 16\nkernel = 3\npad = 1\nbias = false\n"
                        "[[layer]]\ntype = \"batchnorm\"\n[[layer]]\ntype = \"relu\"\n"
                        "[[layer]]\ntype = \"maxpool\"\nkernel = 2\nstride = 2\n"
                        "[[layer]]\ntype = \"flatten\"\n[[layer]]\ntype = \"fc\"\nout = \"classes\"\n";
  const std::string args = "train --dataset mnist --net " + net.string() +
                           " --method lightnn2 --epochs 1 --batch 16 --threads 2 --json --precision bf16 --data-dir " +
                           root().string();
  const auto native = run_flight(args, tmp.path());
  ASSERT_EQ(native.exit_code, 0) << native.err;
  const auto j = boost::json::parse(last_line(native.out)).as_object();
  const auto probe = run_flight(args, tmp.path(), "DNNL_MAX_CPU_ISA=AVX512_CORE");
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const auto f = boost::json::parse(last_line(probe.out)).as_object();
  EXPECT_EQ(f.at("precision").as_string(), "fp32");
  EXPECT_NE(probe.err.find("precision: fp32 (bf16 asked for: "), std::string::npos) << probe.err;
  EXPECT_NE(probe.err.find("AVX512_BF16"), std::string::npos) << probe.err;
  std::ifstream cpuinfo("/proc/cpuinfo");
  const std::string flags((std::istreambuf_iterator<char>(cpuinfo)), std::istreambuf_iterator<char>());
  const bool cpu_bf16 = flags.find(" avx512_bf16") != std::string::npos;
  EXPECT_EQ(j.at("precision").as_string(), cpu_bf16 ? "bf16" : "fp32") << native.err;
  if (cpu_bf16) {
    EXPECT_NE(native.err.find("precision: bf16 (oneDNN "), std::string::npos) << native.err;
    EXPECT_NE(native.err.find(") for conv2; fp32 for conv1, fc1, batch norm"), std::string::npos) << native.err;
  } else {  // a CPU without AVX512_BF16: the same fallback line
    EXPECT_NE(native.err.find("precision: fp32 (bf16 asked for: "), std::string::npos) << native.err;
  }
  // fp32 (the default) says nothing; an unknown precision is refused.
  const auto plain = run("train --dataset mnist --net lenet-s --epochs 1 --batch 16 --json --data-dir " +
                         root().string());
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err.find("precision:"), std::string::npos) << plain.err;
  EXPECT_EQ(boost::json::parse(last_line(plain.out)).as_object().at("precision").as_string(), "fp32");
  const auto bad = run("train --dataset mnist --net lenet-s --epochs 1 --precision fp16 --data-dir " +
                       root().string());
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--precision"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace flight::test
