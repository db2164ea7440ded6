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

// Per-layer table of one evaluated design.
std::string layer_table(const sim::FpgaEvaluation& ev);
// Resource breakdown of one design (LUT, FF, DSP, BRAM36 by component).
std::string resource_table(const sim::FpgaEvaluation& ev);

}  // namespace flight::sweeps
