#pragma once
// Network files (TOML, networks/*.toml): parsing and lookup by name.
#include <filesystem>
#include <string>
#include <vector>

#include "flight/core/network.hpp"

namespace flight::sweeps {

// Parses a network file's text; `file` names it in errors.
NetworkSpec parse_network(const std::string& text, const std::string& file);

// `name_or_path` is a file path (contains '/' or ends in .toml) or the name of a network: then
// $FLIGHT_NETWORKS/<name>.toml, ./networks/<name>.toml, and the networks compiled into the binary are tried in order.
NetworkSpec load_network(const std::string& name_or_path);

// Names of the networks shipped in the binary.
std::vector<std::string> builtin_network_names();

}  // namespace flight::sweeps
