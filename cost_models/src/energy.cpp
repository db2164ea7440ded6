#include "flight/cost_models/energy.hpp"

#include "flight/core/embedded.hpp"
#include "flight/core/error.hpp"

namespace flight::cost_models {
const EmbeddedFile& embedded_table(const std::string& name);

namespace {
const std::vector<std::pair<std::string, std::string>>& table_files() {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"40nm-aladdin", "energy_40nm_aladdin.csv"}, {"45nm-horowitz", "energy_45nm_horowitz.csv"}};
  return files;
}
}  // namespace

double EnergyTable::energy_pj(const std::string& action, double width, double width2) const {
  auto it = actions.find(action);
  if (it == actions.end()) {
    throw InputError("energy table " + name + ": no energy for action '" + action +
                     "' (choose a table that has it: --energy-table)");
  }
  const auto& e = it->second;
  switch (e.scaling) {
    case Scaling::linear: return e.energy_pj * width / e.ref_width;
    case Scaling::product: return e.energy_pj * (width * width2) / (e.ref_width * e.ref_width2);
    case Scaling::shifter: return e.energy_pj * (width * width2) / (e.ref_width * e.ref_width2);
    case Scaling::per_access: return e.energy_pj;
  }
  return e.energy_pj;
}

EnergyTable parse_energy_table(const CsvTable& t, const std::string& name) {
  EnergyTable out;
  out.name = name;
  out.notes = t.comments;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    EnergyEntry e;
    e.ref_width = t.number(r, "ref_width");
    e.ref_width2 = t.number(r, "ref_width2");
    e.energy_pj = t.number(r, "energy_pj");
    e.source = t.cell(r, "source");
    const std::string s = t.cell(r, "scaling");
    const std::string where = t.origin + ":" + std::to_string(t.lines[r]);
    if (s == "linear") e.scaling = Scaling::linear;
    else if (s == "product") e.scaling = Scaling::product;
    else if (s == "shifter") e.scaling = Scaling::shifter;
    else if (s == "per_access") e.scaling = Scaling::per_access;
    else throw InputError(describe_input_problem(where, "column 'scaling'", "linear, product, shifter or per_access", s));
    if (e.energy_pj <= 0 || (e.scaling != Scaling::per_access && e.ref_width <= 0) ||
        ((e.scaling == Scaling::product || e.scaling == Scaling::shifter) && e.ref_width2 <= 0)) {
      throw InputError(describe_input_problem(where, "energy row", "positive energy and reference widths", "zero"));
    }
    out.actions[t.cell(r, "action")] = e;
  }
  return out;
}

const EnergyTable& builtin_energy_table(const std::string& name) {
  static const std::map<std::string, EnergyTable> tables = [] {
    std::map<std::string, EnergyTable> m;
    for (const auto& [n, file] : table_files()) {
      m[n] = parse_energy_table(parse_csv(embedded_table(file).contents, "cost_models/data/" + file), n);
    }
    return m;
  }();
  auto it = tables.find(name);
  if (it == tables.end()) {
    std::string names;
    for (const auto& [n, f] : table_files()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("--energy-table: unknown table '" + name + "' (expected one of " + names + ")");
  }
  return it->second;
}

std::vector<std::string> builtin_energy_table_names() {
  std::vector<std::string> v;
  for (const auto& [n, f] : table_files()) v.push_back(n);
  return v;
}

}  // namespace flight::cost_models
