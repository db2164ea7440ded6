#pragma once
// `flight report`: the paper tables and the paper's three headline claims, computed from a results database alone
// (so a merged database of shards gives the same report as an unsharded run).
#include <string>

#include "flight/db/repository.hpp"

namespace flight::sweeps {

// Markdown: a header (grid, profile, counts, substitutions), one table per configuration (data set × network) with
// one row per method, then the claims table (paper value, ours, holds or not) and the experiments that did not finish.
std::string report_markdown(db::Repository& repo);
// CSV: one row per finished experiment with the same columns as the Markdown tables.
std::string report_csv(db::Repository& repo);

}  // namespace flight::sweeps
