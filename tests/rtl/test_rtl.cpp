// rtl/: the generated engine against sim/ — a golden file of the Verilog, Verilator's lint, and a tiny network
// simulated under Verilator: outputs bit-identical to sim's bit-accurate inference, cycles against the cycle model.
// The Verilator tests are skipped with a message when verilator is missing (scripts/install-deps build installs it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

#include "flight/core/error.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/rtl/engine.hpp"
#include "flight/rtl/verify.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sim/workload_builder.hpp"
#include "flight/sweeps/network_file.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight {
namespace {
namespace fs = std::filesystem;
using sim::IntLayer;
using cost_models::Block;

// conv 3×3 pad 1 (1 → 3 channels) + ReLU + max-pool 2, conv 3×3 stride 2 (3 → 5) + ReLU, fc 5·2·2 → 4 classes.
const char* kTinyNet = R"(
name = "rtl-tiny"
description = "RTL test network"
default_dataset = "mnist"
[[layer]]
type = "conv"
out = 3
kernel = 3
pad = 1
bias = false
[[layer]]
type = "relu"
[[layer]]
type = "maxpool"
kernel = 2
stride = 2
[[layer]]
type = "conv"
out = 5
kernel = 3
stride = 2
pad = 1
bias = false
[[layer]]
type = "relu"
[[layer]]
type = "flatten"
[[layer]]
type = "fc"
out = 4
)";

// A wider variant for the requantizer drain: conv 3×3 pad 1 (1 → 12) + ReLU + max-pool 2, conv 1×1 (12 → 24) + ReLU,
// fc 24·4·4 → 4.  The 1×1 layer's pixel lasts ⌈12 / p_in⌉ cycles, so p_in 4 with 7 lanes needs R = 3 requantizers
// (fewer than the banks: the drain groups wrap around the banks) and its 24 channels make tiles that start mid-bank.
const char* kWideNet = R"(
name = "rtl-wide"
description = "RTL test network with a 1x1 layer"
default_dataset = "mnist"
[[layer]]
type = "conv"
out = 12
kernel = 3
pad = 1
bias = false
[[layer]]
type = "relu"
[[layer]]
type = "maxpool"
kernel = 2
stride = 2
[[layer]]
type = "conv"
out = 24
kernel = 1
bias = false
[[layer]]
type = "relu"
[[layer]]
type = "flatten"
[[layer]]
type = "fc"
out = 4
)";

constexpr int kH = 8, kW = 8;

// Random power-of-two terms: filter f has k = 1 or 2 terms per weight (f odd: k = 1), shifts 0..6, a few zeros.
IntLayer pow2_layer(IntLayer::Kind kind, int c_in, int c_out, int kernel, int stride, int pad, bool relu,
                    std::mt19937& rng) {
  IntLayer L;
  L.kind = kind;
  L.c_in = c_in, L.c_out = c_out, L.kernel = kernel, L.stride = stride, L.pad = pad;
  L.weight_quantum = 1.0 / 64;
  const int fan_in = c_in * kernel * kernel;
  std::uniform_int_distribution<int> shift(-1, 6), sign(0, 1);
  std::uniform_real_distribution<double> u(-1, 1);
  L.term_shift.resize(std::size_t(c_out));
  L.term_sign.resize(std::size_t(c_out));
  for (int f = 0; f < c_out; ++f) {
    const int k = f % 2 ? 1 : 2;
    L.filter_k.push_back(k);
    for (int j = 0; j < fan_in * k; ++j) {
      L.term_shift[std::size_t(f)].push_back(std::int8_t(shift(rng)));
      L.term_sign[std::size_t(f)].push_back(std::int8_t(sign(rng)));
    }
    L.bias.push_back(relu ? 0.0 : 0.1 * u(rng));
    L.affine_scale.push_back(0.5 + 0.4 * u(rng) * (f == 1 ? -1 : 1));  // one negative BN scale
    L.affine_shift.push_back(0.3 * u(rng));
  }
  L.relu = relu;
  L.out_scale = 1.0 / 32;
  return L;
}

struct Tiny {
  NetworkSpec spec;
  sim::IntNetwork net;
  sim::Workload workload;
  // in_c: input channels (3: an RGB-like input, whose pixel-major layout interleaves channels within a row).
  explicit Tiny(bool wide = false, int in_c = 1)
      : spec(wide ? sweeps::parse_network(kWideNet, "rtl-wide.toml") : sweeps::parse_network(kTinyNet, "rtl-tiny.toml")) {
    std::mt19937 rng(7);
    net.in_c = in_c, net.in_h = kH, net.in_w = kW, net.a_bits = 8, net.acc_bits = 20;
    net.layers.push_back(pow2_layer(IntLayer::Kind::conv, in_c, wide ? 12 : 3, 3, 1, 1, true, rng));
    IntLayer pool;
    pool.kind = IntLayer::Kind::maxpool;
    net.layers.push_back(pool);
    if (wide) net.layers.push_back(pow2_layer(IntLayer::Kind::conv, 12, 24, 1, 1, 0, true, rng));
    else net.layers.push_back(pow2_layer(IntLayer::Kind::conv, 3, 5, 3, 2, 1, true, rng));
    IntLayer flat;
    flat.kind = IntLayer::Kind::flatten;
    net.layers.push_back(flat);
    if (wide) net.layers.push_back(pow2_layer(IntLayer::Kind::fc, 24 * 4 * 4, 4, 1, 1, 0, false, rng));
    else net.layers.push_back(pow2_layer(IntLayer::Kind::fc, 5 * 2 * 2, 4, 1, 1, 0, false, rng));
    sim::KProfile p;
    p.kind = sim::KProfile::Kind::uniform, p.k = 2;
    workload = sim::build_workload(spec, {std::size_t(in_c), kH, kW}, 4, p, {8, 3});
    const std::size_t compute[] = {0, 2, 4};
    for (std::size_t i = 0; i < 3; ++i) {
      std::array<int, 3> by_k{0, 0, 0};
      for (int k : net.layers[compute[i]].filter_k) ++by_k[std::size_t(k)];
      workload.layers[i].filters_by_k = by_k;
    }
  }
  sim::FpgaEvaluation evaluate(const sim::FpgaDesign& d) const {
    sim::FpgaModel m(workload, cost_models::find_device("zynq-7020"), cost_models::builtin_fpga_costs(), {});
    auto ev = m.evaluate(d);
    EXPECT_TRUE(ev.fits) << ev.reason;
    return ev;
  }
};

sim::FpgaDesign design(int p_in, int lanes) {
  sim::FpgaDesign d;
  d.mapping = sim::Mapping::uniform;
  d.slot = Block::shift_k2;
  d.p_in = p_in;
  d.lanes = lanes;
  d.fmap_on_chip = d.weights_on_chip = true;
  return d;
}

sim::FpgaDesign unrolled(sim::FpgaDesign d) {
  d.unroll_kernel = true;
  return d;
}

bool have_verilator() { return std::system("verilator --version > /dev/null 2>&1") == 0; }
// Under CI (CI=true: .ci/run and the clean room) a missing Verilator is a failure, not a skip: the scripts install it.
#define FLIGHT_NEED_VERILATOR()                                                                        \
  do {                                                                                                 \
    if (!have_verilator()) {                                                                           \
      if (std::getenv("CI")) FAIL() << "verilator is missing under CI: scripts/install-deps build installs it"; \
      GTEST_SKIP() << "verilator not installed (scripts/install-deps build)";                          \
    }                                                                                                  \
  } while (0)

TEST(RtlEngine, GeneratedVerilogMatchesItsGoldenFile) {
  Tiny t;
  const sim::IntInference inf(t.net);
  const auto g = rtl::generate_engine(inf, design(2, 2), {3, 4, 20});
  const std::string got = g.verilog + "// weights.hex\n" + g.weights_hex + "// requant.hex\n" + g.requant_hex;
  const auto want = test::golden_text(fs::path(FLIGHT_SOURCE_DIR) / "tests/golden/rtl_tiny_engine.v", got);
  ASSERT_TRUE(want) << "missing golden file; regenerate with FLIGHT_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(got, *want) << "the generated engine changed; if intended, regenerate with FLIGHT_UPDATE_GOLDEN=1";
}

TEST(RtlEngine, RefusesWhatItDoesNotCoverWithTheReason) {
  Tiny t;
  const sim::IntInference inf(t.net);
  auto d = design(2, 2);
  d.mapping = sim::Mapping::heterogeneous;
  d.slot = Block::shift_k1;
  d.lanes_k2 = 1;
  EXPECT_THROW(
      {
        try {
          rtl::generate_engine(inf, d, {3, 4, 20});
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("heterogeneous"), std::string::npos) << e.what();
          throw;
        }
      },
      InputError);
  d = design(2, 2);
  d.mapping = sim::Mapping::time_multiplexed;  // on shift_k2 slots
  EXPECT_THROW(rtl::generate_engine(inf, d, {3, 4, 20}), InputError);
  d = design(2, 2);
  d.slot = Block::shift_k1;  // the network has k = 2 filters
  EXPECT_THROW(rtl::generate_engine(inf, d, {3, 4, 20}), InputError);
  d = design(2, 2);
  d.weights_on_chip = false;
  EXPECT_THROW(rtl::generate_engine(inf, d, {3, 4, 20}), InputError);
  // An accumulator width other than the network's would wrap elsewhere than sim does.
  EXPECT_THROW(rtl::generate_engine(inf, design(2, 2), {3, 4, 24}), InputError);
  // 4-bit activations: the 8-bit input pixels would not fit the banks.
  auto narrow = t.net;
  narrow.a_bits = 4;
  EXPECT_THROW(rtl::generate_engine(sim::IntInference(narrow), design(2, 2), {3, 4, 20}), InputError);
}

TEST(RtlEngine, VerilatorLintAllIsClean) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  const sim::IntInference inf(t.net);
  test::TempDir dir;
  for (auto [p, l] : {std::pair{2, 2}, {3, 5}, {1, 1}}) {
    rtl::write_engine(rtl::generate_engine(inf, design(p, l), {3, 4, 20}), dir.path().string());
    EXPECT_EQ(rtl::lint(dir.path().string(), {}), "") << "p_in " << p << " lanes " << l;
  }
  // Several requantizers: R = 3 of 4 banks, and R = lanes (the drain latches shift by their whole width).
  Tiny wide(true);
  const sim::IntInference winf(wide.net);
  for (auto [p, l, r] : {std::tuple{4, 7, 3}, {12, 4, 4}}) {
    auto d = design(p, l);
    d.requantizers = r;
    rtl::write_engine(rtl::generate_engine(winf, d, {3, 4, 20}), dir.path().string());
    EXPECT_EQ(rtl::lint(dir.path().string(), {}), "") << "p_in " << p << " lanes " << l << " requantizers " << r;
  }
  // Time-multiplexed (two-pass tiles, reordered filters and classes).
  for (auto [p, l] : {std::pair{2, 2}, {3, 5}}) {
    auto d = design(p, l);
    d.mapping = sim::Mapping::time_multiplexed;
    d.slot = Block::shift_k1;
    rtl::write_engine(rtl::generate_engine(inf, d, {3, 4, 20}), dir.path().string());
    EXPECT_EQ(rtl::lint(dir.path().string(), {}), "") << "time-multiplexed p_in " << p << " lanes " << l;
  }
  // Unrolled window: P a power of two and not, one bank.
  for (auto [p, l] : {std::pair{4, 3}, {5, 4}, {1, 1}, {7, 3}, {9, 4}}) {
    rtl::write_engine(rtl::generate_engine(inf, unrolled(design(p, l)), {3, 4, 20}), dir.path().string());
    EXPECT_EQ(rtl::lint(dir.path().string(), {}), "") << "unrolled p_in " << p << " lanes " << l;
  }
  for (auto [p, l, rg] : {std::tuple{6, 2, 3}, {3, 4, 3}, {4, 3, 2}}) {
    auto d = unrolled(design(p, l));
    d.row_groups = rg;
    rtl::write_engine(rtl::generate_engine(inf, d, {3, 4, 20}), dir.path().string());
    EXPECT_EQ(rtl::lint(dir.path().string(), {}), "") << "row groups " << rg << " p_in " << p << " lanes " << l;
  }
  auto too_many = design(2, 7);
  too_many.requantizers = 3;  // more requantizers than banks
  EXPECT_THROW(rtl::generate_engine(winf, too_many, {3, 4, 20}), InputError);
}

// Random images through the engine: every classifier output bit-identical to sim's IntInference, every layer's
// cycles = the engine's issue cycles + its flush, and the image within 15 % of the cycle model (the model's fill is
// a per-layer constant; the engine's flush is 7 + tree depth + drain cycles: docs/rtl.md), and the engine's
// requantizer count is the model's.
void check_design(const Tiny& t, const sim::FpgaDesign& d) {
  SCOPED_TRACE(sim::describe(d));
  const int p_in = d.p_in, lanes = d.lanes;
  const sim::IntInference inf(t.net);
  const auto ev = t.evaluate(d);
  test::TempDir dir;
  const auto g = rtl::generate_engine(inf, ev.design, {3, 4, t.net.acc_bits});  // with the model's requantizers
  rtl::write_engine(g, dir.path().string());
  const long n = 12;
  const std::size_t px = std::size_t(t.net.in_c) * kH * kW;  // bytes per image
  std::vector<std::uint8_t> images(std::size_t(n) * px);
  std::mt19937 rng(11);
  for (auto& b : images) b = std::uint8_t(rng() % 256);
  const auto s = rtl::simulate(dir.path().string(), images, n, 4, 3, {});
  long nonzero = 0;
  for (long i = 0; i < n; ++i) {
    const auto r = inf.run(images.data() + std::size_t(i) * px);
    EXPECT_EQ(s.images[std::size_t(i)].outputs, r.raw_logits) << "image " << i;
    for (auto x : r.raw_logits) nonzero += x != 0;
  }
  EXPECT_GT(nonzero, n) << "the test network's outputs are mostly zero: the comparison would prove little";
  const auto& im = s.images.front();
  double model = 0;
  for (std::size_t l = 0; l < g.layers.size(); ++l) {
    const auto& e = g.layers[l];
    const int drain = e.classifier ? lanes : (lanes + g.requantizers - 1) / g.requantizers;
    EXPECT_EQ(im.layer_cycles[l], e.issue_cycles + 6 + g.tree_depth + drain + 1) << e.name;
    EXPECT_EQ(double(im.layer_cycles[l]), ev.layers[l].cycles) << e.name << ": the cycle model's layer";
    model += ev.layers[l].cycles;
  }
  EXPECT_NEAR(double(im.cycles), model, 0.15 * model);
  EXPECT_EQ(g.requantizers, ev.requantizers);
  if (p_in == 4 && lanes == 7) {
    EXPECT_EQ(g.requantizers, 3);
  }
}

TEST(RtlEngine, TinyNetworkUnderVerilatorIsBitIdenticalAndOnTheCycleModel) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  check_design(t, design(2, 2));  // lanes = p_in: one drain cycle per pixel
  check_design(t, design(3, 5));  // lanes not a multiple of p_in: tiles start mid-bank
  Tiny wide(true);
  check_design(wide, design(4, 7));   // R = 3 requantizers for 4 banks: drain groups wrap around the banks
  check_design(wide, design(12, 4));  // R = lanes = 4: one drain cycle per pixel of the 1-cycle 1×1 layer
}

sim::FpgaDesign time_multiplexed(int p_in, int lanes) {
  auto d = design(p_in, lanes);
  d.mapping = sim::Mapping::time_multiplexed;
  d.slot = Block::shift_k1;
  return d;
}

// Time-multiplexed: shift_k1 slots, k = 2 filters (every even filter of the test networks) run two passes per
// pixel.  The filters are reordered k = 2 first, so the classifier's physical channels name other classes and the
// next layer reads its input channels permuted; the outputs must still equal sim's, and each layer's cycles the
// model's (two-pass tiles, then one-pass ones).
TEST(RtlEngine, TimeMultiplexedMappingIsBitIdenticalAndOnTheCycleModel) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  check_design(t, time_multiplexed(2, 2));  // conv1's 3 filters: [k2 k2] [k1], two-pass tile then one-pass
  check_design(t, time_multiplexed(3, 5));  // one tile of mixed k: the k = 1 lanes idle in the second pass
  check_design(t, time_multiplexed(1, 1));
  Tiny wide(true);
  check_design(wide, time_multiplexed(4, 7));  // 12 filters: 6 k = 2 in one two-pass tile with a k = 1 lane
  const sim::IntInference inf(t.net);
  const auto g = rtl::generate_engine(inf, time_multiplexed(2, 2), {3, 4, t.net.acc_bits});
  ASSERT_EQ(g.layers.size(), 3U);
  EXPECT_EQ(g.layers[0].order, (std::vector<int>{0, 2, 1}));
  EXPECT_EQ(g.layers[0].two_pass_tiles, 1);
  EXPECT_EQ(g.layers[0].tiles, 2);
  EXPECT_EQ(g.layers[2].order, (std::vector<int>{0, 2, 1, 3}));
}

// The unrolled window (unroll=CinK2): pixel-major maps, each kernel row's K·C_in values P per cycle through the
// rotator, values outside the map masked; the cycle model counts K·⌈K·C_in / P⌉ cycles per pixel.
TEST(RtlEngine, UnrolledWindowIsBitIdenticalAndOnTheCycleModel) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  check_design(t, unrolled(design(2, 2)));  // conv1: a kernel row of 3 values in 2 steps; rows straddle banks
  check_design(t, unrolled(design(4, 3)));  // conv2: 9 values a row (3 channels × 3) in 3 steps of 4
  check_design(t, unrolled(design(5, 4)));  // P not a power of two: rotations by 1, 2 and 4 mod 5 words
  check_design(t, unrolled(design(1, 1)));
  check_design(t, unrolled(time_multiplexed(3, 5)));  // with two-pass tiles and reordered channels
  Tiny wide(true);
  check_design(wide, unrolled(design(4, 7)));   // 3 requantizers; drain groups wrap the banks mid-pixel
  check_design(wide, unrolled(design(16, 4)));  // input row groups of 5 banks; the fc's map: rows of 96 values
  // The input layer's three kernel rows at once from three copies of the image (groups of ⌊P / 3⌋ banks).
  check_design(t, unrolled(design(6, 2)));   // groups of 2 banks: a row of 3 values in 2 steps, rotated per group
  check_design(t, unrolled(design(7, 3)));   // groups of 2, one bank and slot left idle in the input layer
  check_design(t, unrolled(design(9, 4)));   // groups of 3: one step per pixel
  check_design(t, unrolled(time_multiplexed(9, 2)));
  // A 3-channel input: its rows interleave channels (9 values a kernel row), input groups of ⌊15/3⌋ = 5 banks.
  Tiny rgb(false, 3);
  check_design(rgb, unrolled(design(15, 3)));
  EXPECT_EQ(rtl::generate_engine(sim::IntInference(rgb.net), unrolled(design(15, 3)), {3, 4, rgb.net.acc_bits}).group_banks, 5);
  check_design(rgb, unrolled(design(5, 2)));  // kernel rows in sequence, 9 values in 2 steps of 5
  const sim::IntInference inf(t.net);
  const auto g = rtl::generate_engine(inf, unrolled(design(4, 3)), {3, 4, t.net.acc_bits});
  ASSERT_EQ(g.layers.size(), 3U);
  EXPECT_EQ(g.layers[0].kernel_steps, 3);      // 3 rows × ⌈3 / 4⌉
  EXPECT_EQ(g.layers[1].kernel_steps, 3 * 3);  // 3 rows × ⌈9 / 4⌉
  EXPECT_EQ(g.layers[2].kernel_steps, 2 * 3);  // fc over a 2×2 map of 5 channels: 2 rows × ⌈10 / 4⌉
  EXPECT_EQ(g.group_banks, 0);                 // groups of one bank would not be faster
  const auto g9 = rtl::generate_engine(inf, unrolled(design(9, 4)), {3, 4, t.net.acc_bits});
  EXPECT_EQ(g9.group_banks, 3);
  EXPECT_EQ(g9.layers[0].kernel_steps, 1);
  EXPECT_EQ(g9.layers[1].kernel_steps, 3);  // 3 rows × ⌈9 / 9⌉
}

sim::FpgaDesign row_groups(sim::FpgaDesign d, int g) {
  d.unroll_kernel = true;
  d.row_groups = g;
  return d;
}

// Row groups: every map held in G copies of P / G banks, G kernel rows read at once (the drain writes every copy).
TEST(RtlEngine, RowGroupsAreBitIdenticalAndOnTheCycleModel) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  check_design(t, row_groups(design(6, 2), 3));  // 3 copies of 2 banks: one pass of the 3×3 kernels
  check_design(t, row_groups(design(3, 4), 3));  // copies of one bank: no rotation
  check_design(t, row_groups(design(4, 3), 2));  // 2 copies: a 3×3 kernel in 2 passes, the second half empty
  check_design(t, row_groups(time_multiplexed(9, 2), 3));
  Tiny wide(true);
  check_design(wide, row_groups(design(12, 7), 3));  // 3 requantizers in copies of 4 banks
  check_design(wide, row_groups(design(8, 5), 2));
  const sim::IntInference inf(t.net);
  const auto g = rtl::generate_engine(inf, row_groups(design(6, 2), 3), {3, 4, t.net.acc_bits});
  EXPECT_EQ(g.layers[0].kernel_steps, 2);  // ⌈3 / 2⌉ steps of the 3 rows at once
  EXPECT_EQ(g.layers[1].kernel_steps, 5);  // 9 values a row in copies of 2 banks
  EXPECT_EQ(g.layers[2].kernel_steps, 5);  // the fc's 2 map rows at once, 10 values each
  EXPECT_THROW(rtl::generate_engine(inf, row_groups(design(4, 2), 3), {3, 4, t.net.acc_bits}), InputError);  // 4 % 3
  auto rolled = design(6, 2);
  rolled.row_groups = 3;  // without the unrolled window
  EXPECT_THROW(rtl::generate_engine(inf, rolled, {3, 4, t.net.acc_bits}), InputError);
}

TEST(RtlEngine, AWrongWeightIsCaughtByTheComparison) {
  FLIGHT_NEED_VERILATOR();
  Tiny t;
  const sim::IntInference inf(t.net);
  test::TempDir dir;
  auto g = rtl::generate_engine(inf, design(2, 2), {3, 4, t.net.acc_bits});
  // Flip the sign bit of the first weight word's first term: the engine computes another network.
  auto& hex = g.weights_hex;
  const auto eol = hex.find('\n');
  char& last = hex[eol - 1];
  const int nib = std::stoi(std::string(1, last), nullptr, 16);  // bits 0..3: term 0's code (bits 0..2), sign
  last = "0123456789abcdef"[(nib & 7) == 0 ? 1 : nib ^ 0x8];     // a zero term becomes 1, another flips its sign
  rtl::write_engine(g, dir.path().string());
  const long n = 6;
  std::vector<std::uint8_t> images(std::size_t(n) * kH * kW);
  std::mt19937 rng(5);
  for (auto& b : images) b = std::uint8_t(rng() % 256);
  const auto s = rtl::simulate(dir.path().string(), images, n, 4, 3, {});
  long differ = 0;
  for (long i = 0; i < n; ++i) differ += s.images[std::size_t(i)].outputs != inf.run(images.data() + i * kH * kW).raw_logits;
  EXPECT_GT(differ, 0);
}

TEST(RtlVerify, YosysStatHierarchyIsReadOnceWithBlockRam) {
  // The whole-design report lists each module, then the totals: only the totals count.
  test::TempDir dir;
  std::ofstream(dir.path() / "stat.txt")
      << "=== flight_engine ===\n   Number of cells: 5\n     LUT2 40\n     FDRE 20\n     RAMB36E1 3\n     RAMB18E1 1\n"
         "     flight_lane 2\n"
         "=== flight_lane ===\n   Number of cells: 3\n     LUT2 10\n     FDRE 5\n     flight_slot 4\n"
         "=== flight_slot ===\n   Number of cells: 2\n     LUT6 15\n     SRL16E 1\n     DSP48E1 2\n"
         "=== design hierarchy ===\n\n   flight_engine                     1\n     flight_lane                     2\n"
         "       flight_slot                   4\n\n   Number of wires: 7\n   Number of cells: 9\n     LUT2 200\n"
         "     LUT6 20\n     FDRE 100\n     RAMB36E1 3\n     RAMB18E1 1\n     SRL16E 4\n     DSP48E1 2\n";
  std::ofstream(dir.path() / "synth.ys") << "# nothing to do\n";
  if (std::system("yosys -V > /dev/null 2>&1") != 0) GTEST_SKIP() << "yosys not installed";
  const auto s = rtl::synthesize(dir.path().string(), {});
  EXPECT_DOUBLE_EQ(s.lut, 224);
  EXPECT_DOUBLE_EQ(s.lutram, 4);
  EXPECT_DOUBLE_EQ(s.ff, 100);
  EXPECT_DOUBLE_EQ(s.bram36, 3.5);
  EXPECT_DOUBLE_EQ(s.dsp, 2);
  // Parts: each module's own cells times its instances (slots nest in lanes: 2 · 4 = 8 of them).
  ASSERT_EQ(s.parts.size(), 3u);
  EXPECT_EQ(s.parts[0].module, "flight_engine");
  EXPECT_DOUBLE_EQ(s.parts[0].lut, 40);
  EXPECT_DOUBLE_EQ(s.parts[0].bram36, 3.5);
  EXPECT_EQ(s.parts[1].instances, 2);
  EXPECT_DOUBLE_EQ(s.parts[1].ff, 10);
  EXPECT_EQ(s.parts[2].instances, 8);
  EXPECT_DOUBLE_EQ(s.parts[2].lut, 8 * 16);
  EXPECT_DOUBLE_EQ(s.parts[2].dsp, 16);
}

}  // namespace
}  // namespace flight
