// Grid files (expansion, DAG, keys, substitution, shards, bad input) and the report against a golden file.
#include <gtest/gtest.h>

#include "sweeps/grid_error.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/db/repository.hpp"
#include "flight/sweeps/grid.hpp"
#include "flight/sweeps/dse.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/report.hpp"
#include "flight/sweeps/shards.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::sweeps {
namespace {
namespace fs = std::filesystem;

const std::string kGrids = std::string(FLIGHT_SOURCE_DIR) + "/sweeps/grids/";

TEST(Grid, Paper46ExpandsToFortySixDesignsAndEightReferences) {
  const auto g = load_grid(kGrids + "paper46.toml", "quick");
  ASSERT_EQ(g.experiments.size(), 54u);
  std::set<std::string> keys;
  std::map<std::string, const ExperimentSpec*> by_key;
  int refs = 0;
  std::map<std::string, int> per_method;
  for (const auto& e : g.experiments) {
    keys.insert(e.key);
    by_key[e.key] = &e;
    EXPECT_EQ(e.key.size(), 16u);
    if (e.parent.empty()) {
      ++refs;
      EXPECT_EQ(e.method, "fp32") << e.name;
    } else {
      // The parent comes first and is the FP32 run of the same data set and network.
      ASSERT_TRUE(by_key.count(e.parent)) << e.name;
      const auto* p = by_key[e.parent];
      EXPECT_EQ(p->method, "fp32");
      EXPECT_EQ(p->dataset, e.dataset);
      EXPECT_EQ(p->net, e.net);
    }
    ++per_method[e.method];
  }
  EXPECT_EQ(keys.size(), 54u);
  EXPECT_EQ(refs, 8);
  EXPECT_EQ(54 - refs, 46);
  EXPECT_EQ(per_method["fixed4"], 8);
  EXPECT_EQ(per_method["lightnn1"], 8);
  EXPECT_EQ(per_method["lightnn2"], 8);
  EXPECT_EQ(per_method["flightnn"], 2 * 2 + 6 * 3);
  // Expansion is deterministic: the same file gives the same keys.
  EXPECT_EQ(load_grid(kGrids + "paper46.toml", "quick").fingerprint, g.fingerprint);
  // Another profile is another grid.
  EXPECT_NE(load_grid(kGrids + "paper46.toml", "smoke").fingerprint, g.fingerprint);
}

TEST(Grid, SubstitutionChangesTheDataTrainedOnAndTheKeys) {
  const auto plain = load_grid(kGrids + "paper46.toml", "quick");
  const auto sub = load_grid(kGrids + "paper46.toml", "quick", parse_substitutions({"svhn=fashion-mnist"}));
  ASSERT_EQ(sub.experiments.size(), plain.experiments.size());
  int substituted = 0;
  for (std::size_t i = 0; i < sub.experiments.size(); ++i) {
    const auto& a = plain.experiments[i];
    const auto& b = sub.experiments[i];
    EXPECT_EQ(a.dataset, b.dataset);
    if (a.dataset == "svhn") {
      ++substituted;
      EXPECT_EQ(b.data, "fashion-mnist");
      EXPECT_NE(a.key, b.key);
    } else {
      EXPECT_EQ(a.key, b.key);
    }
  }
  EXPECT_EQ(substituted, 14);
  EXPECT_THROW(parse_substitutions({"svhn"}), InputError);
  EXPECT_THROW(parse_substitutions({"svhn=imagenet"}), InputError);
}

TEST(Grid, ShardsKeepTreesTogetherAndCoverEveryExperimentOnce) {
  const auto g = load_grid(kGrids + "paper46.toml", "quick");
  for (int n : {1, 2, 3, 8, 11}) {
    std::multiset<std::string> seen;
    for (int i = 0; i < n; ++i) {
      const auto s = shard_of(g, i, n);
      std::set<std::string> here;
      for (const auto& e : s) here.insert(e.key);
      for (const auto& e : s) {
        seen.insert(e.key);
        if (!e.parent.empty()) {
          EXPECT_TRUE(here.count(e.parent)) << e.name << " without its parent in shard " << i;
        }
      }
    }
    EXPECT_EQ(seen.size(), g.experiments.size()) << n;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), g.experiments.size()) << n;
  }
  EXPECT_EQ(parse_shard("1/4"), std::make_pair(1, 4));
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "1/0", "1/2x"}) EXPECT_THROW(parse_shard(bad), InputError) << bad;
}


using test::grid_error;

const char* kGood = R"(name = "t"
[profiles.smoke]
parent = { epochs = 1 }
child = { epochs = 1 }
[[configuration]]
dataset = "mnist"
nets = ["lenet-s"]
methods = ["lightnn1"]
)";

TEST(Grid, BadFilesNameTheKey) {
  EXPECT_EQ(parse_grid(kGood, "g.toml", "smoke").experiments.size(), 2u);
  auto with = [](const std::string& from, const std::string& to) {
    std::string s = kGood;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(grid_error(with("epochs = 1 }\nchild", "epochs = 0 }\nchild")).find("profiles.smoke.parent.epochs"),
            std::string::npos);
  EXPECT_NE(grid_error(with("\"mnist\"", "\"imagenet\"")).find("configuration[0].dataset"), std::string::npos);
  EXPECT_NE(grid_error(with("\"lightnn1\"", "\"lightnn3\"")).find("configuration[0].methods"), std::string::npos);
  EXPECT_NE(grid_error(with("\"lightnn1\"", "\"flightnn\"")).find("lambdas"), std::string::npos);
  EXPECT_NE(grid_error(with("\"lenet-s\"", "\"resnet\"")).find("configuration[0].nets"), std::string::npos);
  EXPECT_NE(grid_error(with("name = \"t\"", "name = \"t\"\ncolour = 1")).find("colour"), std::string::npos);
  EXPECT_NE(grid_error(kGood, "paper").find("profile 'paper'"), std::string::npos);
  EXPECT_NE(grid_error("name = \"t\"\n[[configuration]\n").find("g.toml:"), std::string::npos);
  EXPECT_NE(grid_error(with("epochs = 1 }\nchild", "epochs = 1, precision = \"fp16\" }\nchild"))
                .find("profiles.smoke.parent.precision"),
            std::string::npos);
}

// precision = "bf16" in a profile reaches both the parent and its children (a child inherits the parent's settings)
// and changes their keys; "fp32", the default, leaves every key as it was without the key.
TEST(Grid, PrecisionIsPartOfTheKeyOnlyWhenBf16) {
  auto with = [](const std::string& to) {
    std::string s = kGood;
    const std::string from = "parent = { epochs = 1 }";
    s.replace(s.find(from), from.size(), to);
    return parse_grid(s, "g.toml", "smoke");
  };
  const auto plain = parse_grid(kGood, "g.toml", "smoke");
  const auto fp32 = with("parent = { epochs = 1, precision = \"fp32\" }");
  const auto bf16 = with("parent = { epochs = 1, precision = \"bf16\" }");
  ASSERT_EQ(bf16.experiments.size(), plain.experiments.size());
  for (std::size_t i = 0; i < plain.experiments.size(); ++i) {
    EXPECT_EQ(fp32.experiments[i].key, plain.experiments[i].key);
    EXPECT_NE(bf16.experiments[i].key, plain.experiments[i].key);
    EXPECT_EQ(bf16.experiments[i].train.precision, "bf16") << bf16.experiments[i].name;
  }
}

// A results database with fixed results (as a sweep would write them) → the report, compared with a golden file.
struct Fixture {
  std::string key, parent, method;
  double lambda, acc, k2, ips, lut, energy_j, ops_per_j;
  std::string data = "mnist";
  int seed = 1;
  double lut_only_ips = NAN;  // NaN: no sensitivity rows
};

void add_done(db::Repository& repo, const Fixture& f) {
  boost::json::object config{{"grid", "golden"}, {"profile", "smoke"}, {"dataset", "mnist"}, {"data", f.data},
                             {"net", "lenet-s"}, {"method", f.method},  {"lambda", f.lambda}, {"seed", f.seed},
                             {"parent", f.parent}};
  boost::json::object train{{"test_accuracy", f.acc},
                            {"train_accuracy", f.acc},
                            {"fraction_k2", f.k2},
                            {"mean_shifts_per_weight", 1 + f.k2},
                            {"k_histogram_per_layer", boost::json::array{}},
                            {"epochs_curve", boost::json::array{}}};
  boost::json::object hw{
      {"device", {{"name", "zynq-7020"}}},
      {"fpga",
       {{"found", true},
        {"best",
         {{"images_per_s", f.ips}, {"percent", {{"lut", f.lut}, {"ff", f.lut / 4}, {"dsp", 0.0}, {"bram36", 30.0}}}}}}},
      {"inference", {{"agreement", 1.0}, {"hardware_accuracy", f.acc}}}};
  if (std::isnan(f.energy_j)) {
    hw["asic"] = {{"error", "the table has no fp32 operations"}};
  } else {
    hw["asic"] = {{"energy_table", "40nm-aladdin"}, {"compute_energy_j", f.energy_j},
                  {"total_energy_j", 10 * f.energy_j}, {"compute_ops_per_j", f.ops_per_j}};
  }
  if (!std::isnan(f.lut_only_ips)) {
    boost::json::array sens;
    for (const auto& [device, scale] : {std::pair<const char*, double>{"zynq-7020", 1.0}, {"zu9eg", 3.0}}) {
      sens.push_back({{"device", device}, {"policy", "dsp"}, {"found", true}, {"images_per_s", scale * f.ips}});
      sens.push_back(
          {{"device", device}, {"policy", "lut-only"}, {"found", true}, {"images_per_s", scale * f.lut_only_ips}});
    }
    hw["sensitivity"] = sens;
  }
  db::Row r;
  r.key = f.key + "/s" + std::to_string(f.seed), r.name = "mnist/lenet-s/" + r.key, r.status = "done";
  r.parent = f.parent.empty() ? "" : f.parent + "/s" + std::to_string(f.seed);
  r.config = boost::json::serialize(config);
  r.result = boost::json::serialize(boost::json::object{{"train", train}, {"hardware", hw}});
  r.claimed_at = 1000, r.finished_at = 1030;
  repo.import_rows({r});
}

// Three seeds at a profile that judges accuracy: FLightNN λ=0.1 is 2.05 ± 0.025× LightNN-2 at −0.05 pt (the loss
// within noise of 0.1 pt), +0.25 ± 0.05 pt over Fixed-4 (clearly above), 1.64× Fixed-4 with DSP multipliers (λ=0.5: 1.76×) but
// 4.4× (λ=0.5) when every method must build its multipliers in LUTs.
TEST(Report, MatchesTheGoldenFile) {
  test::TempDir tmp;
  db::Repository repo(tmp.path() / "r.sqlite");
  repo.set_meta("grid", "golden");
  repo.set_meta("profile", "reference");
  repo.set_meta("judges_accuracy", "true");
  repo.set_meta("profile_description", "Three seeds, full data.");
  for (int seed = 1; seed <= 3; ++seed) {
    const double n = 0.0005 * (seed - 2);  // per-seed noise shared by a seed's runs (they share the parent)
    add_done(repo, {"fp32", "", "fp32", 0, 0.9900 + n, 0, 20000, 80, NAN, NAN, "mnist", seed, 8000});
    add_done(repo, {"fixed4", "fp32", "fixed4", 0, 0.9850 + n, 0, 50000, 78, 2e-7, 4e12, "mnist", seed, 20000});
    add_done(repo, {"lightnn2", "fp32", "lightnn2", 0, 0.9880 + n, 1, 40000, 79, 1.5e-7, 5e12, "mnist", seed, 40000});
    add_done(repo, {"lightnn1", "fp32", "lightnn1", 0, 0.9800 + n, 0, 90000, 77, 0.8e-7, 9e12, "mnist", seed, 90000});
    add_done(repo, {"fl1", "fp32", "flightnn", 0.1, 0.9875 + 0.5 * n + 0.00005 * (seed % 2), 0.4,
                    82000.0 + 1000 * (seed - 2), 79, 1.0e-7, 7e12, "mnist", seed, 82000.0 + 1000 * (seed - 2)});
    add_done(repo, {"fl2", "fp32", "flightnn", 0.5, 0.9810 + n, 0.1, 88000, 78, 0.9e-7, 8e12, "mnist", seed, 88000});
  }
  db::Row pending;
  pending.key = "c100", pending.name = "cifar100/vgg-s/fp32/s1", pending.status = "skipped";
  pending.config = "{}", pending.error = "cifar100: no data";
  repo.import_rows({pending});
  const auto md = report_markdown(repo);
  const auto golden = fs::path(FLIGHT_SOURCE_DIR) / "tests/golden/report_golden.md";
  const auto want = test::golden_text(golden, md);
  ASSERT_TRUE(want) << golden << " is missing (FLIGHT_UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(md, *want) << "rerun with FLIGHT_UPDATE_GOLDEN=1 after checking the difference";
  // The claims are computed, not copied.
  EXPECT_NE(md.find("| FLightNN is 2× faster than LightNN-2 with ≤ 0.1 point accuracy loss | 2× at 0.1 % loss | "
                    "fastest FLightNN not clearly below LightNN-2 − 0.1 pt: mnist / lenet-s 2.05 ± 0.03× (n=3)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("against 0) | holds |"), std::string::npos);  // more accurate than Fixed-4
  EXPECT_NE(md.find("| FLightNN up to 2× faster than 4-bit fixed point | zu9eg | lut-only | up to 4.40 ± 0.00×"),
            std::string::npos);
  EXPECT_NE(md.find("| 79.0 ± 0.0 | 19.8 ± 0.0 |"), std::string::npos) << "mean ± std per row";
  const auto csv = report_csv(repo);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 19);  // header + 18 finished experiments, one per seed
}

// One seed at a profile that does not judge accuracy: numbers printed, accuracy verdicts "not judged" with the
// reason, hardware verdicts given; the same seed at a judging profile says no noise estimate exists.
TEST(Report, OneSeedAndUnjudgedProfilesSayWhy) {
  test::TempDir tmp;
  db::Repository repo(tmp.path() / "r.sqlite");
  repo.set_meta("profile", "quick");
  repo.set_meta("judges_accuracy", "false");
  add_done(repo, {"fp32", "", "fp32", 0, 0.4840, 0, 20000, 80, NAN, NAN});
  add_done(repo, {"fixed4", "fp32", "fixed4", 0, 0.4700, 0, 50000, 78, 2e-7, 4e12});
  add_done(repo, {"lightnn2", "fp32", "lightnn2", 0, 0.4800, 1, 40000, 79, 1.5e-7, 5e12});
  add_done(repo, {"fl1", "fp32", "flightnn", 0.1, 0.4805, 0.4, 82000, 79, 1.0e-7, 7e12});
  auto md = report_markdown(repo);
  EXPECT_NE(md.find("| not judged at this profile: `quick` declares judges_accuracy = false; its FP32 parents reach "
                    "48.4 %"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| FLightNN is up to 2× faster than 4-bit fixed point | up to 2× | up to 1.64× (n=1) "
                    "(mnist / lenet-s, FLightNN λ=0.1) | does not hold |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("higher in 1 of 1 FLightNN points"), std::string::npos);
  repo.set_meta("judges_accuracy", "true");
  md = report_markdown(repo);
  EXPECT_NE(md.find("| no noise estimate (n = 1): not judged |"), std::string::npos) << md;
}

// `flight dse` as a library call: one speedup matrix, consistent with the searches it compares.
TEST(Dse, SpeedupMatrixIsTheRatioOfTheSearchesAndDefaultsAreResolved) {
  DseRequest req;
  req.net = "lenet-s";
  req.profiles = {"uniform:1", "uniform:2", "fixed:4"};
  const auto r = run_dse(req);
  EXPECT_EQ(r.request.device, cost_models::kDefaultDevice);
  EXPECT_EQ(r.request.dataset, "mnist");
  ASSERT_EQ(r.profiles.size(), 3u);
  ASSERT_EQ(r.speedup.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(r.profiles[i].search.found) << r.profiles[i].profile.text;
    for (std::size_t j = 0; j < 3; ++j) {
      ASSERT_TRUE(r.speedup[i][j].has_value());
      EXPECT_DOUBLE_EQ(*r.speedup[i][j],
                       r.profiles[i].search.best.images_per_s / r.profiles[j].search.best.images_per_s);
    }
  }
  EXPECT_GT(*r.speedup[0][1], 1.0);  // LightNN-1 outruns LightNN-2 on the same device
  const auto j = to_json(r);
  EXPECT_EQ(j.at("speedups").as_object().size(), 6u);
  EXPECT_NE(dse_tables(r, false).find("speedup (images/s of the row over the column)"), std::string::npos);
  req.profiles = {"uniform:3"};
  EXPECT_THROW(run_dse(req), InputError);
  req.profiles = {"uniform:1"};
  req.device = "no-such-fpga";
  EXPECT_THROW(run_dse(req), InputError);
}

TEST(Dse, TheSearchesDesignObjectReadsBackAsTheSameDesign) {
  // `flight rtl --design FILE` takes the design object that flight sim/dse --json print: a round trip.
  DseRequest req;
  req.net = "lenet-s";
  req.profiles = {"uniform:2", "mix:0.5", "fixed:4"};
  const auto r = run_dse(req);
  for (const auto& p : r.profiles) {
    const auto& want = p.search.best.design;
    const auto text = boost::json::serialize(to_json(p.search.best));  // {"fits":…,"design":{…},…}
    const auto got = design_from_json(text, "best.json");
    EXPECT_EQ(sim::describe(got), sim::describe(want)) << p.profile.text;
    EXPECT_EQ(got.requantizers, want.requantizers);
    EXPECT_GT(got.requantizers, 0);
  }
  EXPECT_THROW(design_from_json("[1, 2]", "x.json"), InputError);
  EXPECT_THROW(design_from_json(R"({"design": 3})", "x.json"), InputError);
  // DSP multipliers are on every lane unless dsp_lanes says otherwise; k2 lanes only for the heterogeneous mapping.
  EXPECT_EQ(design_from_json(R"({"mapping": "uniform", "slot": "mult_dsp", "p_in": 2, "lanes": 5})", "x.json").dsp_lanes, 5);
  EXPECT_THROW(design_from_json(R"({"mapping": "uniform", "slot": "shift_k2", "p_in": 2, "lanes": 5, "lanes_k2": 2})",
                                "x.json"),
               InputError);
  EXPECT_THROW(design_from_json(R"({"mapping": "uniform", "slot": "shift_k1", "p_in": 1, "lanes": -1})", "x.json"),
               InputError);
}

TEST(Slurm, ScriptsRunEveryShardThenMergeAndRefuseBadInput) {
  const auto g = load_grid(kGrids + "paper46.toml", "smoke", {});
  SlurmRequest r;
  r.out = "/shared/run";
  r.grid_file = "/repo/sweeps/grids/paper46.toml";
  r.profile = "smoke";
  r.data_root = "/data";
  r.flight = "/opt/flight it's";
  r.shards = 3;
  r.cpus = 4;
  const auto s = slurm_scripts(g, r);
  EXPECT_NE(s.sweep.find("#SBATCH --array=0-2\n"), std::string::npos);
  EXPECT_NE(s.sweep.find("#SBATCH --cpus-per-task=4\n"), std::string::npos);
  EXPECT_NE(s.sweep.find("--shard \"$K/3\" --jobs 1 --threads 4"), std::string::npos);
  EXPECT_NE(s.sweep.find("exec '/opt/flight it'\\''s' sweep run"), std::string::npos) << s.sweep;  // quoted for bash
  EXPECT_NE(s.merge.find("db merge shard-0.sqlite shard-1.sqlite shard-2.sqlite -o merged.sqlite"), std::string::npos);
  EXPECT_EQ(s.merge.find("--partition"), std::string::npos);
  r.partition = "gpu";
  EXPECT_NE(slurm_scripts(g, r).merge.find("#SBATCH --partition=gpu\n"), std::string::npos);
  r.time_limit = "12:61:00";
  EXPECT_THROW(slurm_scripts(g, r), InputError);
  r.time_limit = "1:00:00";
  r.shards = 9;  // paper46 has 8 FP32-parent trees
  EXPECT_THROW(slurm_scripts(g, r), InputError);
  r.shards = 0;
  EXPECT_THROW(slurm_scripts(g, r), InputError);
}

TEST(Merge, ShardsOfOneGridMergeAndForeignOrMissingInputsAreRefused) {
  test::TempDir tmp;
  auto shard = [&](const std::string& file, const std::string& grid, std::vector<std::pair<std::string, std::string>> rows) {
    db::Repository repo(tmp.path() / file);
    repo.set_meta("grid", grid);
    repo.set_meta("profile", "smoke");
    repo.set_meta("fingerprint", grid + "-fp");
    repo.set_meta("expected_keys", "[\"a\",\"b\",\"c\"]");
    std::vector<db::Row> v;
    for (const auto& [key, status] : rows) {
      db::Row r;
      r.key = key, r.name = "exp-" + key, r.status = status, r.config = "{}";
      if (status == "done") r.result = "{}";
      v.push_back(r);
    }
    repo.import_rows(v);
    return (tmp.path() / file).string();
  };
  const auto s0 = shard("s0.sqlite", "g", {{"a", "done"}});
  const auto s1 = shard("s1.sqlite", "g", {{"b", "failed"}});
  const auto m = merge_databases({s0, s1}, (tmp.path() / "m.sqlite").string());
  EXPECT_EQ(m.inputs, 2u);
  EXPECT_EQ(m.expected, 3u);
  EXPECT_EQ(m.done, 1u);
  EXPECT_EQ(m.finished, 2u);
  ASSERT_EQ(m.missing.size(), 1u);
  EXPECT_EQ(m.missing[0], "c");  // never seen: named by its key
  EXPECT_THROW(merge_databases({s0}, (tmp.path() / "m.sqlite").string()), InputError);  // output exists
  const auto other = shard("o.sqlite", "h", {});
  EXPECT_THROW(merge_databases({s0, other}, (tmp.path() / "m2.sqlite").string()), InputError);
  EXPECT_THROW(merge_databases({}, (tmp.path() / "m3.sqlite").string()), InputError);
  EXPECT_FALSE(fs::exists(tmp.path() / "m2.sqlite"));
}

}  // namespace
}  // namespace flight::sweeps
