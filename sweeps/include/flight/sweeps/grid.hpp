#pragma once
// Grid files (TOML, sweeps/grids/*.toml): data sets × networks × methods × λ × seeds under a training profile,
// expanded into experiments that form a DAG — each quantized run fine-tunes from the FP32 reference of its
// configuration (DESIGN.md §7).  The format is documented in docs/sweeps.md.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace flight::sweeps {

struct TrainSettings {
  int epochs = 1;
  std::int64_t max_train = 0, max_test = 0;  // 0: all
  double lr = 0.05;
  int batch = 64;
  std::string optimizer = "sgd";
  double threshold_travel = 8.0;  // FLightNN thresholds' travel over the run (trainer::TrainConfig)
  std::string precision = "fp32";  // the convolutions' arithmetic (trainer::Precision): fp32 or bf16
};

struct ExperimentSpec {
  std::string key;       // 16 hex digits: FNV-1a of the canonical configuration (which holds the parent's key)
  std::string name;      // "cifar10/vgg-s/flightnn-l0.1/s1" for people
  std::string parent;    // key of the FP32 run this one fine-tunes from ("" for an FP32 reference)
  std::string dataset;   // the configuration's data set, as in the grid
  std::string data;      // the data set trained on: differs from `dataset` when substituted
  std::string net, method;
  std::string net_fingerprint;  // network_fingerprint of the network trained (part of the key)
  double lambda = 0;       // FLightNN: λ (with a target: the λ dual ascent starts from)
  double target_fps = 0;   // FLightNN: a throughput target on the grid's device (0: none; budget.hpp)
  std::string reg_cost = "macs";  // FLightNN: the regularizer's cost (budget.hpp)
  unsigned seed = 1;
  TrainSettings train;
  std::string device, energy_table;
  double lut_cap = 0;  // from the grid file, else sweeps::HardwareRequest's default
  std::int64_t sim_max_test = 0;  // test images of the bit-accurate inference (0: all)
  double cost = 0;  // relative cost estimate (training MACs), for balancing shards
  boost::json::object config;  // canonical configuration (grid, profile and every field above but key and cost)
};

struct Grid {
  std::string name, profile, file;
  std::string profile_description;
  bool judges_accuracy = false;  // the profile's accuracies are meant to be judged (docs/sweeps.md)
  std::string fingerprint;  // FNV-1a of all experiment keys in order: two files are the same grid iff equal
  // What the results depend on beyond the grid itself, with content fingerprints: each network used (name → the file
  // it was read from and network_fingerprint) and every table compiled into the binary (cost_models::
  // table_fingerprints).  A results database remembers them; a later run with different ones is refused
  // (runner.hpp, bind_database).
  struct NetworkInput {
    std::string file, fingerprint;
  };
  std::map<std::string, NetworkInput> networks;
  std::map<std::string, std::string> tables;
  std::map<std::string, std::string> substitutions;
  std::vector<ExperimentSpec> experiments;  // parents before their children
};

// Parses and expands a grid file for one profile.  `substitutions` maps a data set to the one its configurations
// run on instead (--substitute svhn=fashion-mnist).  Every problem is an InputError naming the file and key.
Grid load_grid(const std::string& file, const std::string& profile,
               const std::map<std::string, std::string>& substitutions = {});
// The same from text (tests).
Grid parse_grid(const std::string& text, const std::string& file, const std::string& profile,
                const std::map<std::string, std::string>& substitutions = {});

// `flight pareto` (issue 17): the grid file's profiles and [hardware] with one configuration — data set × network:
// Fixed-4, LightNN-1, LightNN-2, FLightNN at the grid's λ values for that data set (cost macs, the paper's) and
// FLightNN at each throughput target (cost `target_cost`) on `device` (empty: the grid's).
struct ParetoRequest {
  std::string dataset, net, device;
  std::vector<double> targets;
  std::string target_cost = "cycles+storage";
  std::vector<unsigned> seeds;  // empty: the profile's (else the grid's); else these, replacing both
};
Grid pareto_grid(const std::string& file, const std::string& profile, const ParetoRequest& r,
                 const std::map<std::string, std::string>& substitutions = {});

// "from=to" → {from: to}; bad input names the option.
std::map<std::string, std::string> parse_substitutions(const std::vector<std::string>& items);

// Shard `index` of `count` (0-based): whole DAG trees, balanced by estimated cost (largest first onto the lightest
// shard).  Every experiment lands in exactly one shard.
std::vector<ExperimentSpec> shard_of(const Grid& g, int index, int count);
// "i/N" with 0 ≤ i < N; InputError naming --shard otherwise.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace flight::sweeps
