#pragma once
// The statistics behind the report's verdicts: the spread of a quantity over seeds, and whether a per-seed paired
// difference lies clearly above, clearly below, or within noise of a threshold.
//
// The test: with n >= 2 paired differences d_i (same seed, same FP32 parent), mean m and standard error
// SE = s / sqrt(n), the difference is *above* the threshold t when m - 2·SE > t, *below* when m + 2·SE < t, and
// *within noise* otherwise (two standard errors of the difference: about a 95 % interval for normal noise, a little
// narrow for n = 3, where Student's t would use 4.3·SE; the report names the rule).  With n = 1 there is no noise
// estimate, and the comparison says so rather than pretending one run decides.
#include <string>
#include <vector>

namespace flight::sweeps {

struct Spread {
  int n = 0;
  double mean = 0, std = 0, se = 0;  // std and se are NaN for n < 2 (no estimate)
};
Spread spread(const std::vector<double>& xs);

enum class Outcome { above, below, within_noise, no_estimate };

struct Comparison {
  Spread diff;
  double threshold = 0;
  Outcome outcome = Outcome::no_estimate;
};
Comparison compare(const std::vector<double>& paired_differences, double threshold);

// Verdict over several configurations' comparisons: "holds" when every one is above the threshold, "does not hold"
// when every one is below, "within noise" when none is clearly either way, "holds in part (…)" for a mix, "no noise
// estimate (n = 1)" when any configuration has one seed, and "not measured" for none.
std::string combine(const std::vector<Outcome>& outcomes);

const char* outcome_name(Outcome o);  // "above", "below", "within noise", "no noise estimate"

// "m ± s<unit> (n=N)" with the given printf format for m and s, scaled by `scale`; "m<unit> (n=1)" when there is no
// spread; "–" for no value.  Without `show_n` the " (n=N)" is left out.
std::string mean_pm(const Spread& s, const char* format, double scale = 1, const std::string& unit = "",
                    bool show_n = true);

}  // namespace flight::sweeps
