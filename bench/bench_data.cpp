// Loader throughput: IDX plain and gzip, CIFAR records, SVHN MAT transposition (bytes/s of decoded pixels).
#include <benchmark/benchmark.h>

#include "flight/core/checksum.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "trainer/fixture_writers.hpp"

namespace {
using namespace flight;

void BM_IdxImages(benchmark::State& state) {
  test::TempDir tmp;
  const bool gz = state.range(0) != 0;
  auto bytes = test::idx_images(10000, 28, 28);
  test::write_bytes(tmp.path() / "img", gz ? test::gzip_bytes(bytes) : bytes);
  for (auto _ : state) benchmark::DoNotOptimize(data::read_idx_images(tmp.path() / "img"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 10000 * 784);
  state.SetLabel(gz ? "gzip" : "plain");
}
BENCHMARK(BM_IdxImages)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CifarBin(benchmark::State& state) {
  test::TempDir tmp;
  test::write_bytes(tmp.path() / "b.bin", test::cifar_records(std::vector<std::uint8_t>(10000, 3), false));
  for (auto _ : state) {
    data::Split s;
    data::read_cifar_bin(tmp.path() / "b.bin", 10, s);
    benchmark::DoNotOptimize(s.pixels.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 10000 * 3072);
}
BENCHMARK(BM_CifarBin)->Unit(benchmark::kMillisecond);

void BM_SvhnMat(benchmark::State& state) {
  test::TempDir tmp;
  const std::uint32_t n = 3000;
  test::write_bytes(tmp.path() / "s.mat",
                    test::mat_v5({test::svhn_x(n), test::svhn_y(std::vector<double>(n, 3.0))}, state.range(0) != 0));
  for (auto _ : state) benchmark::DoNotOptimize(data::read_svhn_mat(tmp.path() / "s.mat"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * n * 3072);
  state.SetLabel(state.range(0) ? "compressed" : "uncompressed");
}
BENCHMARK(BM_SvhnMat)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Fnv1a64(benchmark::State& state) {
  std::vector<std::uint8_t> bytes(1 << 24, 7);
  for (auto _ : state) {
    Fnv1a64 h;
    h.update(bytes);
    benchmark::DoNotOptimize(h.value());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (1 << 24));
}
BENCHMARK(BM_Fnv1a64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
