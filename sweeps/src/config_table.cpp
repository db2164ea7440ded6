#include "flight/sweeps/config_table.hpp"

#include <sstream>

#include "flight/core/error.hpp"

namespace flight::sweeps {

ConfigTable::ConfigTable(std::string file, std::string path, const toml::table& table)
    : file_(std::move(file)), path_(std::move(path)), table_(table) {}

std::string ConfigTable::key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

std::string ConfigTable::describe(const toml::node& node) {
  std::ostringstream os;
  if (node.is_string()) {
    os << '"' << node.as_string()->get() << '"';
  } else if (node.is_table()) {
    os << "a table";
  } else if (node.is_array()) {
    os << "an array";
  } else {
    node.visit([&](auto&& v) { os << v; });
  }
  return os.str();
}

void ConfigTable::fail(const std::string& key, const std::string& expected, const std::string& found) const {
  throw InputError(describe_input_problem(file_, "key '" + key_path(key) + "'", expected, found));
}

const toml::node* ConfigTable::raw(const std::string& key) {
  read_.insert(key);
  return table_.get(key);
}

std::string ConfigTable::string(const std::string& key) {
  const auto* n = raw(key);
  if (!n) fail(key, "a string (required)", "nothing");
  if (!n->is_string()) fail(key, "a string", describe(*n));
  return n->as_string()->get();
}

std::string ConfigTable::string_or(const std::string& key, const std::string& fallback) {
  return has(key) ? string(key) : (read_.insert(key), fallback);
}

std::string ConfigTable::one_of(const std::string& key, const std::vector<std::string>& allowed) {
  const auto v = string(key);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(key, "one of " + list, "\"" + v + "\"");
}

std::int64_t ConfigTable::positive_int(const std::string& key) {
  const auto* n = raw(key);
  if (!n) fail(key, "a positive integer (required)", "nothing");
  if (!n->is_integer() || n->as_integer()->get() <= 0) fail(key, "a positive integer", describe(*n));
  return n->as_integer()->get();
}

std::int64_t ConfigTable::int_or(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const auto* n = raw(key);
  if (!n) return fallback;
  if (!n->is_integer() || n->as_integer()->get() < min || n->as_integer()->get() > max) {
    fail(key, "an integer in " + std::to_string(min) + ".." + std::to_string(max), describe(*n));
  }
  return n->as_integer()->get();
}

double ConfigTable::number_or(const std::string& key, double fallback, double min, double max) {
  const auto* n = raw(key);
  if (!n) return fallback;
  double v;
  if (n->is_integer()) {
    v = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    v = n->as_floating_point()->get();
  } else {
    fail(key, "a number", describe(*n));
  }
  if (!(v >= min && v <= max)) {
    std::ostringstream os;
    os << "a number in [" << min << ", " << max << "]";
    fail(key, os.str(), describe(*n));
  }
  return v;
}

bool ConfigTable::bool_or(const std::string& key, bool fallback) {
  const auto* n = raw(key);
  if (!n) return fallback;
  if (!n->is_boolean()) fail(key, "true or false", describe(*n));
  return n->as_boolean()->get();
}

void ConfigTable::finish() const {
  for (const auto& [k, v] : table_) {
    const std::string key(k.str());
    if (!read_.count(key)) {
      throw InputError(describe_input_problem(file_, "unknown key '" + key_path(key) + "'", "", ""));
    }
  }
}

toml::table parse_toml(const std::string& text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
}

}  // namespace flight::sweeps
