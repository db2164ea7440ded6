#pragma once
// Running the generated engine: Verilator (lint, build, simulate a stream of images) and Yosys (whole-design
// synth_xilinx).  The external tools are Debian packages installed by scripts/install-deps (verilator, yosys, g++,
// make); a missing tool is a RunError naming it.
//
// Contract: files are written only inside the folder passed in; nothing is printed.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flight/rtl/engine.hpp"

namespace flight::rtl {

struct Tools {
  std::string verilator = "verilator";
  std::string yosys = "yosys";
  int jobs = 2;  // parallel C++ compiles of the Verilator model
};

// engine.v, weights.hex, requant.hex, tb.cpp, synth.ys into `dir` (created if missing).
void write_engine(const GeneratedEngine& g, const std::string& dir);

// "Verilator 5.006 2023-01-22 ..."; RunError when it cannot be run.
std::string verilator_version(const std::string& verilator);

// verilator --lint-only -Wall on dir/engine.v: the warnings ("" when clean).
std::string lint(const std::string& dir, const Tools& t);

struct SimulatedImage {
  std::vector<std::int64_t> outputs;  // the classifier's raw values (sim::IntResult::raw_logits), by class
  std::vector<long> layer_cycles;     // per engine layer, from its first cycle to the next layer's (flush included)
  long cycles = 0;                    // start to done
};
struct Simulation {
  std::vector<SimulatedImage> images;
  double build_seconds = 0, run_seconds = 0;
};
// Builds the Verilator model in dir/obj_dir and streams `n` images (C·H·W bytes each, (C, H, W) order) through it.
Simulation simulate(const std::string& dir, const std::vector<std::uint8_t>& images, long n, int classes,
                    int layers, const Tools& t);

struct Synthesis {
  double lut = 0, ff = 0, dsp = 0, bram36 = 0;  // lut includes LUT-RAM cells in LUTs
  double lutram = 0;                           // of which LUT-RAM and shift-register LUTs
  double seconds = 0;
  // Per module of the hierarchy: its own cells (not its sub-modules') × its instances in the whole design, e.g.
  // "flight_slot" = all slots, "flight_lane" = all adder trees and accumulators, "flight_engine" = control and
  // buffers.
  struct Part {
    std::string module;
    long instances = 0;
    double lut = 0, ff = 0, dsp = 0, bram36 = 0;
    double lutram = 0;  // of lut: LUT-RAM and shift-register LUTs
  };
  std::vector<Part> parts;
};
// yosys -s synth.ys in dir; reads dir/stat.txt.
Synthesis synthesize(const std::string& dir, const Tools& t);

// The whole check of `flight verify`: generate the engine for `eval.design`, simulate n images under Verilator,
// compare every classifier output with sim's bit-accurate inference and every layer's cycles with the cycle model,
// and (when `synth`) synthesize it with Yosys against the resource model.
struct LayerCheck {
  std::string name;
  double model_cycles = 0;     // sim's cycle model: compute + fill
  double model_compute = 0;
  long measured_cycles = 0;    // Verilator: the layer's cycles, flush included
  long issue_cycles = 0;       // of which the engine issues work
};
struct Validation {
  GeneratedEngine engine;
  std::string design, verilator, lint;  // lint: warnings of verilator --lint-only -Wall ("" when clean)
  long images = 0, mismatches = 0;      // images whose classifier outputs differ from sim's in any bit
  long first_mismatch = -1;
  long predictions_equal = 0;
  std::vector<LayerCheck> layers;
  double model_cycles = 0, measured_cycles = 0;  // per image
  bool synthesized = false;
  cost_models::Resources model_resources;  // the engine the RTL builds: the model's total without the host interface
  sim::ResourceBreakdown model_breakdown;
  Synthesis measured_resources;
  Simulation simulation;
};
// `progress` (optional) hears each stage as it starts ("building with Verilator", …).
Validation validate(const sim::IntInference& net, const sim::FpgaEvaluation& eval, const EngineOptions& opt,
                    const std::vector<std::uint8_t>& images, long n, const std::string& dir, bool synth,
                    const Tools& t, const std::function<void(const std::string&)>& progress = {});

}  // namespace flight::rtl
