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
};

class Repository {
 public:
  static constexpr int kSchemaVersion = 1;

  explicit Repository(const std::filesystem::path& file);
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  int schema_version() const;
  const std::filesystem::path& file() const { return file_; }

  // Adds experiments not yet present (by key); returns how many were new.
  int add(const std::vector<Experiment>& experiments);
  // Claims one pending experiment for this process; nullopt when none is pending.
  std::optional<Experiment> claim_next(const std::string& host, long pid);
  void finish(const std::string& key, const std::string& result_json);
  void fail(const std::string& key, const std::string& error);
  void skip(const std::string& key, const std::string& reason);
  // Running rows whose process is gone (after a kill -9) go back to pending; returns how many.
  int release_running(const std::string& host, const std::vector<long>& dead_pids);
  std::map<Status, int> counts();
  std::optional<std::string> result(const std::string& key);

 private:
  struct Impl;
  void set_outcome(const std::string& key, const char* status, const std::string* result, const std::string* error);
  std::filesystem::path file_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flight::db
