#pragma once
// The results database (SQLite): one repository interface; only db/ includes <sqlite3.h>.
//
// Contract:
//   - open() creates or migrates the schema (PRAGMA user_version), switches to WAL and sets a busy timeout, so
//     several processes can share one file; a file from a newer FLight DSE is refused (InputError).
//   - claim_next() moves one pending experiment to running inside BEGIN IMMEDIATE: two processes never claim the
//     same key.  finish()/fail()/skip() write an experiment's outcome in one transaction.
//   - Every SQLite return code is checked; a failure is a RunError naming the file and the statement.
//   - Not thread-safe: one Repository per thread (each opens its own connection).
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flight::db {

enum class Status { pending, running, done, failed, skipped };
std::string status_name(Status s);

struct Experiment {
  std::string key;     // hash of the canonical configuration
  std::string config;  // canonical configuration, JSON
  std::string name;    // for people ("mnist/lenet-l/lightnn2/s1")
  std::string parent;  // key of the experiment this one needs first ("" none)
};

// One experiments row as stored (for reports, merges and exports).
struct Row {
  std::string key, name, parent, config, status, host, error, result;
  long pid = 0;
  double claimed_at = 0, finished_at = 0;
};

class Repository {
 public:
  static constexpr int kSchemaVersion = 3;

  explicit Repository(const std::filesystem::path& file);
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  int schema_version() const;
  const std::filesystem::path& file() const { return file_; }

  // Adds experiments not yet present (by key); returns how many were new.
  int add(const std::vector<Experiment>& experiments);
  // Claims one pending experiment whose parent is done, for this process; nullopt when none is ready.  When `only`
  // is given, only those keys are considered (a shard).  A pending experiment whose parent failed or was skipped is
  // marked skipped on the way, naming the parent.
  std::optional<Experiment> claim_next(const std::string& host, long pid, const std::vector<std::string>* only = nullptr);
  void finish(const std::string& key, const std::string& result_json);
  // A done experiment's result replaced (its timings kept): the hardware stage recomputed.  RunError when the key is
  // not a done experiment.
  void replace_result(const std::string& key, const std::string& result_json);
  void fail(const std::string& key, const std::string& error);
  void skip(const std::string& key, const std::string& reason);
  // Running rows whose process is gone (after a kill -9) go back to pending; returns how many.
  int release_running(const std::string& host, const std::vector<long>& dead_pids);
  // One running experiment goes back to pending (a cancelled run keeps its checkpoint for the next); other rows of
  // the same process are untouched.  Returns whether the row was running.
  bool release(const std::string& key);
  // Skipped rows among `keys` go back to pending (a skip is re-decided on every run: the data may be there now).
  int reset_skipped(const std::vector<std::string>& keys);
  std::map<Status, int> counts();
  std::optional<std::string> result(const std::string& key);
  std::vector<Row> rows();
  // Writes rows as they are (merging): a key not present is inserted; a present one is replaced only when the new
  // row is done and the old one is not.  One transaction.  Returns how many rows were written.
  int import_rows(const std::vector<Row>& rows);

  // Sweep metadata (grid name, profile, fingerprint, expected keys): one text value per name.
  void set_meta(const std::string& name, const std::string& value);
  std::optional<std::string> meta(const std::string& name);
  std::map<std::string, std::string> all_meta();

  // Runs a read-only query and returns the rows as text (NULL as ""), with the column names first (exports).
  std::vector<std::vector<std::string>> query(const std::string& sql);

 private:
  struct Impl;
  void set_outcome(const std::string& key, const char* status, const std::string* result, const std::string* error);
  std::filesystem::path file_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flight::db
