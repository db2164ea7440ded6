#pragma once
// Hardware results for people (text tables) and programs (JSON).
#include <boost/json/object.hpp>
#include <string>

#include "flight/sim/asic.hpp"
#include "flight/sim/fpga.hpp"

namespace flight::sweeps {

boost::json::object to_json(const sim::FpgaEvaluation& ev);
boost::json::object to_json(const sim::SearchResult& r);
boost::json::object to_json(const sim::AsicReport& r);
boost::json::object device_json(const cost_models::Device& d);

// A design from a JSON file (`flight rtl --design FILE`): the `design` object that to_json(FpgaEvaluation) writes —
// or any object holding one under "design", such as `flight sim --json`'s fpga.best — with keys mapping, slot, p_in,
// lanes and optionally lanes_k2, dsp_lanes, fmap_on_chip, weights_on_chip, unroll_kernel, row_groups, requantizers (0
// or absent: the model picks; the others default as FpgaDesign does: feature maps on chip, weights in DDR, no
// unrolling, one row group);
// acc_bits and summary are read back as derived and ignored.  Any other key, a wrong type or value is
// an InputError naming the file and the field.
sim::FpgaDesign design_from_json(const std::string& text, const std::string& file);

// Per-layer table of one evaluated design.
std::string layer_table(const sim::FpgaEvaluation& ev);
// Resource breakdown of one design (LUT, FF, DSP, BRAM36 by component).
std::string resource_table(const sim::FpgaEvaluation& ev);

}  // namespace flight::sweeps
