#pragma once
// FPGA cost of the engine's building blocks.  Each block's LUT, FF and DSP count is measured by Yosys
// `synth_xilinx` on the Verilog that cost_models/rtl generates, over a grid of its two width parameters
// (`flight calibrate fpga` writes cost_models/data/fpga_block_costs.csv), and interpolated bilinearly between grid
// points.  Why a grid and not a formula: ABC's LUT mapping is irregular (a 4-bit shift_k2 block with E=4 takes more
// LUTs than an 8-bit one), so a two-term linear fit misses held-out widths by up to 38 % while interpolation stays
// within the synthesis noise.  A block outside the grid, or without points, is an InputError — never a cost of 0.
//
// Blocks (A = activation bits, E = exponent bits of a weight term, n = weight bits, w = adder width):
//   shift_k1  one (sign, exponent) term times an A-bit activation: barrel shifter + conditional negate, registered
//   shift_k2  two terms: two shifters, negates and an adder
//   mult_lut  n-bit signed weight × A-bit activation multiplier in LUTs;  mult_dsp  the same in DSP slices
//   adder     w-bit signed adder with registered output (adder-tree node, accumulator)
//   requant   the engine's requantizer: w-bit accumulator × 24-bit per-channel multiplier + 48-bit offset (bias,
//             batch norm and rounding folded, sim::Requant), shift by the layer's fraction, ReLU and saturation to
//             A bits; two registered stages.  In LUTs (`-nodsp`);  requant_dsp  the same with DSP slices allowed
//   fp32_mult, fp32_add  single-precision multiply and add (the fp32 reference slot, its adder tree and
//             accumulator), simplified: no denormals (flushed to 0), no NaN/Inf, truncation instead of rounding
#include <array>
#include <map>
#include <string>
#include <vector>

#include "flight/cost_models/csv.hpp"

namespace flight::cost_models {

// The widths of the engine's batch-norm requantizer (sim/bitexact.hpp folds its constants to them; rtl/ generates it).
inline constexpr int kRequantMultBits = 24;
inline constexpr int kRequantOffsetBits = 48;
// Width of the requantizer's v = acc·m + o for a w-bit accumulator.
inline constexpr int requant_value_width(int acc_bits) {
  return (acc_bits + kRequantMultBits > kRequantOffsetBits ? acc_bits + kRequantMultBits : kRequantOffsetBits) + 1;
}

enum class Block { shift_k1, shift_k2, mult_lut, mult_dsp, adder, requant, requant_dsp, fp32_mult, fp32_add };
constexpr std::array<Block, 9> kAllBlocks = {Block::shift_k1,    Block::shift_k2,  Block::mult_lut,
                                             Block::mult_dsp,    Block::adder,     Block::requant,
                                             Block::requant_dsp, Block::fp32_mult, Block::fp32_add};
std::string block_name(Block b);
Block parse_block(const std::string& name, const std::string& where);

struct BlockParams {
  int a_bits = 8;
  int e_bits = 3;
  int n_bits = 4;
  int width = 0;  // adder, requant (the accumulator's width)
};

struct Resources {
  double lut = 0, ff = 0, dsp = 0, bram36 = 0;
  Resources& operator+=(const Resources& o) {
    lut += o.lut, ff += o.ff, dsp += o.dsp, bram36 += o.bram36;
    return *this;
  }
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator*(double k, Resources a) {
    a.lut *= k, a.ff *= k, a.dsp *= k, a.bram36 *= k;
    return a;
  }
};

// The two grid axes of a block (e.g. A and E for shift blocks); the second is 0 for one-axis blocks (adder).
struct Axes {
  std::array<int, 2> values;
  std::array<const char*, 2> names;
};
Axes block_axes(Block b, const BlockParams& p);
// Width in bits of the block's registered output.
int block_output_width(Block b, const BlockParams& p);
// Widths of a shift term's output before the sign: W = A + 2^E − 2 (codes 1..2^E−1 shift by 0..2^E−2).
int shift_magnitude_width(int a_bits, int e_bits);

struct BlockPoint {
  Block block;
  std::array<int, 2> axes;  // values of block_axes(block).names
  Resources measured;       // lut, ff, dsp as synthesized
};

struct FixedCost {
  double value = 0;
  std::string unit, source;
};

struct FpgaCostTable {
  std::vector<BlockPoint> points;
  std::map<std::string, FixedCost> fixed;  // bram36_bits, bram36_max_width, control_lut, ...
  std::vector<std::string> provenance;     // the block table's comment lines (Yosys version, command, date)

  double fixed_value(const std::string& name) const;  // InputError when absent
};

FpgaCostTable parse_fpga_costs(const CsvTable& blocks, const CsvTable& fixed);
const FpgaCostTable& builtin_fpga_costs();

// Contract: pure; throws InputError when the block is uncalibrated or p lies outside the calibrated range.
Resources block_cost(const FpgaCostTable& table, Block b, const BlockParams& p);

}  // namespace flight::cost_models
