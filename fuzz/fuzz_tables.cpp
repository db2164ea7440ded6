// The cost and device CSV tables (cost_models: csv.cpp, devices.cpp, energy.cpp, fpga_costs.cpp).  The input is one
// table's text; it is tried as each kind of table (a device catalog, an energy table, FPGA block costs).
#include <string>

#include "flight/cost_models/csv.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/cost_models/fpga_costs.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cm = flight::cost_models;
  const std::string text(reinterpret_cast<const char*>(data), size);
  flight::fuzz::expect_accept_or_input_error([&] {
    const auto t = cm::parse_csv(text, "fuzz.csv");
    flight::fuzz::expect_accept_or_input_error([&] { (void)cm::parse_devices(t); });
    flight::fuzz::expect_accept_or_input_error([&] { (void)cm::parse_energy_table(t, "fuzz"); });
    flight::fuzz::expect_accept_or_input_error([&] {
      const auto costs = cm::parse_fpga_costs(t, cm::parse_csv("name,value,unit,source\n", "fixed.csv"));
      (void)cm::block_cost(costs, cm::Block::shift_k2, {8, 3, 4, 0});
      (void)cm::block_cost(costs, cm::Block::adder, {0, 0, 0, 20});
    });
  });
  return 0;
}
