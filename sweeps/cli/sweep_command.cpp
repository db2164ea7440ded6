// flight sweep run|status|list, flight report, flight db merge|export — the grid end to end (DESIGN.md §7–9).
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>

#include "commands.hpp"
#include "flight/core/parallel.hpp"
#include "flight/core/error.hpp"
#include "flight/db/repository.hpp"
#include "flight/sweeps/budget.hpp"
#include "flight/sweeps/claims.hpp"
#include "flight/sweeps/grid.hpp"
#include "flight/sweeps/report.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/sweeps/runner.hpp"
#include "flight/sweeps/shards.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::cli {
namespace {
namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int sig) {
  if (g_stop.exchange(true)) {  // a second signal: stop now (finished results are already committed)
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
  static const char msg[] = "\nflight sweep: stopping after the running experiments checkpoint (again to stop now)\n";
  if (::write(2, msg, sizeof msg - 1) < 0) {
  }
}

struct SweepOptions {
  std::string grid, db, profile = "quick", shard, models, out, format = "md", view = "results";
  std::optional<std::string> data_dir;
  std::vector<std::string> substitute, inputs;
  int jobs = 1, threads = 0, shards = 0, cpus = 2;
  std::string partition, time_limit = "24:00:00";
  bool submit = false, redo_hardware = false;
  bool json = false, allow_partial = false, csv = true;
};

sweeps::Grid grid_of(const SweepOptions& o) {
  return sweeps::load_grid(o.grid, o.profile, sweeps::parse_substitutions(o.substitute));
}

void require_file(const std::string& f, const std::string& what) {
  if (!fs::exists(f)) throw InputError(f + ": no such " + what);
}

int run_grid(const sweeps::Grid& g, const SweepOptions& o) {
  sweeps::RunOptions r;
  r.db = o.db;
  r.models = o.models;
  r.jobs = o.jobs;
  r.threads = o.threads > 0 ? o.threads : std::max(1, default_threads() / std::max(1, o.jobs));
  if (!o.shard.empty()) r.shard = sweeps::parse_shard(o.shard);
  r.log = [](const std::string& s) {
    std::fprintf(stderr, "%s\n", s.c_str());
    std::fflush(stderr);
  };
  std::size_t n = g.experiments.size();
  if (r.shard) n = sweeps::shard_of(g, r.shard->first, r.shard->second).size();
  // The arguments are checked before the file system: a bad --shard is reported whatever the data root.
  r.data_root = data::resolve_data_root(o.data_dir);
  if (!fs::is_directory(r.data_root)) {
    throw InputError("data root " + r.data_root.string() +
                     " is not a folder (--data-dir, else $FLIGHT_DATA, else ./data; scripts/get-data fills one)");
  }
  if (o.redo_hardware) {
    const int redone = sweeps::redo_hardware(g, r, r.log);
    std::fprintf(stderr, "flight sweep: recomputed the hardware results of %d finished experiment(s)\n", redone);
  }
  // A database of another grid, profile, substitution or shard, or built from other networks or tables, is refused
  // before anything runs.
  sweeps::bind_database(g, o.db, r.shard ? std::to_string(r.shard->first) + "/" + std::to_string(r.shard->second) : "all");
  std::fprintf(stderr, "flight sweep: grid %s, profile %s, %zu experiments%s, %d job(s) × %d thread(s), data %s, db %s\n",
               g.name.c_str(), g.profile.c_str(), n, o.shard.empty() ? "" : (" (shard " + o.shard + ")").c_str(),
               r.jobs, r.threads, r.data_root.c_str(), o.db.c_str());
  for (const auto& [a, b] : g.substitutions) {
    std::fprintf(stderr, "flight sweep: %s configurations run on %s (substituted; the report labels them)\n", a.c_str(),
                 b.c_str());
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const auto s = sweeps::run_sweep(g, r, g_stop);
  std::printf("%d done, %d failed, %d skipped, %d not finished; this run finished %d in %.1f s%s\n", s.done, s.failed,
              s.skipped, s.pending, s.ran, s.seconds,
              s.interrupted ? " (interrupted: rerun the same command to resume)" : "");
  if (s.interrupted) return 130;
  return s.failed > 0 ? 1 : 0;
}

int run_sweep_command(const SweepOptions& o) { return run_grid(grid_of(o), o); }

// flight pareto: FLightNN at several throughput targets beside the baselines and the fixed-λ FLightNNs, from one
// FP32 parent per seed, into a results database; then the front as a table (and the figures).
struct ParetoOptions {
  SweepOptions sweep;
  std::string dataset, net, device, target_cost = "cycles+storage", figures;
  std::vector<double> targets;
  std::vector<unsigned> seeds;
};

std::string num_or_dash(const boost::json::value* v, const char* f, double scale = 1) {
  if (!v || !v->is_number()) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v->to_number<double>() * scale);
  return buf;
}

const boost::json::value* at_path(const boost::json::object& o, std::initializer_list<const char*> path) {
  const boost::json::value* v = nullptr;
  const boost::json::object* cur = &o;
  for (const char* k : path) {
    if (!cur) return nullptr;
    v = cur->if_contains(k);
    if (!v) return nullptr;
    cur = v->is_object() ? &v->as_object() : nullptr;
  }
  return v;
}

int pareto_command(const ParetoOptions& p) {
  sweeps::ParetoRequest req{p.dataset, p.net, p.device, p.targets, p.target_cost, p.seeds};
  sweeps::parse_cost(p.target_cost, "--target-cost");
  const auto g = sweeps::pareto_grid(p.sweep.grid, p.sweep.profile, req, sweeps::parse_substitutions(p.sweep.substitute));
  const int rc = run_grid(g, p.sweep);
  if (rc == 130) return rc;
  db::Repository repo(p.sweep.db);
  // Per run, then (with several seeds) per method over the seeds.
  struct Point {
    std::vector<double> acc, k2, fps, miss;
    int met = 0;
    std::string target;
  };
  std::vector<std::pair<std::string, Point>> front;  // in the database's order
  std::printf("\n%-28s %9s %8s %12s %10s  %s\n", "run", "test acc", "k=2", "FPGA img/s", "target", "budget");
  for (const auto& row : repo.rows()) {
    if (row.status != "done") continue;
    const auto res = boost::json::parse(row.result).as_object();
    const auto* b = at_path(res, {"train", "budget"});
    std::string budget = "–";
    const std::string method = row.name.substr(0, row.name.rfind("/s")).substr(row.name.find('/') + 1);
    auto it = std::find_if(front.begin(), front.end(), [&](const auto& e) { return e.first == method; });
    if (it == front.end()) it = front.insert(front.end(), {method, Point{}});
    auto& pt = it->second;
    auto push = [](std::vector<double>& v, const boost::json::value* x) {
      if (x && x->is_number()) v.push_back(x->to_number<double>());
    };
    push(pt.acc, at_path(res, {"train", "test_accuracy"}));
    push(pt.k2, at_path(res, {"train", "fraction_k2"}));
    push(pt.fps, at_path(res, {"hardware", "fpga", "best", "images_per_s"}));
    if (b && b->is_object() && b->as_object().contains("target_fps")) {
      const auto& bo = b->as_object();
      budget = num_or_dash(bo.if_contains("miss"), "%+.1f %%", 100) +
               (bo.at("met").as_bool() ? " (met)" : " (missed)");
      if (const auto gap = sweeps::projection_gap(bo)) budget += "; in a gap: " + *gap;
      push(pt.miss, bo.if_contains("miss"));
      pt.met += bo.at("met").as_bool();
      pt.target = num_or_dash(bo.if_contains("target_fps"), "%.0f");
    }
    const auto* tgt = at_path(boost::json::parse(row.config).as_object(), {"target_fps"});
    std::printf("%-28s %9s %8s %12s %10s  %s\n", row.name.substr(row.name.find('/') + 1).c_str(),
                num_or_dash(at_path(res, {"train", "test_accuracy"}), "%.2f %%", 100).c_str(),
                row.name.find("flightnn") != std::string::npos
                    ? num_or_dash(at_path(res, {"train", "fraction_k2"}), "%.1f %%", 100).c_str() : "",
                num_or_dash(at_path(res, {"hardware", "fpga", "best", "images_per_s"}), "%.0f").c_str(),
                num_or_dash(tgt, "%.0f").c_str(), budget.c_str());
  }
  const bool seeds = std::any_of(front.begin(), front.end(), [](const auto& e) { return e.second.acc.size() > 1; });
  if (seeds) {
    auto ms = [](const std::vector<double>& v, double scale, const char* f) {
      if (v.empty()) return std::string("–");
      const auto s = sweeps::spread(v);  // the report's statistics (claims.hpp)
      return fmt::format(fmt::runtime(f), s.mean * scale, (v.size() > 1 ? s.std : 0.0) * scale);
    };
    std::printf("\nthe front, mean ± sample std over seeds (n: seeds):\n%-24s %2s %15s %14s %18s %8s  %s\n", "method",
                "n", "test acc %", "k=2 %", "FPGA img/s", "target", "budget miss (met)");
    for (const auto& [method, pt] : front) {
      const std::string miss =
          pt.miss.empty() ? "–" : ms(pt.miss, 100, "{:+.1f} ± {:.1f} %") + fmt::format(" ({} of {})", pt.met, pt.miss.size());
      std::printf("%-24s %2zu %15s %14s %18s %8s  %s\n", method.c_str(), pt.acc.size(),
                  ms(pt.acc, 100, "{:.2f} ± {:.2f}").c_str(),
                  method.find("flightnn") != std::string::npos ? ms(pt.k2, 100, "{:.1f} ± {:.1f}").c_str() : "",
                  ms(pt.fps, 1, "{:.0f} ± {:.0f}").c_str(), pt.target.empty() ? "–" : pt.target.c_str(), miss.c_str());
    }
  }
  if (!p.figures.empty()) {
    const std::string script = std::string(FLIGHT_SOURCE_DIR) + "/plots/make_figures.py";
    if (!fs::exists(script)) throw InputError("--figures: " + script + " not found (the source tree's plots/)");
    const std::string cmd = "/usr/bin/python3 '" + script + "' '" + p.sweep.db + "' --out '" + p.figures + "'";
    std::fprintf(stderr, "flight pareto: %s\n", cmd.c_str());
    if (std::system(cmd.c_str()) != 0) throw RunError("the figure script failed: " + cmd);
  }
  return rc;
}

int status_command(const SweepOptions& o) {
  require_file(o.db, "results database");
  db::Repository repo(o.db);
  const auto meta = repo.all_meta();
  const auto c = repo.counts();
  int total = 0;
  for (const auto& [st, n] : c) total += n;
  auto m = [&](const char* k) { return meta.count(k) ? meta.at(k) : std::string(); };
  if (o.json) {
    boost::json::object counts;
    for (const auto& [st, n] : c) counts[db::status_name(st)] = n;
    boost::json::array failed;
    for (const auto& r : repo.rows())
      if (r.status == "failed") failed.push_back({{"name", r.name}, {"error", r.error}});
    std::cout << boost::json::serialize(boost::json::object{{"grid", m("grid")},
                                                            {"profile", m("profile")},
                                                            {"shard", m("shard")},
                                                            {"total", total},
                                                            {"counts", counts},
                                                            {"failed", failed}})
              << "\n";
    return 0;
  }
  double seconds = 0;
  for (const auto& r : repo.rows())
    if (r.status == "done" && r.claimed_at > 0) seconds += r.finished_at - r.claimed_at;
  std::printf("%s: grid %s, profile %s, shard %s: %d experiments (%.1f min of experiment time)\n", o.db.c_str(),
              m("grid").c_str(), m("profile").c_str(), m("shard").c_str(), total, seconds / 60);
  for (const auto& [st, n] : c) std::printf("  %-8s %d\n", db::status_name(st).c_str(), n);
  for (const auto& r : repo.rows())
    if (r.status == "failed" || r.status == "running")
      std::printf("  %s %s%s%s\n", r.status.c_str(), r.name.c_str(), r.error.empty() ? "" : ": ", r.error.c_str());
  return 0;
}

int list_command(const SweepOptions& o) {
  const auto g = grid_of(o);
  std::vector<sweeps::ExperimentSpec> v = g.experiments;
  if (!o.shard.empty()) {
    const auto [i, n] = sweeps::parse_shard(o.shard);
    v = sweeps::shard_of(g, i, n);
  }
  if (o.json) {
    boost::json::array arr;
    for (const auto& e : v) {
      auto c = e.config;
      c["key"] = e.key;
      arr.push_back(c);
    }
    std::cout << boost::json::serialize(boost::json::object{
                     {"grid", g.name}, {"profile", g.profile}, {"fingerprint", g.fingerprint}, {"experiments", arr}})
              << "\n";
    return 0;
  }
  std::map<std::string, std::string> names;
  for (const auto& e : g.experiments) names[e.key] = e.name;
  for (const auto& e : v) {
    std::printf("%s  %-40s %s\n", e.key.c_str(), e.name.c_str(),
                e.parent.empty() ? "" : ("← " + names[e.parent]).c_str());
  }
  std::printf("%zu experiments (grid %s, profile %s, fingerprint %s)\n", v.size(), g.name.c_str(), g.profile.c_str(),
              g.fingerprint.c_str());
  return 0;
}

void write_output(const std::string& out, const std::string& text) {
  if (out.empty()) {
    std::cout << text;
    return;
  }
  const fs::path p(out);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  sweeps::write_file_atomically(p, text);
}

int report_command(const SweepOptions& o) {
  require_file(o.db, "results database");
  if (o.format != "md" && o.format != "csv") {
    throw InputError("--format: unknown format '" + o.format + "' (expected md or csv)");
  }
  db::Repository repo(o.db);
  write_output(o.out, o.format == "md" ? sweeps::report_markdown(repo) : sweeps::report_csv(repo));
  return 0;
}

int merge_command(const SweepOptions& o) {
  const auto m = sweeps::merge_databases(o.inputs, o.out);
  std::printf("merged %zu file(s) into %s: %zu of %zu experiments of grid %s done, %zu failed or skipped\n", m.inputs,
              o.out.c_str(), m.done, m.expected, m.grid.c_str(), m.finished - m.done);
  if (m.missing.empty()) return 0;
  std::fprintf(stderr, "flight db merge: %zu experiment(s) of the grid are not finished in any input:", m.missing.size());
  for (const auto& name : m.missing) std::fprintf(stderr, " %s", name.c_str());
  std::fprintf(stderr, "\n");
  if (o.allow_partial) return 0;
  std::fprintf(stderr, "flight db merge: the merged file is partial (rerun the missing shards, or pass --allow-partial)\n");
  return 1;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

int export_command(const SweepOptions& o) {
  require_file(o.db, "results database");
  static const std::set<std::string> views{"results",         "paper_table", "paper_summary",
                                          "training_curves", "sensitivity", "experiments"};
  if (!views.count(o.view)) {
    throw InputError("--view: unknown view '" + o.view + "' (expected results, paper_table, paper_summary, training_curves, sensitivity or experiments)");
  }
  db::Repository repo(o.db);
  std::string text;
  for (const auto& row : repo.query("SELECT * FROM " + o.view)) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) text += ',';
      text += csv_cell(row[i]);
    }
    text += "\n";
  }
  write_output(o.out, text);
  return 0;
}


std::string self_path() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("flight") : p.string();
}

// Runs a command and returns its stdout; RunError naming the command when it fails.
std::string capture(const std::string& cmd) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) throw RunError("cannot run: " + cmd);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  const int status = ::pclose(f);
  if (status != 0) throw RunError("command failed (status " + std::to_string(status) + "): " + cmd);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

int slurm_command(const SweepOptions& o) {
  const auto g = grid_of(o);  // bad grid, profile or substitution: exit 2 before anything is written
  sweeps::SlurmRequest req;
  req.out = fs::absolute(o.out);
  req.grid_file = fs::absolute(o.grid).string();
  req.profile = o.profile;
  req.substitute = o.substitute;
  req.data_root = fs::absolute(data::resolve_data_root(o.data_dir)).string();
  req.flight = self_path();
  req.shards = o.shards;
  req.cpus = o.cpus;
  req.partition = o.partition;
  req.time_limit = o.time_limit;
  const auto scripts = sweeps::slurm_scripts(g, req);  // bad --shards or --time: exit 2, nothing written
  const auto dir = req.out;
  fs::create_directories(dir / "logs");
  sweeps::write_file_atomically(dir / "sweep.sbatch", scripts.sweep);
  sweeps::write_file_atomically(dir / "merge.sbatch", scripts.merge);
  fs::permissions(dir / "sweep.sbatch", fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  fs::permissions(dir / "merge.sbatch", fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  std::printf("wrote %s (array of %d shard(s)) and %s\n", (dir / "sweep.sbatch").c_str(), o.shards,
              (dir / "merge.sbatch").c_str());
  if (!o.submit) {
    std::printf("submit with: J=$(sbatch --parsable %s) && sbatch --dependency=afterok:$J %s\n",
                (dir / "sweep.sbatch").c_str(), (dir / "merge.sbatch").c_str());
    return 0;
  }
  if (std::system("command -v sbatch >/dev/null 2>&1") != 0) {
    throw RunError("--submit: sbatch is not on PATH (is this a Slurm login node?); the scripts are written");
  }
  std::string array_id = capture("sbatch --parsable " + sweeps::sh_quote((dir / "sweep.sbatch").string()));
  array_id = array_id.substr(0, array_id.find(';'));  // "id;cluster"
  std::string merge_id = capture("sbatch --parsable --dependency=afterok:" + array_id + " " +
                                 sweeps::sh_quote((dir / "merge.sbatch").string()));
  merge_id = merge_id.substr(0, merge_id.find(';'));
  std::printf("submitted array job %s (%d task(s)) and merge job %s (after the array succeeds)\n", array_id.c_str(),
              o.shards, merge_id.c_str());
  std::printf("{\"array_job\": \"%s\", \"merge_job\": \"%s\", \"dir\": \"%s\"}\n", array_id.c_str(),
              merge_id.c_str(), dir.c_str());
  return 0;
}

}  // namespace

void register_sweep_commands(CLI::App& app, Action& chosen) {
  auto o = std::make_shared<SweepOptions>();
  auto* sweep = app.add_subcommand("sweep", "Run a grid of experiments into a results database");
  sweep->require_subcommand(1);
  auto add_grid = [&](CLI::App* c) {
    c->add_option("grid", o->grid, "Grid file (TOML; e.g. sweeps/grids/paper46.toml)")->required();
    c->add_option("--profile", o->profile, "Training profile of the grid: smoke, quick, reference, paper (paper46.toml; a grid may define others)")->capture_default_str();
    c->add_option("--substitute", o->substitute, "FROM=TO: run FROM's configurations on data set TO (repeatable)");
    c->add_option("--shard", o->shard, "Only shard i of N (i/N, 0-based): whole FP32-parent trees");
  };
  auto* run = sweep->add_subcommand("run", "Run (or resume) a grid; finished experiments are never rerun");
  add_grid(run);
  run->add_option("--db", o->db, "Results database (SQLite; created if missing)")->required();
  run->add_option("--jobs", o->jobs, "Experiments at a time")->check(CLI::Range(1, 256))->capture_default_str();
  run->add_option("--threads", o->threads, "Threads per experiment (default: cores / jobs)")->check(CLI::Range(0, 1024));
  run->add_option("--data-dir", o->data_dir, "Data root (default: $FLIGHT_DATA, else ./data)");
  run->add_option("--models", o->models, "Folder for model files and checkpoints (default: <db>.models)");
  run->add_flag("--redo-hardware", o->redo_hardware,
                "Recompute the hardware results of finished experiments from their model files first (after a cost "
                "table or the device catalog changed; the database then records today's tables)");
  run->callback([o, &chosen] { chosen = [o] { return run_sweep_command(*o); }; });

  auto* status = sweep->add_subcommand("status", "Experiments of a results database by status");
  status->add_option("--db", o->db, "Results database")->required();
  status->add_flag("--json", o->json, "Print one JSON object");
  status->callback([o, &chosen] { chosen = [o] { return status_command(*o); }; });

  auto* list = sweep->add_subcommand("list", "Expand a grid: one line per experiment with its key and parent");
  add_grid(list);
  list->add_flag("--json", o->json, "Print one JSON object");
  list->callback([o, &chosen] { chosen = [o] { return list_command(*o); }; });

  auto* slurm = sweep->add_subcommand("slurm", "Write (and submit) a Slurm job array over shards of a grid plus a merge job");
  slurm->add_option("grid", o->grid, "Grid file (TOML)")->required();
  slurm->add_option("--profile", o->profile, "Training profile of the grid")->capture_default_str();
  slurm->add_option("--substitute", o->substitute, "FROM=TO: run FROM's configurations on data set TO (repeatable)");
  slurm->add_option("--shards", o->shards, "Number of shards (array tasks)")->required()->check(CLI::Range(1, 100000));
  slurm->add_option("--out", o->out, "Folder for the scripts, shard databases, models, logs, merged.sqlite, report.md")
      ->required();
  slurm->add_option("--partition", o->partition, "Slurm partition (default: the cluster's)");
  slurm->add_option("--time", o->time_limit, "Time limit per task, HH:MM:SS")->capture_default_str();
  slurm->add_option("--cpus-per-task", o->cpus, "CPUs per array task (= --threads of each shard)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  slurm->add_option("--data-dir", o->data_dir, "Data root on the nodes (default: $FLIGHT_DATA, else ./data)");
  slurm->add_flag("--submit", o->submit, "Call sbatch and print the job ids");
  slurm->callback([o, &chosen] { chosen = [o] { return slurm_command(*o); }; });

  auto po = std::make_shared<ParetoOptions>();
  auto* pareto = app.add_subcommand(
      "pareto", "FLightNN trained to several FPGA throughput targets beside Fixed-4, LightNN-1/2 and the fixed-λ "
                "FLightNNs, from one FP32 parent: the accuracy–throughput front (docs/flightnn.md)");
  pareto->add_option("--dataset", po->dataset, "Data set")->required();
  pareto->add_option("--net", po->net, "Network")->required();
  pareto->add_option("--targets", po->targets, "Throughput targets in images/s, comma-separated")
      ->required()
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  pareto->add_option("--seeds", po->seeds, "Seeds, comma-separated (default: the profile's, else the grid's); the "
                                           "front is then the mean ± std over them")
      ->delimiter(',');
  pareto->add_option("--device", po->device, "FPGA device (default: the grid's)");
  pareto->add_option("--target-cost", po->target_cost, "Regularizer cost of the target runs: macs, cycles, cycles+storage")
      ->capture_default_str();
  // The source tree's grid unless run from a folder that has its own sweeps/grids/paper46.toml.
  po->sweep.grid = fs::exists("sweeps/grids/paper46.toml") ? std::string("sweeps/grids/paper46.toml")
                                                           : std::string(FLIGHT_SOURCE_DIR) + "/sweeps/grids/paper46.toml";
  pareto->add_option("--grid", po->sweep.grid, "Grid file whose profiles, hardware and λ values to use")
      ->capture_default_str();
  pareto->add_option("--profile", po->sweep.profile, "Training profile of the grid")->capture_default_str();
  pareto->add_option("--substitute", po->sweep.substitute, "FROM=TO: run on data set TO instead (repeatable)");
  pareto->add_option("--db", po->sweep.db, "Results database (SQLite; created if missing; a rerun resumes)")->required();
  pareto->add_option("--jobs", po->sweep.jobs, "Experiments at a time")->check(CLI::Range(1, 256))->capture_default_str();
  pareto->add_option("--threads", po->sweep.threads, "Threads per experiment (default: cores / jobs)")
      ->check(CLI::Range(0, 1024));
  pareto->add_option("--data-dir", po->sweep.data_dir, "Data root (default: $FLIGHT_DATA, else ./data)");
  pareto->add_option("--figures", po->figures, "Also draw the figures into this folder (plots/make_figures.py)");
  pareto->callback([po, &chosen] { chosen = [po] { return pareto_command(*po); }; });

  auto* report = app.add_subcommand("report", "The paper tables and claims from a results database");
  report->add_option("--db", o->db, "Results database")->required();
  report->add_option("--format", o->format, "md or csv")->capture_default_str();
  report->add_option("--out", o->out, "Write to this file (default: stdout)");
  report->callback([o, &chosen] { chosen = [o] { return report_command(*o); }; });

  auto* dbc = app.add_subcommand("db", "Results databases: merge shards, export CSV");
  dbc->require_subcommand(1);
  auto* merge = dbc->add_subcommand("merge", "Merge shard databases of one grid into a new file");
  merge->add_option("inputs", o->inputs, "Shard databases")->required();
  merge->add_option("-o,--out", o->out, "Merged database to write")->required();
  merge->add_flag("--allow-partial", o->allow_partial, "Exit 0 even when experiments of the grid are missing");
  merge->callback([o, &chosen] { chosen = [o] { return merge_command(*o); }; });
  auto* exp = dbc->add_subcommand("export", "Export a view as CSV");
  exp->add_option("--db", o->db, "Results database")->required();
  exp->add_flag("--csv", o->csv, "CSV (the only format)");
  exp->add_option("--view", o->view, "results, paper_table, paper_summary, training_curves, sensitivity or experiments")->capture_default_str();
  exp->add_option("--out", o->out, "Write to this file (default: stdout)");
  exp->callback([o, &chosen] { chosen = [o] { return export_command(*o); }; });
}

}  // namespace flight::cli
