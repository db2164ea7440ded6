#include "flight/sweeps/claims.hpp"

#include <cmath>
#include <cstdio>

namespace flight::sweeps {

Spread spread(const std::vector<double>& xs) {
  Spread s;
  s.n = int(xs.size());
  if (xs.empty()) {
    s.mean = s.std = s.se = NAN;
    return s;
  }
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / double(xs.size());
  if (xs.size() < 2) {
    s.std = s.se = NAN;
    return s;
  }
  double ss = 0;
  for (double x : xs) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / double(xs.size() - 1));  // sample standard deviation
  s.se = s.std / std::sqrt(double(xs.size()));
  return s;
}

Comparison compare(const std::vector<double>& d, double threshold) {
  Comparison c;
  c.diff = spread(d);
  c.threshold = threshold;
  if (c.diff.n < 2) {
    c.outcome = Outcome::no_estimate;
  } else if (c.diff.mean - 2 * c.diff.se > threshold) {
    c.outcome = Outcome::above;
  } else if (c.diff.mean + 2 * c.diff.se < threshold) {
    c.outcome = Outcome::below;
  } else {
    c.outcome = Outcome::within_noise;
  }
  return c;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::above: return "above";
    case Outcome::below: return "below";
    case Outcome::within_noise: return "within noise";
    case Outcome::no_estimate: return "no noise estimate";
  }
  return "?";
}

std::string combine(const std::vector<Outcome>& outcomes) {
  if (outcomes.empty()) return "not measured";
  int above = 0, below = 0, within = 0, none = 0;
  for (auto o : outcomes) {
    above += o == Outcome::above;
    below += o == Outcome::below;
    within += o == Outcome::within_noise;
    none += o == Outcome::no_estimate;
  }
  if (none) return "no noise estimate (n = 1): not judged";
  const int n = int(outcomes.size());
  if (above == n) return "holds";
  if (below == n) return "does not hold";
  if (within == n) return "within noise";
  return "holds in part (" + std::to_string(above) + " holds, " + std::to_string(within) + " within noise, " +
         std::to_string(below) + " does not hold)";
}

std::string mean_pm(const Spread& s, const char* format, double scale, const std::string& unit, bool show_n) {
  if (s.n == 0 || std::isnan(s.mean)) return "–";
  char a[64], b[64];
  std::snprintf(a, sizeof a, format, s.mean * scale);
  const std::string n = show_n ? " (n=" + std::to_string(s.n) + ")" : "";
  if (std::isnan(s.std)) return std::string(a) + unit + n;
  std::snprintf(b, sizeof b, format, s.std * scale);
  std::string sb = b;
  if (!sb.empty() && sb[0] == '+') sb.erase(0, 1);
  return std::string(a) + " ± " + sb + unit + n;
}

}  // namespace flight::sweeps
