#pragma once
// The layer-sequential engine of DESIGN.md §5 as synthesizable Verilog-2005, for one trained network and one design.
//
// What is generated (docs/rtl.md has the block diagram and the schedule):
//   - `flight_engine`: `lanes` lanes of p_in slots (the design's slot kind, from cost_models' block generator),
//     a registered adder tree and an acc_bits accumulator per lane (wrapping, as sim's bit-accurate model), the
//     per-channel fixed-point requantizer of sim::Requant, max-pooling fused into the output write, ping-pong
//     feature-map buffers of p_in banks (channel c in bank c mod p_in; unrolled: pixel-major), every layer's weights in one ROM and a
//     control FSM that walks the layers: for each tile of `lanes` filters, each output pixel, each kernel position
//     (ky, kx) and each group of p_in input channels, one cycle (unrolled: each kernel row, or pass of G rows, and
//     each step of p_in / G of the row's values).  An fc layer runs as a convolution whose kernel
//     covers its whole input map.
//   - memory images for $readmemh (weights.hex, requant.hex), a Verilator C++ testbench (tb.cpp) that streams
//     images through the engine and prints outputs and cycle stamps, and a Yosys script (synth.ys).
// Covered: on-chip weights and feature maps, the uniform mapping (shift-k1, shift-k2, mult-lut / mult-dsp slots) and
// the time-multiplexed one (shift-k1 slots; a k = 2 filter's lane runs the pixel twice, its first terms then its
// second, into one accumulator; each layer's filters are reordered k = 2 first and the next layer reads them in
// that order), kernel positions in sequence and the unrolled C_in·K² window (pixel-major maps, a kernel row read
// p_in values per cycle through a rotator; with row groups every map in G copies and G rows at once).  Not covered
// yet (generate() refuses them with the reason): the heterogeneous mapping, DDR streaming.
//
// Contract: plain structs in, text out; no files are written here, nothing is printed.
#include <cstdint>
#include <string>
#include <vector>

#include "flight/sim/bitexact.hpp"
#include "flight/sim/fpga.hpp"

namespace flight::rtl {

struct EngineOptions {
  int e_bits = 3;    // exponent-code bits of power-of-two weights (code 0 = zero term, c ≥ 1 = shift c − 1)
  int n_bits = 4;    // fixed-point weight bits (mult slots)
  int acc_bits = 0;  // accumulator width; 0: the widest the network needs (from sim statistics, see verify.hpp)
};

// One compute layer of the engine (a conv or fc of the IntNetwork, with the max-pool that follows it fused).
struct EngineLayer {
  std::string name;
  int net_index = 0;              // index in sim::IntNetwork::layers
  int c_in = 0, h_in = 0, w_in = 0;
  int c_out = 0, h_out = 0, w_out = 0;
  int kh = 1, kw = 1, stride = 1, pad = 0;
  int pool = 1;                   // fused max-pool kernel = stride (1: none)
  int h_store = 0, w_store = 0;   // stored output map (after pooling)
  int channel_groups = 0;         // ⌈c_in / p_in⌉
  int row_steps = 0;              // cycles of one kernel row: kw · groups (unrolled: ⌈kw · c_in / p_in⌉)
  int kernel_steps = 0;           // cycles of one pass over the kernel: kh · row_steps
  int tiles = 0;                  // ⌈c_out / lanes⌉ (time-multiplexed: two_pass_tiles + ⌈k = 1 filters left / lanes⌉)
  int two_pass_tiles = 0;         // time-multiplexed: the first ⌈n2 / lanes⌉ tiles, whose pixels take two passes
  int pixel_cycles = 0;           // cycles per output pixel: max(kernel_steps, drain cycles)
  int pixel_cycles_two_pass = 0;  // ... of a two-pass tile: max(2·kernel_steps, drain cycles)
  long issue_cycles = 0;          // h_out · w_out · (one-pass tiles · pixel_cycles + two-pass tiles · the other)
  std::vector<int> order;         // the filter (output channel) each physical channel holds: k = 2 first under the
                                  // time-multiplexed mapping, else in order
  long weight_base = 0, weight_words = 0;
  int requant_base = 0;
  bool classifier = false;
};

struct GeneratedEngine {
  std::string verilog;       // engine.v: the engine and its sub-modules
  std::string weights_hex;   // weights.hex: one ROM word per line
  std::string requant_hex;   // requant.hex
  std::string testbench;     // tb.cpp (Verilator)
  std::string yosys_script;  // synth.ys (reads engine.v, synth_xilinx, stat)
  std::vector<EngineLayer> layers;
  int acc_bits = 0, tree_depth = 0, fmap_depth = 0;
  int requantizers = 0;      // R (sim::requantizers): a pixel's lanes drain R per cycle
  int group_banks = 0;       // unrolled: B > 0 when the input layer reads its kh rows at once, row r from banks
                             // r·B … r·B + B − 1, each group holding a copy of the image (0: rows in sequence)
  long weight_rom_words = 0;
  int weight_rom_width = 0;
  int pipeline_latency = 0;  // cycles from a pixel's last issue to its last buffer write
};

// Why the generator does not cover a design ("" when it does): the mapping, the unrolling, DDR streaming, the slot.
std::string not_covered(const sim::FpgaDesign& design);

// Throws InputError naming the reason when the design or the network is outside what the generator covers.
GeneratedEngine generate_engine(const sim::IntInference& net, const sim::FpgaDesign& design,
                                const EngineOptions& opt);

}  // namespace flight::rtl
