#include "flight/db/repository.hpp"

#include <sqlite3.h>

#include <chrono>

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

// Schema migrations: entry i takes user_version i to i + 1.
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
)sql"};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Repository::Impl {
  sqlite3* db = nullptr;
  std::string file;

  // Closes the connection however the Repository ends, also when its constructor throws; an open transaction is
  // rolled back first.
  ~Impl() {
    if (!db) return;
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw RunError(file + ": SQLite error in " + what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
  }
  void exec(const char* sql, const char* what) {
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
      if (sqlite3_prepare_v2(i.db, sql, -1, &s, nullptr) != SQLITE_OK) i.fail(w);
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

  // BEGIN IMMEDIATE … COMMIT, rolled back when the body throws.
  template <typename F>
  auto transaction(F&& body) {
    exec("BEGIN IMMEDIATE", "BEGIN IMMEDIATE");
    try {
      auto r = body();
      exec("COMMIT", "COMMIT");
      return r;
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
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
  try {
    impl_->exec("PRAGMA journal_mode=WAL", "PRAGMA journal_mode");
  } catch (const RunError&) {
    if (sqlite3_errcode(impl_->db) != SQLITE_NOTADB) throw;
    throw InputError(describe_input_problem(file.string(), "not a results database", "an SQLite file",
                                            "other content"));
  }
  impl_->exec("PRAGMA synchronous=NORMAL", "PRAGMA synchronous");
  const int version = schema_version();
  constexpr int latest = int(sizeof(kMigrations) / sizeof(kMigrations[0]));
  static_assert(latest == kSchemaVersion);
  if (version > latest) {
    throw InputError(describe_input_problem(file.string(), "results database from a newer FLight DSE",
                                            "schema version ≤ " + std::to_string(latest), std::to_string(version)));
  }
  impl_->transaction([&] {
    for (int v = schema_version(); v < latest; ++v) {
      impl_->exec(kMigrations[v], "schema migration");
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
  return impl_->transaction([&] {
    Impl::Stmt st(*impl_, "INSERT OR IGNORE INTO experiments(key, config) VALUES (?1, ?2)", "add experiments");
    int added = 0;
    for (const auto& e : experiments) {
      st.text(1, e.key).text(2, e.config);
      st.step();
      added += sqlite3_changes(impl_->db);
      sqlite3_reset(st.s);
    }
    return added;
  });
}

std::optional<Experiment> Repository::claim_next(const std::string& host, long pid) {
  return impl_->transaction([&]() -> std::optional<Experiment> {
    Impl::Stmt pick(*impl_, "SELECT key, config FROM experiments WHERE status = 'pending' ORDER BY rowid LIMIT 1",
                    "claim: select");
    if (!pick.step()) return std::nullopt;
    Experiment e{pick.column_text(0), pick.column_text(1)};
    Impl::Stmt mark(*impl_,
                    "UPDATE experiments SET status = 'running', host = ?2, pid = ?3, claimed_at = ?4 WHERE key = ?1",
                    "claim: update");
    mark.text(1, e.key).text(2, host).integer(3, pid).real(4, now_seconds());
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
void Repository::fail(const std::string& key, const std::string& error) { set_outcome(key, "failed", nullptr, &error); }
void Repository::skip(const std::string& key, const std::string& reason) {
  set_outcome(key, "skipped", nullptr, &reason);
}

int Repository::release_running(const std::string& host, const std::vector<long>& dead_pids) {
  return impl_->transaction([&] {
    Impl::Stmt st(*impl_,
                  "UPDATE experiments SET status = 'pending', host = NULL, pid = NULL, claimed_at = NULL "
                  "WHERE status = 'running' AND host = ?1 AND pid = ?2",
                  "release running");
    int released = 0;
    for (long pid : dead_pids) {
      st.text(1, host).integer(2, pid);
      st.step();
      released += sqlite3_changes(impl_->db);
      sqlite3_reset(st.s);
    }
    return released;
  });
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

}  // namespace flight::db
