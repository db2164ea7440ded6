#pragma once
// Shards across machines (DESIGN.md §2, §8): the Slurm scripts that run a grid as a job array, one shard per task,
// and the merge of the shards' databases.  The CLI (`flight sweep slurm`, `flight db merge`) parses, calls, writes and
// prints.
#include <filesystem>
#include <string>
#include <vector>

#include "flight/sweeps/grid.hpp"

namespace flight::sweeps {

struct SlurmRequest {
  std::filesystem::path out;  // folder for the scripts, logs, shard databases and models (absolute)
  std::string grid_file;      // absolute
  std::string profile;
  std::vector<std::string> substitute;  // FROM=TO as given
  std::string data_root;                // absolute
  std::string flight;                   // the flight binary the nodes run (absolute)
  int shards = 1, cpus = 2;
  std::string partition;  // "" none
  std::string time_limit = "24:00:00";
};

struct SlurmScripts {
  std::string sweep, merge;  // sweep.sbatch (the array), merge.sbatch (after it)
};

// Contract: InputError for shards < 1, an empty shard (fewer FP32-parent trees than shards) or a time limit that is
// not HH:MM:SS.  Pure: writes nothing.
SlurmScripts slurm_scripts(const Grid& g, const SlurmRequest& r);

// Single-quotes a word for bash.
std::string sh_quote(const std::string& s);

struct MergeResult {
  std::string grid;
  std::size_t inputs = 0, expected = 0, done = 0, finished = 0;  // finished: done, failed or skipped
  std::vector<std::string> missing;  // names of the grid's experiments no input finished
};

// Merges shard databases of one grid and profile into a new database `out` (written aside and renamed).
// Contract: InputError when there is no input, `out` exists, an input is not a sweep database, or the inputs are of
// different grids, profiles or fingerprints.
MergeResult merge_databases(const std::vector<std::string>& inputs, const std::string& out);

}  // namespace flight::sweeps
