// Issue 17: hardware costs in the FLightNN regularizer and a throughput target met by dual ascent (sweeps/budget.hpp,
// sim/k_costs.hpp).
#include <gtest/gtest.h>

#include "sweeps/grid_error.hpp"

#include <cmath>
#include <set>

#include "flight/core/error.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/fpga_costs.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sim/k_costs.hpp"
#include "flight/sweeps/budget.hpp"
#include "flight/sweeps/grid.hpp"
#include "flight/sweeps/model_convert.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/trainer/layers.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/workload_builder.hpp"

namespace flight::test {
namespace {
namespace cm = flight::cost_models;
using sim::Workload;

Workload network_workload(const std::string& net, const std::string& profile) {
  const auto spec = sweeps::load_network(net);
  const bool mnist = spec.default_dataset == "mnist";
  return sim::build_workload(spec, mnist ? ImageShape{1, 28, 28} : ImageShape{3, 32, 32}, 10,
                             sweeps::parse_k_profile(profile), {});
}

// Two small layers: a 3×3 conv (4 → 8 channels on 8×8) and an fc 64 → 10, every filter at k = 2.
Workload tiny() {
  Workload w;
  w.name = "tiny";
  sim::LayerWork c;
  c.name = "conv1", c.c_in = 4, c.c_out = 8, c.kernel = 3, c.h_in = 10, c.w_in = 10, c.h_out = 8, c.w_out = 8;
  c.filters_by_k = {0, 0, 8};
  sim::LayerWork f;
  f.name = "fc1", f.is_fc = true, f.c_in = 64, f.c_out = 10, f.filters_by_k = {0, 0, 10};
  w.layers = {c, f};
  return w;
}

TEST(KCosts, CyclesPerFilterAreThoseOfTheTimeMultiplexedDesignByHand) {
  const auto w = tiny();
  const auto& dev = cm::find_device("zynq-7045");
  const auto k = sim::k_marginal_costs(w, dev, cm::builtin_fpga_costs(), {});
  ASSERT_TRUE(k.found) << k.reason;
  EXPECT_EQ(k.design.mapping, sim::Mapping::time_multiplexed);
  ASSERT_EQ(k.layers.size(), 2u);
  const auto& d = k.design;
  // DESIGN.md §5: a time-multiplexed layer of all-k = 2 filters runs ⌈C_out / lanes⌉ tiles of two passes per pixel,
  // all-k = 1 as many tiles of one pass; a pixel lasts max(passes · inner, drain) with inner = ⌈C_in / p_in⌉ · K²
  // (unrolled: LayerWork::pixel_cycles) and drain = ⌈lanes / R⌉ (the classifier: lanes).  One filter's share of the
  // k = 2 → k = 1 difference of a compute-bound layer, by hand:
  const auto ev = sim::FpgaModel(w, dev, cm::builtin_fpga_costs(), {}).evaluate(d);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& l = w.layers[i];
    const double inner = d.unroll_kernel ? std::ceil(double(l.fan_in()) / d.p_in)
                                         : std::ceil(double(l.c_in) / d.p_in) * l.kernel * l.kernel;
    const double drain = i == 1 ? d.lanes : std::ceil(double(d.lanes) / ev.requantizers);
    const double tiles = std::ceil(double(l.c_out) / d.lanes), pixels = double(l.h_out) * l.w_out;
    const double k2 = tiles * pixels * std::max(2 * inner, drain), k1 = tiles * pixels * std::max(inner, drain);
    ASSERT_FALSE(ev.layers[i].memory_bound) << l.name;
    EXPECT_DOUBLE_EQ(k.layers[i].cycles_per_filter, (k2 - k1) / l.c_out) << l.name;
    EXPECT_DOUBLE_EQ(k.layers[i].bits_per_filter, double(l.fan_in()) * 4) << l.name;  // 1 + E = 4 bits
  }
  EXPECT_GT(k.layers[0].cycles_per_filter, 0.0);  // the conv layer is compute-bound: its k = 2 costs
  // Everything fits on a Zynq-7045: no storage term.
  EXPECT_EQ(k.bits_over, 0.0);
  EXPECT_EQ(k.layers[0].storage_cycles_per_filter, 0.0);
}

TEST(KCosts, StorageWeighsTheLayerThatKeepsTheWeightsOffChip) {
  // vgg-l at k = 2 on a Zynq-7045: its weights do not fit in BRAM and fc1 holds most of them (issue 17).
  const auto w = network_workload("vgg-l", "uniform:2");
  const auto k = sim::k_marginal_costs(w, cm::find_device("zynq-7045"), cm::builtin_fpga_costs(), {});
  ASSERT_TRUE(k.found) << k.reason;
  EXPECT_FALSE(k.design.weights_on_chip);
  EXPECT_GT(k.bits_over, 0.0);
  EXPECT_GT(k.fit_gain_cycles, 0.0);
  std::size_t fc1 = 0;
  while (w.layers[fc1].name != "fc1") ++fc1;
  const auto macs = sweeps::regularizer_weights(sweeps::CostKind::macs, w, nullptr);
  const auto cycles = sweeps::regularizer_weights(sweeps::CostKind::cycles, w, &k);
  const auto storage = sweeps::regularizer_weights(sweeps::CostKind::cycles_storage, w, &k);
  const auto share = [&](const std::vector<double>& r) { return r[fc1] * w.layers[fc1].c_out; };
  EXPECT_LT(share(macs), 0.05);                // MAC-light …
  EXPECT_GT(share(cycles), 5 * share(macs));   // … but its weights stream from DDR every image
  EXPECT_GT(share(storage), share(cycles));    // … and keep every weight off chip
}

// The projection on a model whose every filter starts at one k (thresholds 0: all k = 2; thresholds huge: all
// k = 1), lenet-l at random weights on the Zynq-7045, targets between LightNN-2's and LightNN-1's throughput (66,867
// and 89,166 images/s) and energy: from all k = 2 step 1 flips to k = 1 until the target holds; from all k = 1 step 2
// gives filters back — its first probes cannot use the starting design (a uniform k = 1 engine refuses any k = 2
// filter), so it must search again.  Each lands within the tolerance, and the model keeps the mix it reports.
TEST(BudgetProjection, LandsWithinTheToleranceFromEitherSide) {
  sweeps::ModelMeta meta;
  meta.dataset = "mnist";
  meta.network = sweeps::load_network("lenet-l");
  meta.input = ImageShape{1, 28, 28};
  meta.classes = 10;
  meta.quant.method = trainer::Method::flightnn;
  meta.quant.lambda = 0.1;
  struct Case {
    float threshold;
    bool energy;
    double target;
  };
  for (const Case c : {Case{0.0f, false, 80000}, Case{1e30f, false, 80000}, Case{0.0f, true, 0.8},
                       Case{1e30f, true, 0.8}}) {
    trainer::Model model(meta.network, meta.input, meta.classes, meta.quant, 1);
    for (auto* l : model.weight_layers())
      for (auto& t : l->quantizer().thresholds()) t = c.threshold;
    sweeps::to_workload(model, meta);  // residual norms and k of the starting mix
    sweeps::HardwareAim aim;
    aim.device = "zynq-7045";
    (c.energy ? aim.target_energy_uj : aim.target_fps) = c.target;
    sweeps::AimController ctl(aim, meta);
    const auto start = ctl.achieved(model);
    EXPECT_FALSE(c.energy ? start <= c.target * 1.05 && start >= c.target * 0.95
                          : start >= c.target * 0.95 && start <= c.target * 1.05)
        << "the starting mix is off target: " << start;
    EXPECT_TRUE(ctl.project(model));
    const auto b = ctl.finish(model);
    EXPECT_TRUE(b.at("met").as_bool()) << boost::json::serialize(b.at("projection"));
    EXPECT_LE(std::abs(b.at("miss").as_double()), 0.05) << boost::json::serialize(b.at("projection"));
    EXPECT_DOUBLE_EQ(ctl.achieved(model), c.energy ? b.at("achieved_energy_uj").as_double()
                                                  : b.at("achieved_fps").as_double());
    const auto& p = b.at("projection").as_object();
    EXPECT_GT(p.at(c.threshold == 0 ? "flipped_to_k1" : "flipped_to_k2").as_int64(), 0);
    EXPECT_FALSE(p.contains("gap"));
  }
}

TEST(RegularizerWeights, EveryCostAddsUpToOneOverAllFilters) {
  const auto w = network_workload("vgg-s", "uniform:2");
  const auto k = sim::k_marginal_costs(w, cm::find_device("zynq-7045"), cm::builtin_fpga_costs(), {});
  double total_macs = 0;
  for (const auto& l : w.layers) total_macs += double(l.macs());
  for (auto c : {sweeps::CostKind::macs, sweeps::CostKind::cycles, sweeps::CostKind::cycles_storage}) {
    const auto r = sweeps::regularizer_weights(c, w, &k);
    double sum = 0;
    for (std::size_t i = 0; i < r.size(); ++i) sum += r[i] * w.layers[i].c_out;
    EXPECT_NEAR(sum, 1.0, 1e-12) << sweeps::cost_name(c);
    if (c == sweeps::CostKind::macs) {
      for (std::size_t i = 0; i < r.size(); ++i)
        EXPECT_NEAR(r[i], double(w.layers[i].macs()) / w.layers[i].c_out / total_macs, 1e-15);
    }
  }
  EXPECT_THROW(sweeps::regularizer_weights(sweeps::CostKind::cycles, w, nullptr), InputError);
  EXPECT_EQ(sweeps::parse_cost("cycles+storage"), sweeps::CostKind::cycles_storage);
  EXPECT_THROW(sweeps::parse_cost("latency"), InputError);
}

TEST(DualAscent, ReachesTheTargetOnASyntheticCost) {
  // A plant like FLightNN's: throughput grows with λ and saturates at LightNN-1's (6,000 → 12,000 images/s).
  const auto fps = [](double lambda) { return 6000 + 6000 * (1 - std::exp(-lambda / 0.2)); };
  for (double target : {7000.0, 9000.0, 11000.0}) {
    sweeps::DualAscent a(target, 0.1, 0.0);
    double lambda = 0;
    for (int i = 0; i < 300; ++i) lambda = a.update(fps(lambda));
    EXPECT_NEAR(fps(lambda) / target, 1.0, 0.01) << target;
  }
  // A target the network already beats at λ = 0: λ stays at 0 (never negative).
  sweeps::DualAscent slow(3000, 0.1, 0.05);
  for (int i = 0; i < 50; ++i) slow.update(fps(slow.lambda()));
  EXPECT_EQ(slow.lambda(), 0.0);
  // A cost to bring down (energy): a plant whose µJ per image falls with λ from 1.0 to 0.5.
  const auto uj = [](double lambda) { return 0.5 + 0.5 * std::exp(-lambda / 0.2); };
  for (double target : {0.6, 0.75, 0.9}) {
    sweeps::DualAscent a(target, 0.1, 0.0, true, "--target-energy");
    double lambda = 0;
    for (int i = 0; i < 300; ++i) lambda = a.update(uj(lambda));
    EXPECT_NEAR(uj(lambda) / target, 1.0, 0.01) << target;
  }
  EXPECT_THROW(sweeps::DualAscent(0, 0.1, 0), InputError);
  EXPECT_THROW(sweeps::DualAscent(100, -1, 0), InputError);
}


const char* kTargets = R"(name = "t"
[profiles.smoke]
parent = { epochs = 1 }
child = { epochs = 1 }
[[configuration]]
dataset = "mnist"
nets = ["lenet-l"]
methods = ["lightnn2", "flightnn"]
lambdas = [0.005]
targets = [100000, 120000]
)";


TEST(GridTargets, ATargetIsAnFLightNNRunWithItsOwnKeyAndTheOthersKeepTheirs) {
  const auto g = sweeps::parse_grid(kTargets, "g.toml", "smoke");
  std::string without = kTargets;
  without.replace(without.find("targets = [100000, 120000]\n"), 27, "");
  const auto plain = sweeps::parse_grid(without, "g.toml", "smoke");
  ASSERT_EQ(g.experiments.size(), 5u);  // fp32, lightnn2, flightnn λ, two targets
  ASSERT_EQ(plain.experiments.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(g.experiments[i].key, plain.experiments[i].key) << i;
  const auto& t = g.experiments[3];
  EXPECT_EQ(t.name, "mnist/lenet-l/flightnn-t100000/s1");
  EXPECT_EQ(t.target_fps, 100000.0);
  EXPECT_EQ(t.reg_cost, "cycles+storage");  // the default cost of target runs
  EXPECT_EQ(t.lambda, 0.005);                // dual ascent starts from the first λ
  EXPECT_EQ(t.parent, g.experiments[0].key);
  EXPECT_EQ(t.config.at("target_fps").to_number<double>(), 100000.0);
  EXPECT_EQ(g.experiments[2].config.if_contains("target_fps"), nullptr);
  EXPECT_NE(g.experiments[3].key, g.experiments[4].key);
  auto with = [](const std::string& from, const std::string& to) {
    std::string s = kTargets;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(grid_error(with("\"lightnn2\", \"flightnn\"", "\"lightnn2\"")).find("configuration[0].targets"),
            std::string::npos);
  EXPECT_NE(grid_error(with("targets =", "target_cost = \"energy\"\ntargets =")).find("configuration[0].target_cost"),
            std::string::npos);
  EXPECT_NE(grid_error(with("100000,", "-5,")).find("configuration[0].targets"), std::string::npos);
}

TEST(GridTargets, ParetoGridKeepsTheGridsProfilesAndLambdas) {
  const std::string paper46 = std::string(FLIGHT_SOURCE_DIR) + "/sweeps/grids/paper46.toml";
  sweeps::ParetoRequest r{"cifar10", "vgg-s", "zu9eg", {8000, 11000}, "cycles", {}};
  const auto g = sweeps::pareto_grid(paper46, "quick", r);
  const auto full = sweeps::load_grid(paper46, "quick");
  // fp32 + fixed4 + lightnn1 + lightnn2 + 3 λ + 2 targets.
  ASSERT_EQ(g.experiments.size(), 9u);
  std::vector<double> lambdas;
  for (const auto& e : full.experiments)
    if (e.dataset == "cifar10" && e.net == "vgg-s" && e.method == "flightnn") lambdas.push_back(e.lambda);
  std::vector<double> got;
  for (const auto& e : g.experiments) {
    EXPECT_EQ(e.device, "zu9eg");
    if (e.method == "flightnn" && e.target_fps == 0) {
      got.push_back(e.lambda);
      EXPECT_EQ(e.reg_cost, "macs");
    }
    if (e.target_fps > 0) {
      EXPECT_EQ(e.reg_cost, "cycles");
    }
  }
  EXPECT_EQ(got, lambdas);
  EXPECT_EQ(g.experiments.front().train.epochs, full.experiments.front().train.epochs);
  EXPECT_THROW(sweeps::pareto_grid(paper46, "quick", {"cifar10", "vgg-s", "", {}, "cycles", {}}), InputError);
}

// --seeds replaces the profile's seeds (reference: 1, 2, 3) and the grid's: every experiment, targets included,
// once per given seed.
TEST(GridTargets, ParetoSeedsReplaceTheProfilesSeeds) {
  const std::string paper46 = std::string(FLIGHT_SOURCE_DIR) + "/sweeps/grids/paper46.toml";
  const auto one = sweeps::pareto_grid(paper46, "reference", {"cifar10", "vgg-s", "", {8000}, "cycles", {}});
  const auto two = sweeps::pareto_grid(paper46, "reference", {"cifar10", "vgg-s", "", {8000}, "cycles", {4, 7}});
  EXPECT_EQ(one.experiments.size() % 3, 0u);  // the profile's three seeds
  EXPECT_EQ(two.experiments.size(), one.experiments.size() / 3 * 2);
  std::set<unsigned> seeds;
  for (const auto& e : two.experiments) seeds.insert(e.seed);
  EXPECT_EQ(seeds, (std::set<unsigned>{4, 7}));
}

}  // namespace
}  // namespace flight::test
