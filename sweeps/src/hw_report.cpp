#include "flight/sweeps/hw_report.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "flight/core/error.hpp"

namespace flight::sweeps {
namespace {
boost::json::object res_json(const cost_models::Resources& r) {
  return {{"lut", r.lut}, {"ff", r.ff}, {"dsp", r.dsp}, {"bram36", r.bram36}};
}
}  // namespace

boost::json::object device_json(const cost_models::Device& d) {
  return {{"name", d.name}, {"lut", d.lut}, {"ff", d.ff}, {"dsp", d.dsp}, {"bram36", d.bram36},
          {"clock_mhz", d.clock_mhz}, {"ddr_gbytes_per_s", d.ddr_bytes_per_s / 1e9}, {"source", d.source}};
}

namespace {
InputError bad_design_field(const std::string& file, const boost::json::value& found) {
  return InputError(describe_input_problem(file, "field 'design'", "a design object", boost::json::serialize(found)));
}
}  // namespace

sim::FpgaDesign design_from_json(const std::string& text, const std::string& file) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) throw InputError(describe_input_problem(file, "not JSON", "a design object", ec.message()));
  if (!v.is_object()) throw InputError(describe_input_problem(file, "not a design", "a JSON object", boost::json::serialize(v).substr(0, 40)));
  const boost::json::object* o = &v.as_object();
  if (auto* inner = o->if_contains("design")) {
    if (!inner->is_object()) throw bad_design_field(file, *inner);
    o = &inner->as_object();
  }
  sim::FpgaDesign d;
  auto bad = [&](const std::string& key, const std::string& expected, const boost::json::value& found) {
    return InputError(describe_input_problem(file, "field '" + key + "'", expected, boost::json::serialize(found)));
  };
  auto integer = [&](const std::string& key, const boost::json::value& x, int lo) {
    if (!x.is_int64() || x.as_int64() < lo || x.as_int64() > 1 << 20) {
      throw bad(key, "an integer ≥ " + std::to_string(lo), x);
    }
    return int(x.as_int64());
  };
  auto boolean = [&](const std::string& key, const boost::json::value& x) {
    if (!x.is_bool()) throw bad(key, "true or false", x);
    return x.as_bool();
  };
  bool have_mapping = false, have_slot = false, have_p_in = false, have_lanes = false;
  for (const auto& [k, x] : *o) {
    const std::string key(k);
    if (key == "mapping") {
      const std::string m = x.is_string() ? std::string(x.as_string()) : "";
      if (m == "uniform") d.mapping = sim::Mapping::uniform;
      else if (m == "time-multiplexed") d.mapping = sim::Mapping::time_multiplexed;
      else if (m == "heterogeneous") d.mapping = sim::Mapping::heterogeneous;
      else throw bad(key, "uniform, time-multiplexed or heterogeneous", x);
      have_mapping = true;
    } else if (key == "slot") {
      if (!x.is_string()) throw bad(key, "a slot kind (shift_k1, shift_k2, mult_lut, mult_dsp, fp32_mult)", x);
      d.slot = cost_models::parse_block(std::string(x.as_string()), file + ": field 'slot'");
      have_slot = true;
    } else if (key == "p_in") {
      d.p_in = integer(key, x, 1), have_p_in = true;
    } else if (key == "lanes") {
      d.lanes = integer(key, x, 1), have_lanes = true;
    } else if (key == "lanes_k2") {
      d.lanes_k2 = integer(key, x, 0);
    } else if (key == "dsp_lanes") {
      d.dsp_lanes = integer(key, x, 0);
    } else if (key == "requantizers") {
      d.requantizers = integer(key, x, 0);
    } else if (key == "fmap_on_chip") {
      d.fmap_on_chip = boolean(key, x);
    } else if (key == "weights_on_chip") {
      d.weights_on_chip = boolean(key, x);
    } else if (key == "unroll_kernel") {
      d.unroll_kernel = boolean(key, x);
    } else if (key == "row_groups") {
      d.row_groups = integer(key, x, 1);
    } else if (key != "acc_bits" && key != "summary") {
      throw InputError(describe_input_problem(file, "unknown field '" + key + "'",
                                              "mapping, slot, p_in, lanes, lanes_k2, dsp_lanes, fmap_on_chip, "
                                              "weights_on_chip, unroll_kernel, row_groups, requantizers",
                                              key));
    }
  }
  for (auto [have, key] : {std::pair{have_mapping, "mapping"}, {have_slot, "slot"}, {have_p_in, "p_in"},
                           {have_lanes, "lanes"}}) {
    if (!have) throw InputError(describe_input_problem(file, std::string("missing field '") + key + "'", key, "nothing"));
  }
  // DSP multipliers are slot mult_dsp on every lane: an absent dsp_lanes means all of them.
  if (d.slot == cost_models::Block::mult_dsp && !o->contains("dsp_lanes")) d.dsp_lanes = d.lanes;
  if (d.dsp_lanes > d.lanes) throw bad("dsp_lanes", "at most lanes (" + std::to_string(d.lanes) + ")", o->at("dsp_lanes"));
  if (d.lanes_k2 != 0 && d.mapping != sim::Mapping::heterogeneous) {
    throw bad("lanes_k2", "0 (k2 lanes are for the heterogeneous mapping)", o->at("lanes_k2"));
  }
  return d;
}

boost::json::object to_json(const sim::FpgaEvaluation& ev) {
  const auto& d = ev.design;
  boost::json::object design{{"mapping", sim::mapping_name(d.mapping)},
                             {"slot", cost_models::block_name(d.slot)},
                             {"p_in", d.p_in},
                             {"lanes", d.lanes},
                             {"lanes_k2", d.lanes_k2},
                             {"dsp_lanes", d.dsp_lanes},
                             {"fmap_on_chip", d.fmap_on_chip},
                             {"weights_on_chip", d.weights_on_chip},
                             {"unroll_kernel", d.unroll_kernel},
                             {"row_groups", d.row_groups},
                             {"requantizers", d.requantizers},
                             {"acc_bits", ev.acc_bits},
                             {"summary", sim::describe(d)}};
  boost::json::array layers;
  for (const auto& l : ev.layers) {
    layers.push_back({{"name", l.name},
                      {"compute_cycles", l.compute_cycles},
                      {"memory_cycles", l.memory_cycles},
                      {"fill_cycles", l.fill_cycles},
                      {"cycles", l.cycles},
                      {"ddr_bytes", l.ddr_bytes},
                      {"utilization", l.utilization},
                      {"bound", l.memory_bound ? "memory" : "compute"}});
  }
  const auto& b = ev.breakdown;
  return {{"fits", ev.fits},
          {"reason", ev.reason},
          {"design", design},
          {"used", res_json(ev.used)},
          {"percent", {{"lut", ev.lut_pct}, {"ff", ev.ff_pct}, {"dsp", ev.dsp_pct}, {"bram36", ev.bram_pct}}},
          {"breakdown",
           {{"slots", res_json(b.slots)}, {"adder_trees", res_json(b.adder_trees)},
            {"accumulators", res_json(b.accumulators)}, {"requant", res_json(b.requant)},
            {"control", res_json(b.control)}, {"weight_buffer", res_json(b.weight_buffer)},
            {"fmap_buffer", res_json(b.fmap_buffer)}, {"host_interface", res_json(b.host)}}},
          {"clock_mhz", ev.clock_mhz},
          {"cycles_per_image", ev.cycles_per_image},
          {"latency_s", ev.latency_s},
          {"images_per_s", ev.images_per_s},
          {"layers", layers}};
}

boost::json::object to_json(const sim::SearchResult& r) {
  boost::json::object o{{"found", r.found}, {"candidates", r.candidates}, {"feasible", r.feasible}};
  if (r.found) o["best"] = to_json(r.best);
  else o["reason"] = r.reason;
  return o;
}

boost::json::object to_json(const sim::AsicReport& r) {
  boost::json::array layers;
  for (const auto& l : r.layers) {
    layers.push_back({{"name", l.name}, {"macs", l.macs}, {"compute_pj", l.compute_pj}, {"sram_pj", l.sram_pj},
                      {"dram_pj", l.dram_pj}});
  }
  return {{"energy_table", r.table},
          {"macs", r.macs},
          {"compute_energy_j", r.compute_pj * 1e-12},
          {"sram_energy_j", r.sram_pj * 1e-12},
          {"dram_energy_j", r.dram_pj * 1e-12},
          {"total_energy_j", r.total_pj() * 1e-12},
          {"compute_ops_per_j", r.compute_ops_per_joule()},
          {"total_ops_per_j", r.total_ops_per_joule()},
          {"layers", layers}};
}

std::string layer_table(const sim::FpgaEvaluation& ev) {
  std::string out = fmt::format("  {:<7} {:>14} {:>14} {:>14} {:>12} {:>6} {}\n", "layer", "compute cyc", "memory cyc",
                                "cycles", "DDR bytes", "util", "bound");
  for (const auto& l : ev.layers) {
    out += fmt::format("  {:<7} {:14.0f} {:14.0f} {:14.0f} {:12.0f} {:5.1f}% {}\n", l.name, l.compute_cycles,
                       l.memory_cycles, l.cycles, l.ddr_bytes, 100 * l.utilization,
                       l.memory_bound ? "memory" : "compute");
  }
  return out;
}

std::string resource_table(const sim::FpgaEvaluation& ev) {
  std::string out = fmt::format("  {:<14} {:>10} {:>10} {:>7} {:>7}\n", "component", "LUT", "FF", "DSP", "BRAM36");
  const auto& b = ev.breakdown;
  const std::pair<const char*, const cost_models::Resources*> rows[] = {
      {"slots", &b.slots},           {"adder trees", &b.adder_trees},     {"accumulators", &b.accumulators},
      {"requant", &b.requant},       {"control", &b.control},             {"weight buffer", &b.weight_buffer},
      {"fmap buffer", &b.fmap_buffer}, {"host interface", &b.host}, {"total", &ev.used}};
  for (const auto& [name, r] : rows) {
    out += fmt::format("  {:<14} {:10.0f} {:10.0f} {:7.0f} {:7.0f}\n", name, r->lut, r->ff, r->dsp, r->bram36);
  }
  return out;
}

}  // namespace flight::sweeps
