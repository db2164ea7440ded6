// Design files (`flight rtl --design FILE`, sweeps::design_from_json), then the model evaluating what was read —
// a design that parses must evaluate to a value (fits or a reason), never crash.
#include <string>

#include "flight/cost_models/devices.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sim/workload_builder.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/workload_builder.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto workload =
      flight::sim::build_workload(flight::sweeps::load_network("lenet-s"), {1, 28, 28}, 10,
                                  flight::sweeps::parse_k_profile("mix:0.5"), {});
  static const flight::sim::FpgaModel model(workload, flight::cost_models::find_device("zynq-7020"),
                                            flight::cost_models::builtin_fpga_costs(), {});
  const std::string text(reinterpret_cast<const char*>(data), size);
  flight::fuzz::expect_accept_or_input_error([&] {
    auto d = flight::sweeps::design_from_json(text, "fuzz.json");
    if (d.p_in > 256 || d.lanes > 4096 || d.lanes_k2 > 4096) return;  // the model's cost, not a finding
    (void)model.evaluate(d);
  });
  return 0;
}
