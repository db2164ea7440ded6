#include "flight/cost_models/csv.hpp"

#include <cstdlib>

#include "flight/core/error.hpp"

namespace flight::cost_models {
namespace {

std::vector<std::string> split_row(std::string_view line) {
  std::vector<std::string> cells;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  cells.push_back(cur);
  return cells;
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& origin) {
  CsvTable t;
  t.origin = origin;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (line.front() == '#') {
      t.comments.emplace_back(line.substr(1));
      continue;
    }
    auto cells = split_row(line);
    if (t.header.empty()) {
      t.header = std::move(cells);
      continue;
    }
    if (cells.size() != t.header.size()) {
      throw InputError(describe_input_problem(origin + ":" + std::to_string(line_no), "wrong number of cells",
                                              std::to_string(t.header.size()), std::to_string(cells.size())));
    }
    t.rows.push_back(std::move(cells));
    t.lines.push_back(line_no);
  }
  if (t.header.empty()) throw InputError(origin + ": empty table (expected a header row)");
  return t;
}

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw InputError(describe_input_problem(origin, "missing column '" + name + "'", "a header naming it",
                                          std::to_string(header.size()) + " other columns"));
}

const std::string& CsvTable::cell(std::size_t row, const std::string& name) const { return rows[row][column(name)]; }

double CsvTable::number(std::size_t row, const std::string& name) const {
  const std::string& s = cell(row, name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    throw InputError(describe_input_problem(origin + ":" + std::to_string(lines[row]), "column '" + name + "'",
                                            "a number", "'" + s + "'"));
  }
  return v;
}

}  // namespace flight::cost_models
