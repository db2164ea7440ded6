// Trainer hot paths: GEMM (OpenBLAS vs the reference loop), conv forward/backward, the weight quantizers and the
// activation quantizer.  Threaded benchmarks cap oneTBB with ThreadLimit (range 0) and report real time.
#include <benchmark/benchmark.h>

#include <random>

#include "flight/trainer/kernels.hpp"
#include "flight/trainer/layers.hpp"
#include "flight/trainer/parallel.hpp"
#include "flight/trainer/quant.hpp"

namespace {
using namespace flight::trainer;

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

BENCHMARK_MAIN();
