#include "flight/core/checksum.hpp"
#include "flight/sweeps/network_file.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "flight/core/embedded.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/sweeps/config_table.hpp"

namespace flight::sweeps {
const std::vector<EmbeddedFile>& embedded_networks();  // generated: networks/*.toml

namespace fs = std::filesystem;

NetworkSpec parse_network(const std::string& text, const std::string& file) {
  const auto doc = parse_toml(text, file);
  ConfigTable top(file, "", doc);
  NetworkSpec net;
  net.name = top.string("name");
  net.description = top.string_or("description", "");
  net.default_dataset = top.string_or("default_dataset", "");
  const auto* layers = top.raw("layer");
  if (!layers || !layers->is_array_of_tables() || layers->as_array()->empty()) {
    top.fail("layer", "one or more [[layer]] tables", layers ? ConfigTable::describe(*layers) : "nothing");
  }
  top.finish();
  std::size_t i = 0;
  bool has_compute = false;
  for (const auto& node : *layers->as_array()) {
    ConfigTable t(file, "layer[" + std::to_string(++i) + "]", *node.as_table());
    LayerSpec l;
    const auto type = t.one_of("type", {"conv", "fc", "batchnorm", "relu", "maxpool", "flatten"});
    if (type == "conv") {
      l.type = LayerType::conv;
      l.out = static_cast<std::size_t>(t.positive_int("out"));
      l.kernel = static_cast<std::size_t>(t.positive_int("kernel"));
      l.stride = static_cast<std::size_t>(t.int_or("stride", 1, 1, 64));
      l.pad = static_cast<std::size_t>(t.int_or("pad", 0, 0, 64));
      l.bias = t.bool_or("bias", true);
    } else if (type == "fc") {
      l.type = LayerType::fc;
      const auto* out = t.raw("out");
      if (out && out->is_string() && out->as_string()->get() == "classes") {
        l.out_is_classes = true;
      } else if (out && out->is_integer() && out->as_integer()->get() > 0) {
        l.out = static_cast<std::size_t>(out->as_integer()->get());
      } else {
        t.fail("out", "a positive integer or \"classes\"", out ? ConfigTable::describe(*out) : "nothing");
      }
      l.bias = t.bool_or("bias", true);
    } else if (type == "maxpool") {
      l.type = LayerType::maxpool;
      l.kernel = static_cast<std::size_t>(t.positive_int("kernel"));
      l.stride = static_cast<std::size_t>(t.int_or("stride", static_cast<std::int64_t>(l.kernel), 1, 64));
    } else if (type == "batchnorm") {
      l.type = LayerType::batchnorm;
    } else if (type == "relu") {
      l.type = LayerType::relu;
    } else {
      l.type = LayerType::flatten;
    }
    has_compute = has_compute || l.type == LayerType::conv || l.type == LayerType::fc;
    t.finish();
    net.layers.push_back(l);
  }
  if (!has_compute) {
    throw InputError(describe_input_problem(file, "key 'layer'", "at least one conv or fc layer", "none"));
  }
  return net;
}


NetworkSource find_network(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.ends_with(".toml"));
  if (is_path) return {parse_network(read_text_file(name_or_path, "network file"), name_or_path), name_or_path};
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("FLIGHT_NETWORKS"); env && *env) dirs.emplace_back(env);
  dirs.emplace_back("networks");
  for (const auto& d : dirs) {
    const auto p = d / (name_or_path + ".toml");
    if (fs::is_regular_file(p)) return {parse_network(read_text_file(p.string(), "network file"), p.string()), p.string()};
  }
  for (const auto& f : embedded_networks()) {
    if (f.name == name_or_path + ".toml") {
      const std::string label = "networks/" + std::string(f.name) + " (built in)";
      return {parse_network(std::string(f.contents), label), label};
    }
  }
  std::string names;
  for (const auto& n : builtin_network_names()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("--net: unknown network '" + name_or_path + "' (expected a .toml file or one of " + names + ")");
}

NetworkSpec load_network(const std::string& name_or_path) { return find_network(name_or_path).spec; }

std::string network_fingerprint(const NetworkSpec& net) {
  std::string canon = net.name + "\n";
  for (const auto& l : net.layers) {
    canon += layer_type_name(l.type) + " out=" + (l.out_is_classes ? std::string("classes") : std::to_string(l.out)) +
             " k=" + std::to_string(l.kernel) + " s=" + std::to_string(l.stride) + " p=" + std::to_string(l.pad) +
             " b=" + (l.bias ? "1" : "0") + "\n";
  }
  Fnv1a64 h;
  h.update({reinterpret_cast<const std::uint8_t*>(canon.data()), canon.size()});
  return h.hex();
}

std::vector<std::string> builtin_network_names() {
  std::vector<std::string> names;
  for (const auto& f : embedded_networks()) {
    std::string n(f.name);
    names.push_back(n.substr(0, n.size() - 5));
  }
  return names;
}

}  // namespace flight::sweeps
