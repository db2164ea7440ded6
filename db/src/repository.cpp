#include "flight/db/repository.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "flight/core/error.hpp"

namespace flight::db {

std::string status_name(Status s) {
  switch (s) {
    case Status::pending: return "pending";
    case Status::running: return "running";
    case Status::done: return "done";
    case Status::failed: return "failed";
    case Status::skipped: return "skipped";
  }
  return "?";
}

namespace {

// Schema migrations v1 and v2 (migrations() below adds v3).
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE experiments (
  key         TEXT PRIMARY KEY,
  config      TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
  host        TEXT,
  pid         INTEGER,
  claimed_at  REAL,
  finished_at REAL,
  error       TEXT,
  result      TEXT
);
CREATE INDEX experiments_status ON experiments(status);
)sql",
    // v2: the sweep's DAG and names, its metadata, and views for the paper tables (docs/sweeps.md).
    R"sql(
ALTER TABLE experiments ADD COLUMN name TEXT;
ALTER TABLE experiments ADD COLUMN parent TEXT;
CREATE TABLE sweep_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE VIEW results AS
SELECT key, name,
       json_extract(config, '$.dataset') AS dataset,
       json_extract(config, '$.data') AS data,
       json_extract(config, '$.net') AS net,
       json_extract(config, '$.method') AS method,
       json_extract(config, '$.lambda') AS lambda,
       json_extract(config, '$.seed') AS seed,
       json_extract(config, '$.profile') AS profile,
       json_extract(result, '$.train.test_accuracy') AS test_accuracy,
       json_extract(result, '$.train.train_accuracy') AS train_accuracy,
       json_extract(result, '$.train.fraction_k2') AS fraction_k2,
       json_extract(result, '$.train.mean_shifts_per_weight') AS shifts_per_weight,
       json_extract(result, '$.train.images_per_s') AS train_images_per_s,
       json_extract(result, '$.train.wall_seconds') AS train_seconds,
       json_extract(result, '$.hardware.device.name') AS device,
       json_extract(result, '$.hardware.fpga.found') AS fpga_found,
       json_extract(result, '$.hardware.fpga.best.images_per_s') AS fpga_images_per_s,
       json_extract(result, '$.hardware.fpga.best.latency_s') AS fpga_latency_s,
       json_extract(result, '$.hardware.fpga.best.percent.lut') AS lut_pct,
       json_extract(result, '$.hardware.fpga.best.percent.ff') AS ff_pct,
       json_extract(result, '$.hardware.fpga.best.percent.dsp') AS dsp_pct,
       json_extract(result, '$.hardware.fpga.best.percent.bram36') AS bram_pct,
       json_extract(result, '$.hardware.fpga.best.design.summary') AS fpga_design,
       json_extract(result, '$.hardware.asic.compute_energy_j') AS asic_compute_j,
       json_extract(result, '$.hardware.asic.total_energy_j') AS asic_total_j,
       json_extract(result, '$.hardware.asic.compute_ops_per_j') AS asic_compute_ops_per_j,
       json_extract(result, '$.hardware.inference.hardware_accuracy') AS hw_accuracy,
       json_extract(result, '$.hardware.inference.agreement') AS bit_agreement,
       finished_at - claimed_at AS seconds
FROM experiments WHERE status = 'done';
CREATE VIEW paper_table AS
SELECT r.dataset, r.data, r.net, r.method, r.lambda, r.seed, r.test_accuracy,
       r.test_accuracy - f.test_accuracy AS delta_vs_fp32,
       r.fraction_k2, r.shifts_per_weight, r.lut_pct, r.ff_pct, r.dsp_pct, r.bram_pct, r.fpga_images_per_s,
       r.fpga_images_per_s / l2.fpga_images_per_s AS speedup_vs_lightnn2,
       r.fpga_images_per_s / f4.fpga_images_per_s AS speedup_vs_fixed4,
       r.asic_compute_j, r.asic_total_j, r.asic_compute_ops_per_j
FROM results r
LEFT JOIN results f  ON f.dataset = r.dataset AND f.net = r.net AND f.seed = r.seed AND f.method = 'fp32'
LEFT JOIN results l2 ON l2.dataset = r.dataset AND l2.net = r.net AND l2.seed = r.seed AND l2.method = 'lightnn2'
LEFT JOIN results f4 ON f4.dataset = r.dataset AND f4.net = r.net AND f4.seed = r.seed AND f4.method = 'fixed4'
ORDER BY r.dataset, r.net, r.seed, r.method, r.lambda;
CREATE VIEW training_curves AS
SELECT e.key, e.name,
       json_extract(c.value, '$.epoch') AS epoch,
       json_extract(c.value, '$.train_loss') AS train_loss,
       json_extract(c.value, '$.train_acc') AS train_accuracy,
       json_extract(c.value, '$.test_acc') AS test_accuracy,
       json_extract(c.value, '$.seconds') AS seconds
FROM experiments e, json_each(e.result, '$.train.epochs_curve') c
WHERE e.status = 'done';
)sql"};

// v3: seeds (paper_table carries the hardware accuracy and agreement; paper_summary aggregates the seeds of each
// configuration and method: n, mean and sample standard deviation), the hardware sensitivity (every catalog device
// under both multiplier policies) and the k mix per epoch.
const char* const kV3Head = R"sql(
DROP VIEW paper_table;
CREATE VIEW paper_table AS
SELECT r.dataset, r.data, r.net, r.method, r.lambda, r.seed, r.test_accuracy,
       r.test_accuracy - f.test_accuracy AS delta_vs_fp32,
       r.fraction_k2, r.shifts_per_weight, r.lut_pct, r.ff_pct, r.dsp_pct, r.bram_pct, r.fpga_images_per_s,
       r.fpga_images_per_s / l2.fpga_images_per_s AS speedup_vs_lightnn2,
       r.fpga_images_per_s / f4.fpga_images_per_s AS speedup_vs_fixed4,
       r.asic_compute_j, r.asic_total_j, r.asic_compute_ops_per_j, r.hw_accuracy, r.bit_agreement
FROM results r
LEFT JOIN results f  ON f.dataset = r.dataset AND f.net = r.net AND f.seed = r.seed AND f.method = 'fp32'
LEFT JOIN results l2 ON l2.dataset = r.dataset AND l2.net = r.net AND l2.seed = r.seed AND l2.method = 'lightnn2'
LEFT JOIN results f4 ON f4.dataset = r.dataset AND f4.net = r.net AND f4.seed = r.seed AND f4.method = 'fixed4'
ORDER BY r.dataset, r.net, r.seed, r.method, r.lambda;
)sql";
const char* const kV3Tail = R"sql(
CREATE VIEW sensitivity AS
SELECT e.key, e.name,
       json_extract(e.config, '$.dataset') AS dataset,
       json_extract(e.config, '$.data') AS data,
       json_extract(e.config, '$.net') AS net,
       json_extract(e.config, '$.method') AS method,
       json_extract(e.config, '$.lambda') AS lambda,
       json_extract(e.config, '$.seed') AS seed,
       json_extract(s.value, '$.device') AS device,
       json_extract(s.value, '$.policy') AS policy,
       json_extract(s.value, '$.found') AS found,
       json_extract(s.value, '$.images_per_s') AS fpga_images_per_s,
       json_extract(s.value, '$.lut_pct') AS lut_pct,
       json_extract(s.value, '$.dsp_pct') AS dsp_pct
FROM experiments e, json_each(e.result, '$.hardware.sensitivity') s
WHERE e.status = 'done';
DROP VIEW training_curves;
CREATE VIEW training_curves AS
SELECT e.key, e.name,
       json_extract(c.value, '$.epoch') AS epoch,
       json_extract(c.value, '$.train_loss') AS train_loss,
       json_extract(c.value, '$.train_acc') AS train_accuracy,
       json_extract(c.value, '$.test_acc') AS test_accuracy,
       json_extract(c.value, '$.seconds') AS seconds,
       json_extract(c.value, '$.fraction_k2') AS fraction_k2
FROM experiments e, json_each(e.result, '$.train.epochs_curve') c
WHERE e.status = 'done';
)sql";

// paper_summary: per configuration and method, n and of each measured column the mean and (n > 1) the sample
// standard deviation, sqrt((Σx² − n·mean²) / (n − 1)).
std::string paper_summary_sql() {
  std::string sql = "CREATE VIEW paper_summary AS\nSELECT dataset, data, net, method, lambda, COUNT(*) AS n";
  for (const std::string c : {"test_accuracy", "delta_vs_fp32", "fraction_k2", "shifts_per_weight", "fpga_images_per_s",
                              "speedup_vs_lightnn2", "speedup_vs_fixed4", "asic_compute_ops_per_j"}) {
    sql += ",\n       AVG(" + c + ") AS " + c + "_mean,\n       CASE WHEN COUNT(" + c + ") > 1 THEN sqrt(max(0.0, (SUM(" + c +
           " * " + c + ") - COUNT(" + c + ") * AVG(" + c + ") * AVG(" + c + ")) / (COUNT(" + c + ") - 1))) END AS " + c +
           "_std";
  }
  for (const std::string c : {"lut_pct", "ff_pct", "dsp_pct", "bram_pct", "asic_compute_j", "asic_total_j", "bit_agreement"}) {
    sql += ",\n       AVG(" + c + ") AS " + c + "_mean";
  }
  return sql + "\nFROM paper_table\nGROUP BY dataset, data, net, method, lambda\nORDER BY dataset, net, method, lambda;\n";
}

// Schema migrations: entry i takes user_version i to i + 1.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m{kMigrations[0], kMigrations[1],
                                          kV3Head + paper_summary_sql() + kV3Tail};
  return m;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Repository::Impl {
  sqlite3* db = nullptr;
  std::string file;

  // Closes the connection however the Repository ends, also when its constructor throws; an open transaction is
  // rolled back first.  sqlite3_close_v2 never leaves the handle open: should a statement still be live (a bug), the
  // connection closes when it is finalized instead of leaking (sqlite3_close would return SQLITE_BUSY and keep it).
  ~Impl() { close(); }
  void close() {
    if (!db) return;
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db);
    db = nullptr;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw RunError(file + ": SQLite error in " + what + ": " +
                   (db ? sqlite3_errmsg(db) : "the connection was closed after a failed rollback"));
  }
  void exec(const char* sql, const char* what) {
    if (!db) fail(what);
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw RunError(file + ": SQLite error in " + what + ": " + msg);
    }
  }

  // A prepared statement, finalized on scope exit.
  struct Stmt {
    Impl& impl;
    sqlite3_stmt* s = nullptr;
    const char* what;
    Stmt(Impl& i, const char* sql, const char* w) : impl(i), what(w) {
      if (!i.db || sqlite3_prepare_v2(i.db, sql, -1, &s, nullptr) != SQLITE_OK) i.fail(w);
    }
    ~Stmt() { sqlite3_finalize(s); }
    Stmt& text(int idx, const std::string& v) {
      if (sqlite3_bind_text(s, idx, v.c_str(), int(v.size()), SQLITE_TRANSIENT) != SQLITE_OK) impl.fail(what);
      return *this;
    }
    Stmt& real(int idx, double v) {
      if (sqlite3_bind_double(s, idx, v) != SQLITE_OK) impl.fail(what);
      return *this;
    }
    Stmt& integer(int idx, long v) {
      if (sqlite3_bind_int64(s, idx, v) != SQLITE_OK) impl.fail(what);
      return *this;
    }
    bool step() {  // true: a row is ready
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      impl.fail(what);
    }
    std::string column_text(int c) {
      const auto* p = sqlite3_column_text(s, c);
      return p ? reinterpret_cast<const char*>(p) : "";
    }
  };

  // One statement run once per item (bind(stmt, item) binds its parameters), all in one transaction; returns the
  // number of rows changed.
  template <typename Items, typename Bind>
  int each(const char* sql, const char* what, const Items& items, Bind&& bind) {
    return transaction([&] {
      Stmt st(*this, sql, what);
      int changed = 0;
      for (const auto& item : items) {
        bind(st, item);
        st.step();
        changed += sqlite3_changes(db);
        sqlite3_reset(st.s);
      }
      return changed;
    });
  }

  // BEGIN IMMEDIATE … COMMIT, rolled back when the body throws.
  template <typename F>
  auto transaction(F&& body) {
    exec("BEGIN IMMEDIATE", "BEGIN IMMEDIATE");
    try {
      auto r = body();
      exec("COMMIT", "COMMIT");
      return r;
    } catch (...) {
      // A rollback can fail (a full disk, an I/O error); a connection left inside the transaction would make every
      // later statement part of it, so it is closed instead (closing rolls back) and later calls fail loudly.
      if (db && sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK && !sqlite3_get_autocommit(db)) {
        close();
      }
      throw;
    }
  }
};

Repository::Repository(const std::filesystem::path& file) : file_(file), impl_(std::make_unique<Impl>()) {
  impl_->file = file.string();
  if (sqlite3_open_v2(file.c_str(), &impl_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
    throw InputError(file.string() + ": cannot open results database (" + msg + ")");
  }
  sqlite3_busy_timeout(impl_->db, 30000);
  std::string mode;
  try {
    Impl::Stmt st(*impl_, "PRAGMA journal_mode=WAL", "PRAGMA journal_mode");
    if (st.step()) mode = st.column_text(0);
  } catch (const RunError&) {
    if (sqlite3_errcode(impl_->db) != SQLITE_NOTADB) throw;
    throw InputError(describe_input_problem(file.string(), "not a results database", "an SQLite file",
                                            "other content"));
  }
  // SQLite answers with the mode it is in: a file system without shared memory (some network file systems) stays in
  // a rollback journal, where several processes on one file would block each other; say so rather than go on.
  if (mode != "wal") {
    throw InputError(describe_input_problem(file.string(), "cannot use write-ahead logging (journal mode)", "wal",
                                            (mode.empty() ? std::string("no answer") : mode) +
                                                "; put the database on a local file system"));
  }
  // FULL: a committed outcome survives a power cut too (an fsync per commit; commits are one per experiment).
  impl_->exec("PRAGMA synchronous=FULL", "PRAGMA synchronous");
  const int version = schema_version();
  const int latest = int(migrations().size());
  if (latest != kSchemaVersion) throw InternalError("schema migrations do not reach kSchemaVersion");
  if (version > latest) {
    throw InputError(describe_input_problem(file.string(), "results database from a newer FLight DSE",
                                            "schema version ≤ " + std::to_string(latest), std::to_string(version)));
  }
  impl_->transaction([&] {
    for (int v = schema_version(); v < latest; ++v) {
      impl_->exec(migrations()[std::size_t(v)].c_str(), "schema migration");
      impl_->exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str(), "PRAGMA user_version");
    }
    return 0;
  });
}

Repository::~Repository() = default;

int Repository::schema_version() const {
  Impl::Stmt st(*impl_, "PRAGMA user_version", "PRAGMA user_version");
  return st.step() ? sqlite3_column_int(st.s, 0) : 0;
}

int Repository::add(const std::vector<Experiment>& experiments) {
  return impl_->each("INSERT OR IGNORE INTO experiments(key, config, name, parent) VALUES (?1, ?2, ?3, ?4)",
                     "add experiments", experiments, [](Impl::Stmt& st, const Experiment& e) {
                       st.text(1, e.key).text(2, e.config).text(3, e.name).text(4, e.parent);
                     });
}

std::optional<Experiment> Repository::claim_next(const std::string& host, long pid,
                                                const std::vector<std::string>* only) {
  return impl_->transaction([&]() -> std::optional<Experiment> {
    // Children of a failed or skipped parent can never run: skipped, naming the parent.
    impl_->exec(
        "UPDATE experiments SET status = 'skipped', error = 'parent ' || "
        "(SELECT COALESCE(p.name, p.key) || ' ' || p.status FROM experiments p WHERE p.key = experiments.parent) "
        "WHERE status = 'pending' AND parent IN (SELECT key FROM experiments WHERE status IN ('failed', 'skipped'))",
        "claim: skip children of failed parents");
    Impl::Stmt pick(*impl_,
                    "SELECT e.key, e.config, COALESCE(e.name, ''), COALESCE(e.parent, '') FROM experiments e "
                    "LEFT JOIN experiments p ON p.key = e.parent "
                    "WHERE e.status = 'pending' AND (COALESCE(e.parent, '') = '' OR p.status = 'done') "
                    "ORDER BY e.rowid",
                    "claim: select");
    std::optional<Experiment> e;
    while (pick.step()) {
      Experiment c{pick.column_text(0), pick.column_text(1), pick.column_text(2), pick.column_text(3)};
      if (!only || std::find(only->begin(), only->end(), c.key) != only->end()) {
        e = std::move(c);
        break;
      }
    }
    if (!e) return std::nullopt;
    Impl::Stmt mark(*impl_,
                    "UPDATE experiments SET status = 'running', host = ?2, pid = ?3, claimed_at = ?4 WHERE key = ?1",
                    "claim: update");
    mark.text(1, e->key).text(2, host).integer(3, pid).real(4, now_seconds());
    mark.step();
    return e;
  });
}

void Repository::set_outcome(const std::string& key, const char* status, const std::string* result,
                             const std::string* error) {
  Impl& impl = *impl_;
  impl.transaction([&] {
    Impl::Stmt st(impl,
                              "UPDATE experiments SET status = ?2, finished_at = ?3, result = ?4, error = ?5 "
                              "WHERE key = ?1",
                              "record outcome");
    st.text(1, key).text(2, status).real(3, now_seconds());
    if (result) st.text(4, *result);
    if (error) st.text(5, *error);
    st.step();
    if (sqlite3_changes(impl.db) != 1) throw RunError(impl.file + ": no experiment with key " + key);
    return 0;
  });
}

void Repository::finish(const std::string& key, const std::string& result_json) {
  set_outcome(key, "done", &result_json, nullptr);
}
void Repository::replace_result(const std::string& key, const std::string& result_json) {
  Impl& impl = *impl_;
  impl.transaction([&] {
    Impl::Stmt st(impl, "UPDATE experiments SET result = ?2 WHERE key = ?1 AND status = 'done'", "replace result");
    st.text(1, key).text(2, result_json);
    st.step();
    if (sqlite3_changes(impl.db) != 1) throw RunError(impl.file + ": no finished experiment with key " + key);
    return 0;
  });
}
void Repository::fail(const std::string& key, const std::string& error) { set_outcome(key, "failed", nullptr, &error); }
void Repository::skip(const std::string& key, const std::string& reason) {
  set_outcome(key, "skipped", nullptr, &reason);
}

int Repository::release_running(const std::string& host, const std::vector<long>& dead_pids) {
  return impl_->each(
      "UPDATE experiments SET status = 'pending', host = NULL, pid = NULL, claimed_at = NULL "
      "WHERE status = 'running' AND host = ?1 AND pid = ?2",
      "release running", dead_pids, [&](Impl::Stmt& st, long pid) { st.text(1, host).integer(2, pid); });
}

bool Repository::release(const std::string& key) {
  return impl_->each(
             "UPDATE experiments SET status = 'pending', host = NULL, pid = NULL, claimed_at = NULL "
             "WHERE status = 'running' AND key = ?1",
             "release", std::vector<std::string>{key}, [](Impl::Stmt& st, const std::string& k) { st.text(1, k); }) > 0;
}

int Repository::reset_skipped(const std::vector<std::string>& keys) {
  return impl_->each(
      "UPDATE experiments SET status = 'pending', error = NULL, finished_at = NULL, host = NULL, pid = NULL, "
      "claimed_at = NULL WHERE key = ?1 AND status = 'skipped'",
      "reset skipped", keys, [](Impl::Stmt& st, const std::string& k) { st.text(1, k); });
}

std::map<Status, int> Repository::counts() {
  std::map<Status, int> c;
  for (auto s : {Status::pending, Status::running, Status::done, Status::failed, Status::skipped}) c[s] = 0;
  Impl::Stmt st(*impl_, "SELECT status, COUNT(*) FROM experiments GROUP BY status", "counts");
  while (st.step()) {
    const auto name = st.column_text(0);
    for (auto& [s, n] : c)
      if (status_name(s) == name) n = sqlite3_column_int(st.s, 1);
  }
  return c;
}

std::optional<std::string> Repository::result(const std::string& key) {
  Impl::Stmt st(*impl_, "SELECT result FROM experiments WHERE key = ?1 AND status = 'done'", "result");
  st.text(1, key);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

std::vector<Row> Repository::rows() {
  Impl::Stmt st(*impl_,
                "SELECT key, COALESCE(name, ''), COALESCE(parent, ''), config, status, COALESCE(host, ''), "
                "COALESCE(error, ''), COALESCE(result, ''), COALESCE(pid, 0), COALESCE(claimed_at, 0), "
                "COALESCE(finished_at, 0) FROM experiments ORDER BY rowid",
                "rows");
  std::vector<Row> out;
  while (st.step()) {
    Row r{st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
          st.column_text(4), st.column_text(5), st.column_text(6), st.column_text(7)};
    r.pid = long(sqlite3_column_int64(st.s, 8));
    r.claimed_at = sqlite3_column_double(st.s, 9);
    r.finished_at = sqlite3_column_double(st.s, 10);
    out.push_back(std::move(r));
  }
  return out;
}

int Repository::import_rows(const std::vector<Row>& rows) {
  return impl_->each(
      "INSERT INTO experiments(key, name, parent, config, status, host, error, result, pid, claimed_at, "
      "finished_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''), NULLIF(?7, ''), NULLIF(?8, ''), "
      "NULLIF(?9, 0), NULLIF(?10, 0), NULLIF(?11, 0)) "
      "ON CONFLICT(key) DO UPDATE SET status = excluded.status, host = excluded.host, "
      "error = excluded.error, result = excluded.result, pid = excluded.pid, "
      "claimed_at = excluded.claimed_at, finished_at = excluded.finished_at "
      "WHERE excluded.status = 'done' AND experiments.status <> 'done'",
      "import rows", rows, [](Impl::Stmt& st, const Row& r) {
        st.text(1, r.key).text(2, r.name).text(3, r.parent).text(4, r.config).text(5, r.status).text(6, r.host);
        st.text(7, r.error).text(8, r.result).integer(9, r.pid).real(10, r.claimed_at).real(11, r.finished_at);
      });
}

void Repository::set_meta(const std::string& name, const std::string& value) {
  impl_->transaction([&] {
    Impl::Stmt st(*impl_, "INSERT OR REPLACE INTO sweep_meta(name, value) VALUES (?1, ?2)", "set meta");
    st.text(1, name).text(2, value);
    st.step();
    return 0;
  });
}

std::optional<std::string> Repository::meta(const std::string& name) {
  Impl::Stmt st(*impl_, "SELECT value FROM sweep_meta WHERE name = ?1", "meta");
  st.text(1, name);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

std::map<std::string, std::string> Repository::all_meta() {
  Impl::Stmt st(*impl_, "SELECT name, value FROM sweep_meta", "meta");
  std::map<std::string, std::string> out;
  while (st.step()) out[st.column_text(0)] = st.column_text(1);
  return out;
}

std::vector<std::vector<std::string>> Repository::query(const std::string& sql) {
  Impl::Stmt st(*impl_, sql.c_str(), "query");
  if (!sqlite3_stmt_readonly(st.s)) throw InputError("query: only read-only statements are allowed: " + sql);
  std::vector<std::vector<std::string>> out;
  const int n = sqlite3_column_count(st.s);
  std::vector<std::string> head;
  for (int c = 0; c < n; ++c) head.push_back(sqlite3_column_name(st.s, c));
  out.push_back(std::move(head));
  while (st.step()) {
    std::vector<std::string> row;
    for (int c = 0; c < n; ++c) row.push_back(st.column_text(c));
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace flight::db
