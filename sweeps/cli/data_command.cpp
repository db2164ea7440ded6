// flight data info|list — what data is on disk, and what a loader sees in it.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "flight/core/error.hpp"
#include "flight/sweeps/data_summary.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::cli {
namespace {

struct DataOptions {
  std::optional<std::string> data_dir;
  std::string dataset;
  bool json = false;
};

data::DatasetId dataset_or_throw(const std::string& name) {
  auto id = data::parse_dataset_id(name);
  if (!id) {
    throw InputError("DATASET: unknown data set '" + name + "' (expected one of " + data::dataset_names_joined() +
                     ")");
  }
  return *id;
}

int run_info(const DataOptions& o) {
  const auto id = dataset_or_throw(o.dataset);
  const auto root = data::resolve_data_root(o.data_dir);
  const auto t0 = std::chrono::steady_clock::now();
  const auto d = data::load_dataset(id, root);
  const auto summary = sweeps::summarize(d);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    std::cout << boost::json::serialize(sweeps::to_json(summary, seconds)) << "\n";
  } else {
    std::cout << sweeps::to_text(summary, seconds);
  }
  if (d.synthetic) std::cerr << "flight: warning: " << d.directory.string() << " holds synthetic data (random pixels)\n";
  return 0;
}

int run_list(const DataOptions& o) {
  const auto root = data::resolve_data_root(o.data_dir);
  std::cout << "data root: " << root.string() << "\n";
  for (auto id : data::all_datasets()) {
    const auto p = data::find_dataset(id, root);
    std::cout << "  " << data::dataset_name(id) << ": "
              << (p.present ? "present in " + p.directory.string() : "absent — " + p.reason) << "\n";
  }
  return 0;
}

}  // namespace

void register_data_commands(CLI::App& app, Action& chosen) {
  auto opts = std::make_shared<DataOptions>();
  auto* data_cmd = app.add_subcommand("data", "Inspect the data sets under the data root");
  data_cmd->require_subcommand(1);
  const std::string dir_help = "Data root (default: $FLIGHT_DATA, else ./data)";

  auto* info = data_cmd->add_subcommand(
      "info", "Load a data set and print counts, image shape, class histogram and a pixel checksum");
  info->add_option("DATASET", opts->dataset, "One of " + data::dataset_names_joined())->required();
  info->add_option("--data-dir", opts->data_dir, dir_help);
  info->add_flag("--json", opts->json, "Print one JSON object instead of text");
  info->callback([opts, &chosen] { chosen = [opts] { return run_info(*opts); }; });

  auto* list = data_cmd->add_subcommand("list", "Say which data sets are present under the data root");
  list->add_option("--data-dir", opts->data_dir, dir_help);
  list->callback([opts, &chosen] { chosen = [opts] { return run_list(*opts); }; });
}

}  // namespace flight::cli
