#include <gtest/gtest.h>

#include <cmath>

#include "flight/core/error.hpp"
#include "flight/cost_models/calibrate.hpp"
#include "flight/cost_models/csv.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/cost_models/fpga_costs.hpp"
#include "flight/cost_models/rtl.hpp"

namespace flight::cost_models {
namespace {

TEST(Csv, QuotedCellsCommentsAndBlankLines) {
  const auto t = parse_csv("# note\nname,source\n\nzynq,\"DS190, table 3\"\n", "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.comments[0], " note");
  EXPECT_EQ(t.cell(0, "source"), "DS190, table 3");
  EXPECT_EQ(t.lines[0], 4);
}

TEST(Csv, ErrorsNameLineAndColumn) {
  try {
    parse_csv("a,b\n1,2,3\n", "t.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:2: wrong number of cells (expected 2, found 3)"), std::string::npos)
        << e.what();
  }
  const auto t = parse_csv("a,b\n1,x\n", "t.csv");
  try {
    t.number(0, "b");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:2: column 'b' (expected a number, found 'x')"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(t.column("c"), InputError);
}

TEST(Devices, CatalogHoldsTheDataSheetFigures) {
  const auto& z = find_device("zynq-7045");
  EXPECT_EQ(z.lut, 218600);
  EXPECT_EQ(z.ff, 437200);
  EXPECT_EQ(z.dsp, 900);
  EXPECT_EQ(z.bram36, 545);
  EXPECT_EQ(&find_device("ZC706"), &z);  // alias, case-insensitive
  EXPECT_EQ(find_device("zynq-7020").lut, 53200);
  EXPECT_EQ(find_device("virtex7-690t").dsp, 3600);
  EXPECT_EQ(find_device("zu9eg").bram36, 912);
  for (const auto& d : builtin_devices()) EXPECT_FALSE(d.source.empty()) << d.name;
  try {
    find_device("stratix");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("zynq-7020"), std::string::npos);
  }
}

TEST(FpgaCosts, OutputWidthsByHand) {
  // shift term: codes 1..7 shift an 8-bit activation by 0..6 → 14-bit magnitude, + sign.
  EXPECT_EQ(shift_magnitude_width(8, 3), 14);
  EXPECT_EQ(block_output_width(Block::shift_k1, {8, 3, 0, 0}), 15);
  EXPECT_EQ(block_output_width(Block::shift_k2, {8, 3, 0, 0}), 16);
  EXPECT_EQ(block_output_width(Block::mult_lut, {8, 0, 4, 0}), 12);
  EXPECT_EQ(block_output_width(Block::adder, {0, 0, 0, 20}), 21);
}

FpgaCostTable tiny_table() {
  const auto blocks = parse_csv(
      "block,axis1,value1,axis2,value2,lut,ff,dsp\n"
      "shift_k1,A,4,E,2,10,5,0\nshift_k1,A,8,E,2,30,9,0\nshift_k1,A,4,E,3,20,7,0\nshift_k1,A,8,E,3,60,11,0\n",
      "tiny.csv");
  return parse_fpga_costs(blocks, parse_csv("name,value,unit,source\n", "fixed.csv"));
}

TEST(FpgaCosts, GridPointsAndBilinearInterpolationByHand) {
  const auto t = tiny_table();
  EXPECT_DOUBLE_EQ(block_cost(t, Block::shift_k1, {8, 3, 0, 0}).lut, 60);
  // A = 6 is halfway between 4 and 8: (10 + 30) / 2 at E = 2.
  EXPECT_DOUBLE_EQ(block_cost(t, Block::shift_k1, {6, 2, 0, 0}).lut, 20);
  EXPECT_DOUBLE_EQ(block_cost(t, Block::shift_k1, {6, 2, 0, 0}).ff, 7);
  // A = 5 (a quarter of the way) at E = 3: 20 + 0.25 · 40.
  EXPECT_DOUBLE_EQ(block_cost(t, Block::shift_k1, {5, 3, 0, 0}).lut, 30);
}

TEST(FpgaCosts, UnknownOrOutOfGridCostIsAnErrorNeverZero) {
  const auto t = tiny_table();
  EXPECT_THROW(block_cost(t, Block::shift_k1, {12, 2, 0, 0}), InputError);  // beyond A = 8
  EXPECT_THROW(block_cost(t, Block::shift_k1, {6, 4, 0, 0}), InputError);   // E = 4 not calibrated
  try {
    block_cost(t, Block::mult_lut, {8, 0, 4, 0});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mult_lut has no calibrated cost"), std::string::npos) << e.what();
  }
}

TEST(FpgaCosts, ShippedTableCoversTheDefaultsAndHasProvenance) {
  const auto& t = builtin_fpga_costs();
  bool has_tool = false;
  for (const auto& line : t.provenance) has_tool = has_tool || line.find("Yosys") != std::string::npos;
  EXPECT_TRUE(has_tool) << "the shipped table must name the Yosys version it came from";
  for (auto b : {Block::shift_k1, Block::shift_k2, Block::mult_lut, Block::mult_dsp}) {
    const auto r = block_cost(t, b, {8, 3, 4, 0});
    EXPECT_GT(r.lut + r.dsp, 0) << block_name(b);
  }
  EXPECT_GE(block_cost(t, Block::mult_dsp, {8, 0, 4, 0}).dsp, 1);
}

TEST(FpgaCosts, FourBitLutMultiplierCostsMoreThanAShiftK1Slot) {
  // From A = 6 up.  At A = 4 synthesis says otherwise (4x4 multiplier 24 LUTs, shift_k1 with E = 3 — seven shift
  // positions, a 10-bit result — 33 LUTs): a measured fact the table keeps rather than a property to force.
  const auto& t = builtin_fpga_costs();
  for (int a : {6, 8, 12, 16}) {
    EXPECT_GT(block_cost(t, Block::mult_lut, {a, 3, 4, 0}).lut, block_cost(t, Block::shift_k1, {a, 3, 4, 0}).lut)
        << "A=" << a;
  }
}

TEST(Energy, ScalingByHand) {
  const auto& t = builtin_energy_table("40nm-aladdin");
  EXPECT_NEAR(t.energy_pj("int_add", 16), 0.21 * 16 / 32, 1e-12);
  EXPECT_NEAR(t.energy_pj("int_mult", 4, 8), 12.7 * 32 / 1024, 1e-12);
  EXPECT_NEAR(t.energy_pj("shift", 14, 3), 0.417 * 42 / 160, 1e-12);
  EXPECT_NEAR(t.energy_pj("dram"), 1300, 1e-12);
  const auto& h = builtin_energy_table("45nm-horowitz");
  EXPECT_THROW(h.energy_pj("shift", 14, 3), InputError);  // no shifter figure in that source
  EXPECT_THROW(builtin_energy_table("7nm"), InputError);
  for (const auto& name : builtin_energy_table_names())
    for (const auto& [action, e] : builtin_energy_table(name).actions) EXPECT_FALSE(e.source.empty()) << action;
}

TEST(Rtl, BlockAndLaneVerilogHaveTheRightPortsAndInstances) {
  const auto v = block_verilog(Block::shift_k1, {8, 3, 0, 0}, "s1");
  EXPECT_NE(v.find("module s1"), std::string::npos);
  EXPECT_NE(v.find("output reg signed [14:0] y"), std::string::npos) << v;
  const auto lane = lane_verilog(Block::shift_k2, {8, 3, 0, 0}, 4, 24, "lane");
  EXPECT_NE(lane.find("module lane_slot"), std::string::npos);
  EXPECT_NE(lane.find("lane_slot u3"), std::string::npos);
  EXPECT_EQ(lane.find("lane_slot u4"), std::string::npos);
  EXPECT_NE(lane.find("output reg signed [23:0] acc"), std::string::npos);
}

TEST(Calibrate, ParsesAYosysStatReport) {
  const std::string stat =
      "=== slot ===\n   Number of cells:                 99\n     CARRY4                          5\n"
      "     FDRE                           17\n     INV                             2\n     LUT2                            6\n"
      "     LUT6                            8\n     MUXF7                           2\n     DSP48E1                         1\n";
  const auto s = parse_yosys_stat(stat);
  EXPECT_EQ(s.lut, 16);
  EXPECT_EQ(s.ff, 17);
  EXPECT_EQ(s.dsp, 1);
  EXPECT_EQ(s.carry, 5);
  EXPECT_THROW(parse_yosys_stat("ERROR: no such module"), RunError);
}

}  // namespace
}  // namespace flight::cost_models
