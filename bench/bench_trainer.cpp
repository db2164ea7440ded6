// Trainer hot paths: GEMM (OpenBLAS vs the reference loop), conv forward/backward, the weight quantizers and the
// activation quantizer.  Threaded benchmarks cap oneTBB with ThreadLimit (range 0) and report real time.
#include <benchmark/benchmark.h>

#include <random>

#include "flight/trainer/kernels.hpp"
#include "flight/trainer/layers.hpp"
#include "flight/core/parallel.hpp"
#include "flight/trainer/quant.hpp"

namespace {
using namespace flight::trainer;
using flight::ThreadLimit;

std::vector<float> random_vec(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_Gemm(benchmark::State& state) {
  init_kernels();
  const int n = int(state.range(0));
  const bool ref = state.range(1) != 0;
  auto a = random_vec(std::size_t(n) * n, 1), b = random_vec(std::size_t(n) * n, 2), c = random_vec(std::size_t(n) * n, 3);
  for (auto _ : state) {
    if (ref) gemm_ref(false, false, n, n, n, 1, a.data(), n, b.data(), n, 0, c.data(), n);
    else gemm(false, false, n, n, n, 1, a.data(), n, b.data(), n, 0, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["FLOP"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::OneK::kIs1000);
  state.SetLabel(ref ? "reference" : "OpenBLAS");
}
BENCHMARK(BM_Gemm)->Args({128, 0})->Args({128, 1})->Args({512, 0})->Unit(benchmark::kMillisecond);

// Batch norm + ReLU (+ A = 8 quantization) as one pass each way, on vgg-s's batchnorm1 shape (batch 64, 32 channels,
// 32×32); range(0) threads, range(1) 1 = with activation quantization, range(2) 1 = the channel-blocked layout (what
// Model runs where oneDNN runs AVX-512).  Bytes: one tensor in and out per pass.
void BM_BatchNormRelu(benchmark::State& state) {
  ThreadLimit limit(int(state.range(0)));
  BatchNorm bn(32);
  ReLU relu(state.range(1) ? 8 : 0);
  Tensor x(64, 32, 32, 32), z, gx;
  x.v = random_vec(x.size(), 6);
  if (state.range(2)) x.blocked = true;  // random values: either layout
  const Tensor gz = x;
  for (auto _ : state) {
    bn.forward_relu(x, relu, z, true);
    bn.backward_relu(x, relu, gz, gx);
    benchmark::DoNotOptimize(gx.data());
  }
  state.SetBytesProcessed(state.iterations() * std::int64_t(x.size() * sizeof(float)) * 4);
  state.SetLabel(std::string(state.range(1) ? "A=8" : "fp32") + (state.range(2) ? ", blocked" : ", plain") + ", " +
                 std::to_string(state.range(0)) + " threads");
}
BENCHMARK(BM_BatchNormRelu)->ArgsProduct({{1, 2}, {0, 1}, {0, 1}})->UseRealTime()->Unit(benchmark::kMillisecond);

// 2×2 max pooling forward and backward on vgg-l's maxpool1 shape (batch 64, 64 channels, 32×32); range(0) threads,
// range(1) 1 = the channel-blocked layout.
void BM_MaxPool(benchmark::State& state) {
  ThreadLimit limit(int(state.range(0)));
  MaxPool pool(2, 2);
  Tensor x(64, 64, 32, 32), y, gx;
  x.v = random_vec(x.size(), 7);
  if (state.range(1)) x.blocked = true;
  for (auto _ : state) {
    pool.forward(x, y, true);
    pool.backward(x, y, y, gx);
    benchmark::DoNotOptimize(gx.data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetLabel(std::string(state.range(1) ? "blocked" : "plain") + ", " + std::to_string(state.range(0)) +
                 " threads");
}
BENCHMARK(BM_MaxPool)->ArgsProduct({{1, 2}, {0, 1}})->UseRealTime()->Unit(benchmark::kMillisecond);

// vgg-s conv2 shape: 32 → 32 channels, 3×3, 32×32, batch 64; range(0) threads, range(1) quantization method.
void BM_ConvForwardBackward(benchmark::State& state) {
  init_kernels();
  ThreadLimit limit(int(state.range(0)));
  QuantConfig q;
  if (state.range(1) == 1) q.method = Method::lightnn, q.k = 2;
  if (state.range(1) == 2) q.method = Method::flightnn;
  Conv2d conv(32, 32, 3, 1, 1, false, q);
  conv.weights() = random_vec(conv.weights().size(), 4);
  Tensor x(64, 32, 32, 32);
  x.v = random_vec(x.size(), 5);
  Tensor y, gx;
  for (auto _ : state) {
    conv.forward(x, y, true);
    conv.backward(x, y, y, gx);
    benchmark::DoNotOptimize(gx.data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetLabel(method_name(q) + ", " + std::to_string(state.range(0)) + " threads");
}
BENCHMARK(BM_ConvForwardBackward)->ArgsProduct({{1, 2}, {0, 1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);

// lenet-l fc1: 500 filters × 800 weights.
void BM_WeightQuantizer(benchmark::State& state) {
  QuantConfig q;
  q.method = state.range(0) == 0 ? Method::fixed : state.range(0) == 1 ? Method::lightnn : Method::flightnn;
  WeightQuantizer wq(q, 500, 800);
  auto w = random_vec(400000, 6);
  std::vector<float> out;
  for (auto _ : state) {
    wq.forward(w, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 400000);
  state.SetLabel(method_name(q));
}
BENCHMARK(BM_WeightQuantizer)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

void BM_Pow2Round(benchmark::State& state) {
  auto w = random_vec(1 << 16, 7);
  const Pow2Window win{0, 3, true};
  for (auto _ : state) {
    float s = 0;
    for (float x : w) s += pow2_round(x, win);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * (1 << 16));
}
BENCHMARK(BM_Pow2Round);

}  // namespace

// The conv layers of vgg-s (CIFAR, 3×3, pad 1) and lenet-l (MNIST, 5×5, no pad) at batch 64 and 2 threads, forward
// and backward timed apart, on both algorithms.  range(0) layer (0…5 vgg-s conv1…6, 6…7 lenet-l conv1…2), range(1)
// 0 = forward, 1 = backward (with the input gradient, as in training: every layer but the first), range(2) 0 =
// oneDNN, 1 = im2col + OpenBLAS.  Conv2d::default_algorithm's rule comes from these numbers.
struct ConvCase {
  const char* name;
  int c_in, c_out, size, kernel, pad;
  bool first;
};
constexpr ConvCase kConvCases[] = {
    {"vgg-s conv1", 3, 32, 32, 3, 1, true},     {"vgg-s conv2", 32, 32, 32, 3, 1, false},
    {"vgg-s conv3", 32, 64, 16, 3, 1, false},   {"vgg-s conv4", 64, 64, 16, 3, 1, false},
    {"vgg-s conv5", 64, 128, 8, 3, 1, false},   {"vgg-s conv6", 128, 128, 8, 3, 1, false},
    {"lenet-l conv1", 1, 20, 28, 5, 0, true},   {"lenet-l conv2", 20, 50, 12, 5, 0, false}};

void BM_Conv(benchmark::State& state) {
  init_kernels();
  const ConvCase& l = kConvCases[state.range(0)];
  ThreadLimit limit(2);
  const bool backward = state.range(1) != 0;
  Conv2d conv(l.c_in, l.c_out, l.kernel, 1, l.pad, false, QuantConfig{});
  conv.set_algorithm(state.range(2) == 0 ? Conv2d::Algorithm::onednn : Conv2d::Algorithm::im2col_gemm);
  conv.weights() = random_vec(conv.weights().size(), 4);
  conv.set_input_grad_needed(!l.first);
  Tensor x(64, l.c_in, l.size, l.size);
  x.v = random_vec(x.size(), 5);
  Tensor y, gx;
  conv.forward(x, y, true);
  Tensor gy = y;
  for (auto _ : state) {
    if (backward) conv.backward(x, y, gy, gx);
    else conv.forward(x, y, true);
    benchmark::DoNotOptimize(y.data());
  }
  const int out = l.size + 2 * l.pad - l.kernel + 1;
  const double macs = double(l.c_out) * l.c_in * l.kernel * l.kernel * out * out * 64 *
                      (backward ? (l.first ? 1 : 2) : 1);
  state.counters["GFLOP/s"] = benchmark::Counter(2 * macs / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(l.name) + (backward ? " backward, " : " forward, ") +
                 (state.range(2) == 0 ? "oneDNN" : "im2col+GEMM"));
}
BENCHMARK(BM_Conv)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
