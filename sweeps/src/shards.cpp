#include "flight/sweeps/shards.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/db/repository.hpp"
#include "flight/sweeps/model_file.hpp"

namespace flight::sweeps {
namespace fs = std::filesystem;

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

SlurmScripts slurm_scripts(const Grid& g, const SlurmRequest& r) {
  if (r.shards < 1) throw InputError("--shards: expected a positive number of shards");
  for (int i = 0; i < r.shards; ++i) {
    if (shard_of(g, i, r.shards).empty()) {
      throw InputError("--shards: shard " + std::to_string(i) + " of " + std::to_string(r.shards) +
                       " would be empty (the grid has fewer FP32-parent trees than shards)");
    }
  }
  {
    int h = 0, m = 0, sec = 0;
    char c1 = 0, c2 = 0, extra = 0;
    if (std::sscanf(r.time_limit.c_str(), "%d%c%d%c%d%c", &h, &c1, &m, &c2, &sec, &extra) != 5 || c1 != ':' ||
        c2 != ':' || h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59) {
      throw InputError("--time: expected HH:MM:SS, found '" + r.time_limit + "'");
    }
  }
  const fs::path dir = r.out;
  std::string common = sh_quote(r.grid_file) + " --profile " + sh_quote(r.profile) + " --data-dir " + sh_quote(r.data_root);
  for (const auto& s : r.substitute) common += " --substitute " + sh_quote(s);
  const std::string n = std::to_string(r.shards);
  const std::string header_extra =
      (r.partition.empty() ? "" : "#SBATCH --partition=" + r.partition + "\n") + "#SBATCH --time=" + r.time_limit + "\n";
  SlurmScripts out;
  {
    std::ostringstream f;
    f << "#!/bin/bash\n"
      << "# Written by `flight sweep slurm`: one array task per shard of grid " << g.name << " (profile " << g.profile
      << ").\n# Re-run one failed or pre-empted shard K alone: sbatch --array=K " << (dir / "sweep.sbatch").string()
      << "\n# (it resumes that shard's database), then: sbatch " << (dir / "merge.sbatch").string() << "\n"
      << "#SBATCH --job-name=flight-" << g.name << "\n"
      << "#SBATCH --array=0-" << r.shards - 1 << "\n"
      << "#SBATCH --cpus-per-task=" << r.cpus << "\n" << header_extra
      << "#SBATCH --output=" << (dir / "logs/shard-%a.log").string() << "\n"
      << "set -euo pipefail\n"
      << "K=${SLURM_ARRAY_TASK_ID:?run me with sbatch}\n"
      << "exec " << sh_quote(r.flight) << " sweep run " << common << " --shard \"$K/" << n << "\" --jobs 1 --threads "
      << r.cpus << " --db " << sh_quote((dir / "shard-").string()) << "\"$K\".sqlite --models "
      << sh_quote((dir / "models").string()) << "\n";
    out.sweep = f.str();
  }
  {
    std::ostringstream f;
    f << "#!/bin/bash\n"
      << "# Written by `flight sweep slurm`: merges the shard databases and writes the report.\n"
      << "#SBATCH --job-name=flight-" << g.name << "-merge\n"
      << "#SBATCH --cpus-per-task=1\n" << header_extra
      << "#SBATCH --output=" << (dir / "logs/merge.log").string() << "\n"
      << "set -euo pipefail\n"
      << "cd " << sh_quote(dir.string()) << "\n"
      << "rm -f merged.sqlite merged.sqlite-wal merged.sqlite-shm\n"
      << sh_quote(r.flight) << " db merge";
    for (int i = 0; i < r.shards; ++i) f << " shard-" << i << ".sqlite";
    f << " -o merged.sqlite\n"
      << sh_quote(r.flight) << " report --db merged.sqlite --out report.md\n"
      << sh_quote(r.flight) << " report --db merged.sqlite --format csv --out report.csv\n";
    out.merge = f.str();
  }
  return out;
}

MergeResult merge_databases(const std::vector<std::string>& inputs, const std::string& out) {
  if (inputs.empty()) throw InputError("db merge: no input databases");
  if (fs::exists(out)) throw InputError(out + ": output exists (merge writes a new file; remove it first)");
  std::optional<std::map<std::string, std::string>> first;
  std::string first_file;
  std::vector<std::vector<db::Row>> all;
  for (const auto& in : inputs) {
    if (!fs::exists(in)) throw InputError(in + ": no such results database");
    db::Repository repo(in);
    auto meta = repo.all_meta();
    if (!meta.count("fingerprint")) {
      throw InputError(describe_input_problem(in, "sweep metadata", "a database written by flight sweep run", "none"));
    }
    if (!first) {
      first = meta, first_file = in;
    } else {
      for (const char* k : {"grid", "profile", "fingerprint"}) {
        if (meta[k] != (*first)[k]) {
          throw InputError(describe_input_problem(in, std::string("sweep ") + k + " (must match " + first_file + ")",
                                                  (*first)[k], meta[k]));
        }
      }
    }
    all.push_back(repo.rows());
  }
  const std::string tmp = out + ".tmp";
  fs::remove(tmp);
  std::set<std::string> done, finished;
  std::map<std::string, std::string> names;
  {
    db::Repository db_out(tmp);
    for (const auto& [k, v] : *first)
      if (k != "shard") db_out.set_meta(k, v);
    db_out.set_meta("shard", "merged from " + std::to_string(inputs.size()) + " file(s)");
    for (const auto& rows : all) {
      db_out.import_rows(rows);
      for (const auto& r : rows) {
        names[r.key] = r.name;
        if (r.status == "done") done.insert(r.key);
        if (r.status == "done" || r.status == "failed" || r.status == "skipped") finished.insert(r.key);
      }
    }
  }
  durable_rename(tmp, out);
  MergeResult m;
  m.grid = first->at("grid");
  m.inputs = inputs.size();
  m.done = done.size();
  m.finished = finished.size();
  const auto keys = boost::json::parse(first->at("expected_keys")).as_array();
  m.expected = keys.size();
  for (const auto& k : keys) {
    const std::string key(k.as_string());
    if (!finished.count(key)) m.missing.push_back(names.count(key) ? names[key] : key);
  }
  return m;
}

}  // namespace flight::sweeps
