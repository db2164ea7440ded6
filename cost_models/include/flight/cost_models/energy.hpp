#pragma once
// ASIC energy per action by technology node (cost_models/data/energy_*.csv, compiled in), scaled by bit width.
#include <map>
#include <string>
#include <vector>

#include "flight/cost_models/csv.hpp"

namespace flight::cost_models {

enum class Scaling { linear, product, shifter, per_access };

struct EnergyEntry {
  double ref_width = 0, ref_width2 = 0;  // shifter: width and log2(positions) of the reference unit
  double energy_pj = 0;
  Scaling scaling = Scaling::per_access;
  std::string source;
};

struct EnergyTable {
  std::string name;  // "40nm-aladdin", "45nm-horowitz"
  std::map<std::string, EnergyEntry> actions;
  std::vector<std::string> notes;  // the file's comment lines

  // Energy in pJ of one action at the given widths.  Contract: InputError when the table has no such action —
  // a cost the model does not know is never 0.
  //   linear: width;  product: width × width2 (multiplier operands);  shifter: width × log2(positions) in width2;
  //   per_access: widths ignored.
  double energy_pj(const std::string& action, double width = 0, double width2 = 0) const;
  bool has(const std::string& action) const { return actions.count(action) != 0; }
};

EnergyTable parse_energy_table(const CsvTable& t, const std::string& name);
const EnergyTable& builtin_energy_table(const std::string& name);  // InputError listing the names
// The table every command and grid uses unless told otherwise (it prices shifters; 45nm-horowitz does not).
inline constexpr const char* kDefaultEnergyTable = "40nm-aladdin";
std::vector<std::string> builtin_energy_table_names();

}  // namespace flight::cost_models
