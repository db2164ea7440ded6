#pragma once
// Hardware results of a trained model as a library call, shared by `flight sim` and the sweep runner: the best FPGA
// design on a device, ASIC energy, and bit-accurate integer inference against the trainer's fake-quantized forward.
#include <boost/json/object.hpp>
#include <string>

#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/sweeps/model_file.hpp"

namespace flight::sweeps {

// The defaults here are those of every command and grid (one place: `flight sim` and grid files start from them).
struct HardwareRequest {
  std::string device = cost_models::kDefaultDevice;
  double lut_cap = sim::FpgaLimits{}.lut_cap;
  std::string energy_table = cost_models::kDefaultEnergyTable;
  bool fpga = true, asic = true, inference = true;
  std::size_t max_test = 0;  // inference on the first N test images (0: all)
  int acc_bits = 0;          // accumulator width of the integer inference (0: unbounded)
  // Also search every catalog device under two multiplier policies, "dsp" (DSP slices allowed, as above) and
  // "lut-only" (no DSP for any method), into json["sensitivity"]: what the report's sensitivity table reads.
  bool sensitivity = false;
};

struct HardwareResult {
  boost::json::object json;  // keys fpga, device, asic, inference as requested (what `flight sim --json` prints)
  std::string text;          // the same for people
};

// `data` is needed only for inference of a quantized model.  An fp32 model gets {"error": …} under "inference"; a
// table lacking an action a format needs gets {"error": …} under "asic" unless `asic_required`.
HardwareResult hardware_results(trainer::Model& model, const ModelMeta& meta, const HardwareRequest& r,
                                const data::Dataset* data, bool asic_required = false);

}  // namespace flight::sweeps
