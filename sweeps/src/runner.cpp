#include "flight/sweeps/runner.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "flight/core/error.hpp"
#include "flight/db/repository.hpp"
#include "flight/sweeps/hw_run.hpp"
#include "flight/sweeps/network_file.hpp"
#include "flight/sweeps/train_run.hpp"
#include "flight/sweeps/model_file.hpp"
#include "flight/core/parallel.hpp"

namespace flight::sweeps {
namespace fs = std::filesystem;
namespace tr = flight::trainer;

namespace {

struct Cancelled {};  // thrown from the training progress callback when a stop was requested

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool process_alive(long pid) { return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM); }

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Data sets loaded once and shared by the workers.
class DataCache {
 public:
  explicit DataCache(fs::path root) : root_(std::move(root)) {}
  std::shared_ptr<const data::Dataset> get(data::DatasetId id) {
    std::lock_guard lock(mu_);
    auto& slot = cache_[id];
    if (!slot) slot = std::make_shared<const data::Dataset>(data::load_dataset(id, root_));
    return slot;
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  std::mutex mu_;
  std::map<data::DatasetId, std::shared_ptr<const data::Dataset>> cache_;
};

TrainSettings settings_of(const boost::json::object& t) {
  TrainSettings s;
  s.epochs = int(t.at("epochs").as_int64());
  s.max_train = t.at("max_train").as_int64();
  s.max_test = t.at("max_test").as_int64();
  s.lr = t.at("lr").to_number<double>();
  s.batch = int(t.at("batch").as_int64());
  s.optimizer = std::string(t.at("optimizer").as_string());
  s.threshold_travel = t.at("threshold_travel").to_number<double>();
  if (const auto* p = t.if_contains("precision")) s.precision = std::string(p->as_string());
  return s;
}

// Runs one experiment in the calling arena; returns its result object.
// The hardware stage an experiment's configuration asks for; a sweep also records the sensitivity of every result
// to the device and the multiplier policy (the report's sensitivity table).
HardwareRequest hardware_request(const boost::json::object& c) {
  HardwareRequest h;
  const auto& hw = c.at("hardware").as_object();
  h.device = std::string(hw.at("device").as_string());
  h.lut_cap = hw.at("lut_cap").to_number<double>();
  h.energy_table = std::string(hw.at("energy_table").as_string());
  h.max_test = std::size_t(hw.at("sim_max_test").as_int64());
  h.sensitivity = true;
  return h;
}

boost::json::object run_experiment(const boost::json::object& c, const std::string& key, const fs::path& models,
                                   DataCache& cache, const std::atomic<bool>& stop,
                                   const std::function<void(const std::string&)>& log, const std::string& name) {
  const auto dataset = std::string(c.at("data").as_string());
  const auto id = *data::parse_dataset_id(dataset);
  const auto d = cache.get(id);
  const auto ts = settings_of(c.at("train").as_object());
  TrainRequest r;
  r.dataset = dataset;
  r.net = load_network(std::string(c.at("net").as_string()));
  r.quant = parse_method(std::string(c.at("method").as_string()), c.at("lambda").to_number<double>());
  r.cfg.epochs = ts.epochs;
  // In grid files 0 means all.
  if (ts.max_train > 0) r.cfg.max_train = std::size_t(ts.max_train);
  if (ts.max_test > 0) r.cfg.max_test = std::size_t(ts.max_test);
  r.cfg.lr = ts.lr;
  r.cfg.batch = ts.batch;
  r.cfg.optimizer = ts.optimizer == "adam" ? tr::Optimizer::adam : tr::Optimizer::sgd;  // checked by the grid reader
  r.cfg.threshold_travel = ts.threshold_travel;
  r.precision = tr::parse_precision(ts.precision);  // checked by the grid reader
  r.cfg.seed = unsigned(c.at("seed").as_int64());
  set_augmentation(r.cfg, id);
  r.profile = std::string(c.at("profile").as_string());
  // FLightNN toward the grid's device: a regularizer cost and/or a throughput target (keys present only when set).
  if (const auto* cost = c.if_contains("cost")) r.aim.cost = parse_cost(std::string(cost->as_string()));
  if (const auto* t = c.if_contains("target_fps")) r.aim.target_fps = t->to_number<double>();
  if (r.aim.active()) {
    const auto& hw = c.at("hardware").as_object();
    r.aim.device = std::string(hw.at("device").as_string());
    r.aim.lut_cap = hw.at("lut_cap").to_number<double>();
  }
  const auto parent = std::string(c.at("parent").as_string());
  if (!parent.empty()) {
    const auto pm = models / (parent + ".model.json");
    if (!fs::exists(pm)) throw RunError("the parent's model file " + pm.string() + " is missing");
    r.init = pm.string();
  }
  r.out = (models / (key + ".model.json")).string();
  TrainCallbacks cb;
  cb.progress = [&](const tr::Progress&) {
    if (stop.load()) throw Cancelled{};
  };
  cb.epoch = [&](const tr::EpochStats& e) {
    if (!log || ts.epochs == 1) return;
    log(fmt::format("  {}: epoch {}/{}, test accuracy {:.4f}, {:.0f} images/s, {:.0f} s", name, e.epoch, ts.epochs,
                    e.test_acc, e.images_per_s, e.seconds));
  };
  cb.note = [&](const std::string& s) {
    if (log) log("  " + name + ": " + s);
  };
  auto train = train_model(r, *d, cb);
  const auto h = hardware_request(c);
  auto loaded = load_model(r.out);
  // A quantized model's ASIC figure is required: a table that cannot price it fails the experiment (the grid check
  // makes that rare); only FP32 references have none, and say why.
  auto hres = hardware_results(*loaded.model, loaded.meta, h, d.get(), loaded.meta.quant.method != tr::Method::fp32);
  return {{"train", std::move(train)}, {"hardware", std::move(hres.json)}};
}

}  // namespace

namespace {
boost::json::object inputs_json(const Grid& g) {
  boost::json::object nets, tables;
  for (const auto& [name, n] : g.networks) nets[name] = {{"file", n.file}, {"fingerprint", n.fingerprint}};
  for (const auto& [label, fp] : g.tables) tables[label] = fp;
  return {{"networks", nets}, {"tables", tables}};
}
}  // namespace

InputCheck check_inputs(const Grid& g, const fs::path& db) {
  db::Repository repo(db);
  InputCheck c;
  const auto stored_text = repo.meta("inputs");
  if (!stored_text) return c;  // a new database, or one written before inputs were recorded
  const auto stored = boost::json::parse(*stored_text).as_object();
  const auto& nets = stored.at("networks").as_object();
  for (const auto& [name, n] : g.networks) {
    const auto* s = nets.if_contains(name);
    if (!s) continue;  // a network this database has not trained yet
    const auto fp = std::string(s->as_object().at("fingerprint").as_string());
    if (fp != n.fingerprint) {
      c.network_problem = db.string() + ": network " + name + " (" + n.file + ") changed since this database's " +
                          "experiments were trained (fingerprint then " + fp + ", now " + n.fingerprint +
                          "); its results would mix two networks: start a new database (--db NEW.sqlite)";
      return c;
    }
  }
  const auto& tables = stored.at("tables").as_object();
  for (const auto& [label, fp] : g.tables) {
    const auto* s = tables.if_contains(label);
    const std::string then = s ? std::string(s->as_string()) : std::string("absent");
    if (then != fp) {
      c.tables_changed.push_back(label);
      if (c.table_problem.empty()) {
        c.table_problem = db.string() + ": " + label + " differs from the one this database's hardware results " +
                          "used (fingerprint then " + then + ", now " + fp + "): start a new database (--db " +
                          "NEW.sqlite) or recompute the finished experiments' hardware results (--redo-hardware)";
      }
    }
  }
  return c;
}

void bind_database(const Grid& g, const fs::path& db, const std::string& shard_text) {
  // The inputs first: an edited network or a rebuilt cost table is named, not reported as "another grid".
  if (const auto c = check_inputs(g, db); !c.network_problem.empty()) throw InputError(c.network_problem);
  else if (!c.table_problem.empty()) throw InputError(c.table_problem);
  db::Repository repo(db);
  const auto meta = repo.all_meta();
  const auto it = meta.find("fingerprint");
  if (it != meta.end() && it->second != g.fingerprint) {
    boost::json::object subs;
    for (const auto& [a, b] : g.substitutions) subs[a] = b;
    auto m = [&](const char* k) { return meta.count(k) ? meta.at(k) : std::string("?"); };
    throw InputError(describe_input_problem(
        db.string(), "results database of another grid, profile or substitution",
        "grid '" + g.name + "', profile '" + g.profile + "', substitutions " + boost::json::serialize(subs) +
            " (fingerprint " + g.fingerprint + ")",
        "grid '" + m("grid") + "', profile '" + m("profile") + "', substitutions " + m("substitutions") +
            " (fingerprint " + it->second + ")"));
  }
  if (it == meta.end()) {
    boost::json::array keys;
    for (const auto& e : g.experiments) keys.push_back(boost::json::string(e.key));
    boost::json::object subs;
    for (const auto& [a, b] : g.substitutions) subs[a] = b;
    repo.set_meta("grid", g.name);
    repo.set_meta("profile", g.profile);
    repo.set_meta("fingerprint", g.fingerprint);
    repo.set_meta("grid_file", g.file);
    repo.set_meta("substitutions", boost::json::serialize(subs));
    repo.set_meta("expected_keys", boost::json::serialize(keys));
    repo.set_meta("shard", shard_text);
  } else if (meta.count("shard") && meta.at("shard") != shard_text) {
    throw InputError(describe_input_problem(db.string(), "results database of another shard", shard_text,
                                            meta.at("shard")));
  }
  repo.set_meta("inputs", boost::json::serialize(inputs_json(g)));
  // What the report needs to know of the profile: whether its accuracies are meant to be judged.
  repo.set_meta("judges_accuracy", g.judges_accuracy ? "true" : "false");
  repo.set_meta("profile_description", g.profile_description);
}

int redo_hardware(const Grid& g, const RunOptions& o, const std::function<void(const std::string&)>& log) {
  if (const auto c = check_inputs(g, o.db); !c.network_problem.empty()) throw InputError(c.network_problem);
  const fs::path models = o.models.empty() ? fs::path(o.db.string() + ".models") : o.models;
  std::map<std::string, const ExperimentSpec*> by_key;
  for (const auto& e : g.experiments) by_key[e.key] = &e;
  DataCache cache(o.data_root);
  int redone = 0;
  {
    db::Repository repo(o.db);
    const auto rows = repo.rows();
    const auto todo = std::count_if(rows.begin(), rows.end(),
                                    [&](const auto& r) { return r.status == "done" && by_key.count(r.key); });
    for (const auto& row : rows) {
      if (row.status != "done" || !by_key.count(row.key)) continue;
      const auto model_file = models / (row.key + ".model.json");
      if (!fs::exists(model_file)) {
        throw RunError(model_file.string() + ": model file of " + row.name + " is missing; its hardware results " +
                       "cannot be recomputed (rerun it in a new database)");
      }
      const auto c = boost::json::parse(row.config).as_object();
      auto result = boost::json::parse(row.result).as_object();
      auto h = hardware_request(c);
      // The bit-accurate inference depends on the model file, the test images and the accumulator width only, none
      // of which a hardware-model change touches: a stored one is kept (on vgg-s it is minutes of the row's time).
      const boost::json::value* kept = nullptr;
      if (const auto* hw = result.if_contains("hardware"); hw && hw->is_object())
        if (const auto* inf = hw->as_object().if_contains("inference"); inf && inf->is_object()) kept = inf;
      h.inference = kept == nullptr;
      auto loaded = load_model(model_file);
      const auto id = *data::parse_dataset_id(std::string(c.at("data").as_string()));
      const auto d = loaded.meta.quant.method == tr::Method::fp32 || !h.inference ? nullptr : cache.get(id);
      if (log) log(fmt::format("recomputing hardware results {}/{}: {}", redone + 1, todo, row.name));
      auto hres = hardware_results(*loaded.model, loaded.meta, h, d.get(),
                                   loaded.meta.quant.method != tr::Method::fp32);
      if (kept) hres.json["inference"] = *kept;
      result["hardware"] = std::move(hres.json);
      repo.replace_result(row.key, boost::json::serialize(result));
      ++redone;
    }
    repo.set_meta("inputs", boost::json::serialize(inputs_json(g)));
  }
  return redone;
}

// Adds this run's experiments to the database (known ones are kept), returns rows left running by a dead process of
// this host to pending, and re-decides skips (the missing data set may have been fetched since).
void register_experiments(const std::vector<ExperimentSpec>& mine, const RunOptions& o, const std::string& host,
                          long self, const std::vector<std::string>& keys) {
  db::Repository repo(o.db);
  std::vector<db::Experiment> add;
  for (const auto& e : mine) add.push_back({e.key, boost::json::serialize(e.config), e.name, e.parent});
  repo.add(add);
  std::vector<long> dead;
  for (const auto& r : repo.rows())
    if (r.status == "running" && r.host == host && r.pid != self && !process_alive(r.pid)) dead.push_back(r.pid);
  if (int n = repo.release_running(host, dead); n > 0 && o.log) {
    o.log("resuming: " + std::to_string(n) + " experiment(s) left running by a stopped process go back to pending");
  }
  repo.reset_skipped(keys);
}

// The progress line of a finished experiment.
std::string done_line(const std::string& name, const boost::json::object& result, double seconds, double frac,
                      double elapsed, double eta) {
  const auto& tj = result.at("train").as_object();
  const auto& fpga = result.at("hardware").as_object().at("fpga").as_object();
  const std::string ips = fpga.at("found").as_bool()
                              ? std::to_string(long(fpga.at("best").as_object().at("images_per_s").to_number<double>()))
                              : std::string("none fits");
  return fmt::format(
      "done {} in {:.0f} s: test accuracy {:.4f}, k=2 filters {:.1f} %, FPGA {} images/s  "
      "[{:.0f} % of the grid's work, {:.0f} s elapsed, ETA {:.0f} s]",
      name, seconds, tj.at("test_accuracy").as_double(), 100 * tj.at("fraction_k2").as_double(), ips, 100 * frac,
      elapsed, eta);
}

RunSummary run_sweep(const Grid& g, const RunOptions& o, const std::atomic<bool>& stop) {
  const double t0 = now();
  const auto mine = o.shard ? shard_of(g, o.shard->first, o.shard->second) : g.experiments;
  const std::string shard_text =
      o.shard ? std::to_string(o.shard->first) + "/" + std::to_string(o.shard->second) : "all";
  bind_database(g, o.db, shard_text);
  const fs::path models = o.models.empty() ? fs::path(o.db.string() + ".models") : o.models;
  fs::create_directories(models);
  std::vector<std::string> keys;
  std::map<std::string, const ExperimentSpec*> by_key;
  for (const auto& e : mine) keys.push_back(e.key), by_key[e.key] = &e;
  const std::string host = host_name();
  const long self = long(getpid());
  register_experiments(mine, o, host, self, keys);
  const std::set<std::string> key_set(keys.begin(), keys.end());
  double total_cost = 0;
  for (const auto& e : mine) total_cost += e.cost;
  auto status_of_mine = [&](db::Repository& repo) {
    std::map<std::string, int> c;
    double finished_cost = 0;
    for (const auto& r : repo.rows()) {
      if (!key_set.count(r.key)) continue;
      ++c[r.status];
      if (r.status != "pending" && r.status != "running") finished_cost += by_key.at(r.key)->cost;
    }
    return std::make_pair(c, finished_cost);
  };

  RunSummary sum;
  std::mutex mu;  // summary and log
  DataCache cache(o.data_root);
  auto log = [&](const std::string& s) {
    if (!o.log) return;
    std::lock_guard lock(mu);
    o.log(s);
  };
  const int jobs = std::max(1, o.jobs), threads = std::max(1, o.threads);
  ThreadLimit limit(jobs * threads);
  double cost_done_here = 0;

  auto worker = [&](int slot) {
    db::Repository repo(o.db);
    Arena arena(threads);
    while (!stop.load()) {
      auto claimed = repo.claim_next(host, self, &keys);
      if (!claimed) {
        auto [c, fc] = status_of_mine(repo);
        (void)fc;
        if (c["pending"] == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a parent is still running
        continue;
      }
      const auto& spec = *by_key.at(claimed->key);
      const auto config = boost::json::parse(claimed->config).as_object();
      const auto data_name = std::string(config.at("data").as_string());
      const auto presence = data::find_dataset(*data::parse_dataset_id(data_name), o.data_root);
      if (!presence.present) {
        repo.skip(spec.key, presence.reason);
        std::lock_guard lock(mu);
        if (o.log) o.log("skipped " + spec.name + ": " + presence.reason);
        continue;
      }
      log("started " + spec.name + (spec.data != spec.dataset ? " (on " + spec.data + ", substituted)" : "") +
          " [worker " + std::to_string(slot) + "]");
      const double s0 = now();
      try {
        boost::json::object result;
        arena.run([&] {
          result = run_experiment(config, spec.key, models, cache, stop, log, spec.name);
        });
        result["seconds"] = now() - s0;
        result["host"] = host;
        result["threads"] = threads;
        repo.finish(spec.key, boost::json::serialize(result));
        const double finished_cost = status_of_mine(repo).second;  // skipped work counts as finished
        std::lock_guard lock(mu);
        ++sum.ran;
        cost_done_here += spec.cost;
        const double elapsed = now() - t0;
        const double frac = finished_cost / std::max(total_cost, 1e-9);
        const double eta = elapsed * std::max(0.0, total_cost - finished_cost) / std::max(cost_done_here, 1e-9);
        const std::string line = done_line(spec.name, result, now() - s0, frac, elapsed, eta);
        if (o.log) o.log(line);
      } catch (const Cancelled&) {
        repo.release(spec.key);  // only this experiment: the other jobs of this process may still be running
        log("stopped " + spec.name + " (its last epoch checkpoint is kept; a rerun resumes it)");
        return;
      } catch (const std::exception& e) {
        repo.fail(spec.key, e.what());
        std::lock_guard lock(mu);
        ++sum.ran;
        if (o.log) o.log("FAILED " + spec.name + ": " + e.what());
      }
    }
  };
  Arena outer(jobs);
  outer.run([&] { parallel_for_each(jobs, [&](int s) { worker(s); }); });

  db::Repository repo(o.db);
  auto [c, fc] = status_of_mine(repo);
  (void)fc;
  sum.done = c["done"], sum.failed = c["failed"], sum.skipped = c["skipped"];
  sum.pending = c["pending"] + c["running"];
  sum.interrupted = stop.load();
  sum.seconds = now() - t0;
  return sum;
}

}  // namespace flight::sweeps
