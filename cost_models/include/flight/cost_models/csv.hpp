#pragma once
// The small CSV dialect of the cost tables: '#' comment lines, a header row, comma-separated cells, "quoted" cells
// may hold commas.  Errors name the table, the line and the column.
#include <string>
#include <string_view>
#include <vector>

namespace flight::cost_models {

struct CsvTable {
  std::string origin;                       // file name for messages
  std::vector<std::string> comments;        // comment lines without the leading '#'
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;                   // source line of each row

  std::size_t column(const std::string& name) const;  // throws InputError when absent
  const std::string& cell(std::size_t row, const std::string& name) const;
  double number(std::size_t row, const std::string& name) const;  // throws InputError naming line and column
};

CsvTable parse_csv(std::string_view text, const std::string& origin);

}  // namespace flight::cost_models
