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

// Writes the grid's identity into a results database, or checks that the database holds this same grid
// (InputError naming the file otherwise).
void bind_database(const Grid& g, const std::filesystem::path& db, const std::string& shard_text);

}  // namespace flight::sweeps
