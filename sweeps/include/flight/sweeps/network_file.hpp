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

// The same, with the file it came from ("networks/vgg-s.toml", or "networks/vgg-s.toml (built in)").
struct NetworkSource {
  NetworkSpec spec;
  std::string file;
};
NetworkSource find_network(const std::string& name_or_path);

// 16 hex digits: FNV-1a of the network's content (name and every layer's type and parameters; not its comments or
// formatting).  Experiment keys include it, so an edited network file never shares a key with the old one.
std::string network_fingerprint(const NetworkSpec& net);

// Names of the networks shipped in the binary.
std::vector<std::string> builtin_network_names();

}  // namespace flight::sweeps
