#include "flight/sim/asic.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sweeps/hw_run.hpp"
#include "flight/sweeps/grid.hpp"

#include "flight/sweeps/budget.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include "flight/core/checksum.hpp"
#include "flight/core/error.hpp"
#include "flight/core/network.hpp"
#include "flight/core/text.hpp"
#include "flight/sweeps/config_table.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/train_run.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::sweeps {
namespace {

std::vector<std::string> string_list(ConfigTable& t, const std::string& key, bool required) {
  const auto* n = t.raw(key);
  if (!n) {
    if (required) t.fail(key, "an array of strings (required)", "nothing");
    return {};
  }
  const auto* arr = n->as_array();
  if (!arr || arr->empty()) t.fail(key, "a non-empty array of strings", ConfigTable::describe(*n));
  std::vector<std::string> out;
  for (const auto& e : *arr) {
    if (!e.is_string()) t.fail(key, "an array of strings", "an element " + ConfigTable::describe(e));
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::vector<double> number_list(ConfigTable& t, const std::string& key, double min, double max) {
  const auto* n = t.raw(key);
  if (!n) return {};
  const auto* arr = n->as_array();
  if (!arr || arr->empty()) t.fail(key, "a non-empty array of numbers", ConfigTable::describe(*n));
  std::vector<double> out;
  for (const auto& e : *arr) {
    const auto v = e.value<double>();
    if (!v || *v < min || *v > max) {
      t.fail(key, "numbers in [" + std::to_string(min) + ", " + std::to_string(max) + "]",
             "an element " + ConfigTable::describe(e));
    }
    out.push_back(*v);
  }
  return out;
}

const toml::table* sub_table(ConfigTable& t, const std::string& key, bool required) {
  const auto* n = t.raw(key);
  if (!n) {
    if (required) t.fail(key, "a table (required)", "nothing");
    return nullptr;
  }
  if (!n->is_table()) t.fail(key, "a table", ConfigTable::describe(*n));
  return n->as_table();
}

TrainSettings read_train(const std::string& file, const std::string& path, const toml::table& tbl,
                         const TrainSettings& base) {
  ConfigTable t(file, path, tbl);
  TrainSettings s = base;
  s.epochs = int(t.int_or("epochs", base.epochs, 1, 100000));
  s.max_train = t.int_or("max_train", base.max_train, 0, 1LL << 40);
  s.max_test = t.int_or("max_test", base.max_test, 0, 1LL << 40);
  s.lr = t.number_or("lr", base.lr, 1e-9, 10);
  s.batch = int(t.int_or("batch", base.batch, 1, 1 << 20));
  if (t.has("optimizer")) s.optimizer = t.one_of("optimizer", {"sgd", "adam"});
  if (t.has("threshold_lr_scale")) {
    t.fail("threshold_lr_scale", "no such key since thresholds take normalized steps (use threshold_travel, an expert "
                                 "knob, or nothing: docs/flightnn.md)", "a value");
  }
  s.threshold_travel = t.number_or("threshold_travel", base.threshold_travel, 1e-3, 1e4);
  if (t.has("precision")) s.precision = t.one_of("precision", {"fp32", "bf16"});
  t.finish();
  return s;
}

boost::json::object train_json(const TrainSettings& s) {
  boost::json::object o{{"epochs", s.epochs}, {"max_train", s.max_train}, {"max_test", s.max_test},
                        {"lr", s.lr},         {"batch", s.batch},         {"optimizer", s.optimizer},
                        {"threshold_travel", s.threshold_travel}};
  if (s.precision != "fp32") o["precision"] = s.precision;  // only then: every fp32 experiment keeps its key
  return o;
}

// The `seeds` list of a table (grid or profile); empty when unset.
std::vector<unsigned> seed_list(ConfigTable& t) {
  std::vector<unsigned> seeds;
  for (double s : number_list(t, "seeds", 0, 1e9)) seeds.push_back(unsigned(s));
  return seeds;
}

struct Profile {
  TrainSettings parent, child;
  std::int64_t sim_max_test = 0;
  std::string description;
  bool judges_accuracy = false;
  std::vector<unsigned> seeds;  // empty: the grid's
  std::map<std::string, std::pair<TrainSettings, TrainSettings>> per_net;  // net → (parent, child)
  std::map<std::string, std::int64_t> per_net_sim_max_test;
};

Profile read_profile(const std::string& file, const toml::table& profiles, const std::string& name) {
  ConfigTable all(file, "profiles", profiles);
  const auto* pt = all.raw(name);
  if (!pt || !pt->is_table()) {
    std::string names;
    for (const auto& [k, v] : profiles) names += (names.empty() ? "" : ", ") + std::string(k.str());
    throw InputError(describe_input_problem(file, "profile '" + name + "'", "one of " + names, "no such profile"));
  }
  const std::string path = "profiles." + name;
  ConfigTable t(file, path, *pt->as_table());
  Profile p;
  p.description = t.string_or("description", "");
  // Whether this profile's accuracies are meant to be judged (the report's accuracy verdicts read "not judged"
  // otherwise).  Unset: not judged (the cautious default; the shipped grids say it explicitly).
  p.judges_accuracy = t.bool_or("judges_accuracy", false);
  p.seeds = seed_list(t);
  p.sim_max_test = t.int_or("sim_max_test", 0, 0, 1LL << 40);
  p.parent = read_train(file, path + ".parent", *sub_table(t, "parent", true), TrainSettings{});
  p.child = read_train(file, path + ".child", *sub_table(t, "child", true), p.parent);
  if (const auto* nets = sub_table(t, "net", false)) {
    for (const auto& [net, node] : *nets) {
      const std::string np = path + ".net." + std::string(net.str());
      if (!node.is_table()) {
        throw InputError(describe_input_problem(file, "key '" + np + "'", "a table", ConfigTable::describe(node)));
      }
      ConfigTable nt(file, np, *node.as_table());
      const auto* par = sub_table(nt, "parent", false);
      const auto* chi = sub_table(nt, "child", false);
      if (nt.has("sim_max_test")) p.per_net_sim_max_test[std::string(net.str())] = nt.int_or("sim_max_test", 0, 0, 1LL << 40);
      nt.finish();
      TrainSettings ps = par ? read_train(file, np + ".parent", *par, p.parent) : p.parent;
      TrainSettings cs = chi ? read_train(file, np + ".child", *chi, p.child) : p.child;
      p.per_net[std::string(net.str())] = {ps, cs};
    }
  }
  t.finish();
  return p;
}

std::string lambda_text(double l) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", l);
  return buf;
}

std::size_t official_train_count(data::DatasetId id) { return data::dataset_facts(id).train_images; }

// The grid's [hardware] table (device, energy_table, lut_cap over HardwareRequest's defaults), device and energy table
// checked now, not after every experiment has trained.
HardwareRequest read_hardware(const std::string& file, ConfigTable& top) {
  HardwareRequest out;
  if (const auto* hw = sub_table(top, "hardware", false)) {
    ConfigTable h(file, "hardware", *hw);
    out.device = h.string_or("device", out.device);
    out.energy_table = h.string_or("energy_table", out.energy_table);
    out.lut_cap = h.number_or("lut_cap", out.lut_cap, 0.01, 1.0);
    try {
      (void)cost_models::find_device(out.device);
    } catch (const InputError& e) {
      h.fail("device", "a device of the catalog (cost_models/data/devices.csv)",
             "\"" + out.device + "\": " + e.what());
    }
    try {
      (void)cost_models::builtin_energy_table(out.energy_table);
    } catch (const InputError& e) {
      h.fail("energy_table", "a built-in energy table", "\"" + out.energy_table + "\": " + e.what());
    }
    h.finish();
  }
  return out;
}

// A configuration's methods: known, quantized, with λ values for flightnn, and priced by the energy table (45nm-horowitz
// has no shifter, for instance): a one-layer workload of each method's weight format finds out before anything trains.
void check_methods(const std::string& file, const std::string& path, ConfigTable& t,
                   const std::vector<std::string>& methods, const std::vector<double>& lambdas,
                   const std::vector<double>& targets, const std::string& energy) {
  const auto& energy_table = cost_models::builtin_energy_table(energy);
  for (const auto& m : methods) {
    const auto q = parse_method(m, 0, file + ": key '" + path + ".methods'");
    sim::Workload probe;
    probe.format = q.method == trainer::Method::fixed ? sim::WeightFormat::fixed : sim::WeightFormat::pow2;
    probe.n_bits = q.fixed_bits;
    sim::LayerWork l;
    l.name = "probe", l.c_in = 1, l.c_out = 2;
    l.filters_by_k = {0, 1, 1};
    probe.layers = {l};
    try {
      (void)sim::asic_energy(probe, energy_table);
    } catch (const InputError& e) {
      throw InputError(file + ": key 'hardware.energy_table': \"" + energy + "\" cannot price method " + m + " (" +
                       e.what() + ")");
    }
    if (m == "fp32") t.fail("methods", "quantized methods (the FP32 reference is always run)", "\"fp32\"");
    if (m == "flightnn" && lambdas.empty() && targets.empty()) {
      t.fail("lambdas", "λ values (or throughput targets) for flightnn", "nothing");
    }
  }
  if (!targets.empty() && std::find(methods.begin(), methods.end(), "flightnn") == methods.end()) {
    t.fail("targets", "throughput targets only beside method \"flightnn\"", "targets without it");
  }
}

// One [[configuration]] table as read.
struct Configuration {
  std::string path, dataset, used;  // used: the data set actually trained on (after --substitute)
  std::vector<std::string> nets, methods;
  std::vector<double> lambdas;
  std::vector<double> targets;  // FLightNN throughput targets on the grid's device (images/s)
  std::string cost = "macs";    // the regularizer cost of the fixed-λ FLightNN runs
  std::string target_cost = "cycles+storage";  // … and of the runs with a throughput target
};

// Completes an experiment (its key hashes everything that determines its result) and appends it to the grid.
void add_experiment(Grid& g, std::set<std::string>& keys, ExperimentSpec e) {
  boost::json::object c{{"grid", g.name},       {"profile", g.profile},  {"dataset", e.dataset},
                        {"data", e.data},       {"net", e.net},          {"method", e.method},
                        {"lambda", e.lambda},   {"seed", e.seed},        {"parent", e.parent},
                        {"net_fingerprint", e.net_fingerprint},
                        {"train", train_json(e.train)},
                        {"hardware", {{"device", e.device}, {"lut_cap", e.lut_cap}, {"energy_table", e.energy_table},
                                      {"sim_max_test", e.sim_max_test}}}};
  // Only when set, so that every other experiment keeps the key it had before these existed.
  if (e.reg_cost != "macs") c["cost"] = e.reg_cost;
  if (e.target_fps > 0) c["target_fps"] = e.target_fps;
  const auto canonical = boost::json::serialize(c);
  Fnv1a64 h;
  h.update({reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size()});
  e.key = h.hex();
  e.config = std::move(c);
  e.config["name"] = e.name;  // for people; not part of the key
  if (!keys.insert(e.key).second) {
    throw InputError(describe_input_problem(g.file, "experiment " + e.name, "each experiment once", "a duplicate"));
  }
  g.experiments.push_back(std::move(e));
}

// The experiment trees of one network of a configuration: per seed, the FP32 parent and its quantized children.
void add_trees(Grid& g, std::set<std::string>& keys, const Configuration& c, const std::string& net_name,
               const Profile& prof, const HardwareRequest& hw, const std::vector<unsigned>& seeds) {
  NetworkSource source;
  try {
    source = find_network(net_name);
  } catch (const InputError& e) {
    throw InputError(g.file + ": key '" + c.path + ".nets': " + e.what());
  }
  const NetworkSpec& net = source.spec;
  const std::string net_fp = network_fingerprint(net);
  g.networks[net.name] = {source.file, net_fp};
  const auto used_id = *data::parse_dataset_id(c.used);
  const auto shapes = infer_shapes(net, data::official_shape(used_id), data::official_classes(used_id));
  double macs = 0;
  for (const auto& s : shapes) macs += double(s.macs);
  const auto per = prof.per_net.find(net_name);
  const auto& ps = per == prof.per_net.end() ? prof.parent : per->second.first;
  const auto& cs = per == prof.per_net.end() ? prof.child : per->second.second;
  auto images = [&](const TrainSettings& s) {
    return double(s.epochs) * double(s.max_train ? s.max_train : std::int64_t(official_train_count(used_id)));
  };
  for (unsigned seed : seeds) {
    ExperimentSpec base;
    base.dataset = c.dataset, base.data = c.used, base.net = net.name, base.seed = seed;
    base.net_fingerprint = net_fp;
    base.device = hw.device, base.energy_table = hw.energy_table, base.lut_cap = hw.lut_cap;
    const auto sm = prof.per_net_sim_max_test.find(net_name);
    base.sim_max_test = sm == prof.per_net_sim_max_test.end() ? prof.sim_max_test : sm->second;
    const std::string prefix = c.dataset + "/" + net.name + "/";
    const std::string suffix = "/s" + std::to_string(seed);
    ExperimentSpec ref = base;
    ref.method = "fp32", ref.train = ps, ref.name = prefix + "fp32" + suffix;
    ref.cost = 3 * macs * images(ps);  // forward + backward ≈ 3× the forward MACs
    add_experiment(g, keys, ref);
    const std::string parent = g.experiments.back().key;
    for (const auto& m : c.methods) {
      const bool fl = m == "flightnn";
      for (double l : fl ? c.lambdas : std::vector<double>{0.0}) {
        ExperimentSpec e = base;
        e.method = m, e.lambda = l, e.parent = parent, e.train = cs;
        if (fl) e.reg_cost = c.cost;
        e.name = prefix + (fl ? m + "-l" + lambda_text(l) : m) + suffix;
        e.cost = 3.6 * macs * images(cs);
        add_experiment(g, keys, e);
      }
      if (!fl) continue;
      for (double target : c.targets) {  // a budget instead of a λ: dual ascent from the first λ (else 0.05)
        ExperimentSpec e = base;
        e.method = m, e.lambda = c.lambdas.empty() ? 0.05 : c.lambdas.front(), e.parent = parent, e.train = cs;
        e.reg_cost = c.target_cost, e.target_fps = target;
        e.name = prefix + m + "-t" + lambda_text(target) + suffix;
        e.cost = 3.6 * macs * images(cs);
        add_experiment(g, keys, e);
      }
    }
  }
}

}  // namespace

std::map<std::string, std::string> parse_substitutions(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& s : items) {
    const auto eq = s.find('=');
    const auto from = s.substr(0, eq), to = eq == std::string::npos ? "" : s.substr(eq + 1);
    if (eq == std::string::npos || !data::parse_dataset_id(from) || !data::parse_dataset_id(to) || from == to) {
      throw InputError("--substitute: expected FROM=TO with two different data sets (" +
                       data::dataset_names_joined() + "), found '" + s + "'");
    }
    out[from] = to;
  }
  return out;
}

Grid parse_grid(const std::string& text, const std::string& file, const std::string& profile,
                const std::map<std::string, std::string>& substitutions) {
  const auto doc = parse_toml(text, file);
  ConfigTable top(file, "", doc);
  Grid g;
  g.file = file;
  g.profile = profile;
  g.substitutions = substitutions;
  g.name = top.string("name");
  top.string_or("description", "");
  auto seeds = seed_list(top);
  if (seeds.empty()) seeds.push_back(1);

  const auto hw = read_hardware(file, top);
  const auto* profiles = sub_table(top, "profiles", true);
  const auto prof = read_profile(file, *profiles, profile);
  if (!prof.seeds.empty()) seeds = prof.seeds;  // a profile's seeds replace the grid's
  g.judges_accuracy = prof.judges_accuracy;
  g.profile_description = prof.description;

  const auto* confs = top.raw("configuration");
  if (!confs || !confs->is_array_of_tables() || confs->as_array()->empty()) {
    top.fail("configuration", "one or more [[configuration]] tables", confs ? ConfigTable::describe(*confs) : "nothing");
  }
  top.finish();

  std::set<std::string> keys;
  std::size_t ci = 0;
  for (const auto& node : *confs->as_array()) {
    Configuration c;
    c.path = "configuration[" + std::to_string(ci++) + "]";
    ConfigTable t(file, c.path, *node.as_table());
    c.dataset = t.string("dataset");
    if (!data::parse_dataset_id(c.dataset)) {
      t.fail("dataset", "one of " + data::dataset_names_joined(), "\"" + c.dataset + "\"");
    }
    c.nets = string_list(t, "nets", true);
    c.methods = string_list(t, "methods", true);
    c.lambdas = number_list(t, "lambdas", 0, 1e6);
    c.targets = number_list(t, "targets", 1e-3, 1e12);
    c.cost = t.string_or("cost", c.cost);
    c.target_cost = t.string_or("target_cost", c.target_cost);
    for (const auto* key : {"cost", "target_cost"}) {
      const auto& v = std::string(key) == "cost" ? c.cost : c.target_cost;
      try {
        parse_cost(v);
      } catch (const InputError&) {
        t.fail(key, "macs, cycles or cycles+storage", "\"" + v + "\"");
      }
    }
    t.finish();
    const auto sub = substitutions.find(c.dataset);
    c.used = sub == substitutions.end() ? c.dataset : sub->second;
    check_methods(file, c.path, t, c.methods, c.lambdas, c.targets, hw.energy_table);
    for (const auto& net_name : c.nets) add_trees(g, keys, c, net_name, prof, hw, seeds);
  }
  Fnv1a64 fp;
  for (const auto& e : g.experiments) fp.update({reinterpret_cast<const std::uint8_t*>(e.key.data()), e.key.size()});
  g.fingerprint = fp.hex();
  g.tables = cost_models::table_fingerprints();
  return g;
}

Grid load_grid(const std::string& file, const std::string& profile,
               const std::map<std::string, std::string>& substitutions) {
  return parse_grid(read_text_file(file, "grid file"), file, profile, substitutions);
}

Grid pareto_grid(const std::string& file, const std::string& profile, const ParetoRequest& r,
                 const std::map<std::string, std::string>& substitutions) {
  if (r.targets.empty()) throw InputError("--targets: expected one or more throughput targets (images/s)");
  auto doc = parse_toml(read_text_file(file, "grid file"), file);
  // The grid's own λ values for this data set, so that the fixed-λ FLightNNs are the grid's.
  toml::array lambdas;
  if (const auto* confs = doc["configuration"].as_array()) {
    for (const auto& node : *confs) {
      const auto* t = node.as_table();
      if (t && t->get_as<std::string>("dataset") && **t->get_as<std::string>("dataset") == r.dataset) {
        if (const auto* l = t->get_as<toml::array>("lambdas")) lambdas = *l;
        break;
      }
    }
  }
  if (lambdas.empty()) lambdas = toml::array{0.14, 0.2, 0.5};  // paper46's CIFAR values (docs/flightnn.md)
  toml::table conf{{"dataset", r.dataset},
                   {"nets", toml::array{r.net}},
                   {"methods", toml::array{"fixed4", "lightnn1", "lightnn2", "flightnn"}},
                   {"lambdas", lambdas},
                   {"target_cost", r.target_cost}};
  toml::array targets;
  for (double t : r.targets) targets.push_back(t);
  conf.insert_or_assign("targets", targets);
  doc.insert_or_assign("configuration", toml::array{conf});
  const auto name = doc["name"].value_or(std::string("grid"));
  doc.insert_or_assign("name", name + "-pareto-" + r.dataset + "-" + r.net);
  if (!r.seeds.empty()) {
    toml::array seeds;
    for (unsigned s : r.seeds) seeds.push_back(std::int64_t(s));
    doc.insert_or_assign("seeds", seeds);
    if (auto* profiles = doc["profiles"].as_table())
      if (auto* prof = (*profiles)[profile].as_table()) prof->erase("seeds");
  }
  if (!r.device.empty()) {
    if (auto* hw = doc["hardware"].as_table()) hw->insert_or_assign("device", r.device);
    else doc.insert_or_assign("hardware", toml::table{{"device", r.device}});
  }
  std::ostringstream text;
  text << doc;
  return parse_grid(text.str(), file, profile, substitutions);
}

std::pair<int, int> parse_shard(const std::string& text) {
  int i = -1, n = 0;
  char slash = 0, extra = 0;
  std::istringstream is(text);
  if (!(is >> i >> slash >> n) || slash != '/' || (is >> extra) || n < 1 || i < 0 || i >= n) {
    throw InputError("--shard: expected i/N with 0 ≤ i < N (e.g. 0/4), found '" + text + "'");
  }
  return {i, n};
}

std::vector<ExperimentSpec> shard_of(const Grid& g, int index, int count) {
  // Trees: an FP32 reference and its children.
  std::vector<std::vector<const ExperimentSpec*>> trees;
  std::map<std::string, std::size_t> tree_of;
  for (const auto& e : g.experiments) {
    if (e.parent.empty()) {
      tree_of[e.key] = trees.size();
      trees.push_back({&e});
    } else {
      trees[tree_of.at(e.parent)].push_back(&e);
    }
  }
  std::vector<double> cost(trees.size(), 0);
  for (std::size_t t = 0; t < trees.size(); ++t)
    for (const auto* e : trees[t]) cost[t] += e->cost;
  std::vector<std::size_t> order(trees.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return cost[a] > cost[b]; });
  std::vector<double> load(std::size_t(count), 0);
  std::vector<int> assigned(trees.size());
  for (auto t : order) {
    const auto s = std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
    assigned[t] = int(s);
    load[s] += cost[t];
  }
  std::vector<ExperimentSpec> out;
  for (const auto& e : g.experiments) {
    const auto t = tree_of.at(e.parent.empty() ? e.key : e.parent);
    if (assigned[t] == index) out.push_back(e);
  }
  return out;
}

}  // namespace flight::sweeps
