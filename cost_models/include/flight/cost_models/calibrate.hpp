#pragma once
// Synthesis-based calibration of the FPGA block costs: generate Verilog (rtl.hpp), run Yosys `synth_xilinx`, read
// its `stat` report, fit the linear cost formulas of fpga_costs.hpp, and write the table with its provenance.
#include <functional>
#include <string>
#include <vector>

#include "flight/cost_models/fpga_costs.hpp"

namespace flight::cost_models {

struct SynthStats {
  double lut = 0;    // LUT1..LUT6 (+ INV, a LUT1 on the device)
  double ff = 0;     // FDRE/FDSE/FDCE/FDPE
  double dsp = 0;    // DSP48E1/DSP48E2
  double carry = 0;  // CARRY4/CARRY8 (free with the LUTs; reported only)
};
// Reads the cell counts of a Yosys `stat` report.  Throws RunError when the text is no stat report.
SynthStats parse_yosys_stat(const std::string& text);

// Running the external tools (Yosys here, Verilator in rtl/): a word quoted for /bin/sh, and a shell command's
// standard output (status: pclose's, −1 when it could not start).
std::string shell_quote(const std::string& word);
std::string run_command(const std::string& cmd, int& status);

struct SynthOptions {
  std::string yosys = "yosys";
  std::string family = "xc7";
  std::string workdir;  // scratch folder; created if missing
};
// "Yosys 0.23 (git sha1 ...)"; RunError naming the command when Yosys cannot be run.
std::string yosys_version(const std::string& yosys);
// Yosys may map a block to DSP slices only where the model costs it so (mult_dsp, fp32_mult); others get -nodsp.
bool synth_allows_dsp(Block b);
std::string synth_command(Block b, const SynthOptions& o, const std::string& top);
// Synthesizes one module and returns its cell counts.  Thread-safe for distinct `tag`s.
SynthStats synthesize(const std::string& verilog, const std::string& top, bool allow_dsp, const SynthOptions& o,
                      const std::string& tag);

struct CalibrationPoint {
  Block block;
  BlockParams params;
  bool held_out = false;  // not used for the fit
  SynthStats measured;
  Resources predicted;    // from the fitted table
};

struct CalibrationGrid {
  std::vector<std::pair<Block, BlockParams>> fit, held_out;
};
// Grid of the shipped table: A 4,6,8,12,16 × E 2..4 (shift), × n 2..8 (LUT multipliers), DSP multipliers
// A 8..16 × n 4..8, adders 8..48 bits, requant w 16..48 × A 4,8; held-out points at widths in between.
CalibrationGrid default_grid();

struct CalibrationResult {
  std::string csv;  // fpga_block_costs.csv text, provenance in its comment lines
  FpgaCostTable table;
  std::vector<CalibrationPoint> points;
};

// Runs every synthesis of the grid (in parallel, oneTBB, at most `threads`), fits and evaluates.
// progress(done, total) is called from worker threads.
CalibrationResult calibrate(const CalibrationGrid& grid, const SynthOptions& o, int threads,
                            const std::function<void(int, int)>& progress);

}  // namespace flight::cost_models
