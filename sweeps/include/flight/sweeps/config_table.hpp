#pragma once
// Reading one TOML table into plain structs with errors that name the file, the key, the value and what is allowed.
//
//   ConfigTable t(file, "layer[3]", *node.as_table());
//   auto k = t.positive_int("kernel");          // required
//   auto s = t.positive_int_or("stride", 1);    // optional with default
//   t.finish();                                 // any key not read is an "unknown key" error
#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace flight::sweeps {

class ConfigTable {
 public:
  ConfigTable(std::string file, std::string path, const toml::table& table);

  bool has(const std::string& key) const { return table_.contains(key); }
  const toml::node* raw(const std::string& key);  // marks the key as read

  std::string string(const std::string& key);
  std::string string_or(const std::string& key, const std::string& fallback);
  std::string one_of(const std::string& key, const std::vector<std::string>& allowed);
  std::int64_t positive_int(const std::string& key);
  std::int64_t int_or(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  double number_or(const std::string& key, double fallback, double min, double max);
  bool bool_or(const std::string& key, bool fallback);

  // Throws for every key present but never read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& found) const;
  std::string key_path(const std::string& key) const;
  static std::string describe(const toml::node& node);

 private:
  std::string file_, path_;
  const toml::table& table_;
  std::set<std::string> read_;
};

// Parses TOML text; a syntax error becomes one InputError line "file:line:col: message".
toml::table parse_toml(const std::string& text, const std::string& file);

}  // namespace flight::sweeps
