#pragma once
// The sweep runner: experiments of a grid (or one shard of it) claimed from a results database and run `jobs` at a
// time, each in its own oneTBB arena of `threads` threads (one threading layer: --jobs × --threads ≤ the cap).
//
// Contract:
//   - The database remembers the grid (name, profile, fingerprint); another grid's file is refused (InputError).
//   - Each experiment: train (fine-tuning from its parent's model file), then hardware results; its outcome is
//     written in one transaction.  A data set that is not on disk makes the experiment *skipped* with the reason.
//   - `stop` (set by SIGINT/SIGTERM) cancels running trainings at the next batch; they go back to pending and keep
//     their last epoch checkpoint, so a rerun resumes them.  After a kill -9, a rerun releases the dead process's
//     running rows first.
#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flight/sweeps/grid.hpp"

namespace flight::sweeps {

struct RunOptions {
  std::filesystem::path db;
  std::filesystem::path models;  // model files and checkpoints (default: <db>.models)
  std::filesystem::path data_root;
  int jobs = 1, threads = 1;
  std::optional<std::pair<int, int>> shard;  // (index, count)
  std::function<void(const std::string&)> log;  // one line per event (started, finished, failed, skipped)
};

struct RunSummary {
  int done = 0, failed = 0, skipped = 0, pending = 0;  // over the experiments this run was responsible for
  int ran = 0;                                          // finished by this run (done or failed)
  bool interrupted = false;
  double seconds = 0;
};

RunSummary run_sweep(const Grid& g, const RunOptions& o, const std::atomic<bool>& stop);

// Writes the grid's identity and its inputs' fingerprints (networks, built-in tables) into a results database, or
// checks that the database holds this same grid built from the same inputs: InputError with one line naming the
// database and the network file or table that changed otherwise.
void bind_database(const Grid& g, const std::filesystem::path& db, const std::string& shard_text);

// Which inputs differ from those a database recorded (empty: none, or a database that recorded none).
struct InputCheck {
  std::string network_problem;  // a network changed: only a new database helps
  std::string table_problem;    // a built-in table changed: --redo-hardware recomputes the hardware stage
  std::vector<std::string> tables_changed;
};
InputCheck check_inputs(const Grid& g, const std::filesystem::path& db);

// Recomputes the hardware results of every finished experiment of the grid in the database from its model file
// (after a cost table or the device catalog changed), one transaction per experiment, then records today's
// fingerprints.  Returns how many were recomputed.  InputError when a network changed (retraining is needed).
int redo_hardware(const Grid& g, const RunOptions& o, const std::function<void(const std::string&)>& log);

}  // namespace flight::sweeps
