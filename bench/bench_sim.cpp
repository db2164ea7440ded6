// FPGA design search and evaluation throughput (designs evaluated per second), and the ASIC energy pass.
#include <benchmark/benchmark.h>

#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sim/asic.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/workload_builder.hpp"

namespace {
using namespace flight;

sim::Workload vgg_l(const char* profile) {
  return sim::build_workload(sweeps::load_network("vgg-l"), ImageShape{3, 32, 32}, 10,
                                sweeps::parse_k_profile(profile), {});
}

const char* const kProfiles[] = {"uniform:1", "uniform:2", "fixed:4", "mix:0.3"};
const char* const kDevices[] = {"zynq-7020", "zynq-7045", "virtex7-690t", "zu9eg"};

// Whole search for vgg-l: state.range(0) picks the profile, range(1) the device.
void BM_DesignSearchVggL(benchmark::State& state) {
  const auto w = vgg_l(kProfiles[state.range(0)]);
  const auto& dev = cost_models::find_device(kDevices[state.range(1)]);
  long candidates = 0;
  for (auto _ : state) {
    sim::FpgaModel model(w, dev, cost_models::builtin_fpga_costs(), {});  // fresh lane-cost cache each time
    const auto r = model.search();
    candidates += r.candidates;
    benchmark::DoNotOptimize(r.best.images_per_s);
  }
  state.counters["candidates"] = benchmark::Counter(double(candidates) / double(state.iterations()));
  state.counters["designs_per_s"] = benchmark::Counter(double(candidates), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(kProfiles[state.range(0)]) + " on " + kDevices[state.range(1)]);
}
BENCHMARK(BM_DesignSearchVggL)->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2, 3}})->Unit(benchmark::kMillisecond);

void BM_EvaluateOneDesign(benchmark::State& state) {
  sim::FpgaModel model(vgg_l("mix:0.3"), cost_models::find_device("zynq-7045"), cost_models::builtin_fpga_costs(), {});
  sim::FpgaDesign d;
  d.mapping = sim::Mapping::heterogeneous;
  d.p_in = 32;
  d.lanes = 32;
  d.lanes_k2 = 16;
  for (auto _ : state) benchmark::DoNotOptimize(model.evaluate(d).images_per_s);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateOneDesign);

void BM_AsicEnergyVggL(benchmark::State& state) {
  const auto w = vgg_l("mix:0.3");
  const auto& t = cost_models::builtin_energy_table("40nm-aladdin");
  for (auto _ : state) benchmark::DoNotOptimize(sim::asic_energy(w, t).compute_pj);
}
BENCHMARK(BM_AsicEnergyVggL);

}  // namespace

BENCHMARK_MAIN();
