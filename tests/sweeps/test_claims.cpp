// The verdict logic on constructed differences: a clear win, a clear loss, within noise, and one seed.
#include <gtest/gtest.h>

#include <cmath>

#include "flight/sweeps/claims.hpp"

namespace flight::sweeps {
namespace {

TEST(Claims, SpreadIsTheSampleStandardDeviation) {
  const auto s = spread({1.0, 2.0, 3.0});
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_DOUBLE_EQ(s.se, 1.0 / std::sqrt(3.0));
  const auto one = spread({0.5});
  EXPECT_EQ(one.n, 1);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_EQ(spread({}).n, 0);
}

TEST(Claims, ClearWinClearLossWithinNoiseAndOneSeed) {
  // +0.5 ± 0.1 pts over 3 seeds: SE 0.058, the interval [0.38, 0.62] clears 0.
  EXPECT_EQ(compare({0.004, 0.005, 0.006}, 0.0).outcome, Outcome::above);
  EXPECT_EQ(compare({-0.004, -0.005, -0.006}, 0.0).outcome, Outcome::below);
  // +0.05 ± 0.5 pts: the mean is inside two standard errors of 0.
  EXPECT_EQ(compare({0.0055, -0.0045, 0.0005}, 0.0).outcome, Outcome::within_noise);
  // A threshold other than zero: −0.05 pt against "at most 0.1 pt lost".
  EXPECT_EQ(compare({-0.0004, -0.0005, -0.0006}, -0.001).outcome, Outcome::above);
  EXPECT_EQ(compare({-0.0020, -0.0021, -0.0019}, -0.001).outcome, Outcome::below);
  // One seed: no noise estimate, however large the difference.
  EXPECT_EQ(compare({0.3}, 0.0).outcome, Outcome::no_estimate);
  // The boundary: mean exactly two standard errors above the threshold is not "above".
  const auto c = compare({1.0, 3.0}, 0.0);  // mean 2, std √2, SE 1: 2 − 2·1 = 0, not > 0
  EXPECT_EQ(c.outcome, Outcome::within_noise);
}

TEST(Claims, CombiningConfigurations) {
  EXPECT_EQ(combine({}), "not measured");
  EXPECT_EQ(combine({Outcome::above, Outcome::above}), "holds");
  EXPECT_EQ(combine({Outcome::below}), "does not hold");
  EXPECT_EQ(combine({Outcome::within_noise, Outcome::within_noise}), "within noise");
  EXPECT_EQ(combine({Outcome::above, Outcome::within_noise, Outcome::below}),
            "holds in part (1 holds, 1 within noise, 1 does not hold)");
  EXPECT_EQ(combine({Outcome::above, Outcome::no_estimate}), "no noise estimate (n = 1): not judged");
}

TEST(Claims, MeanPlusMinus) {
  EXPECT_EQ(mean_pm(spread({0.5, 0.7}), "%.2f", 100), "60.00 ± 14.14 (n=2)");
  EXPECT_EQ(mean_pm(spread({0.5}), "%+.1f", 100), "+50.0 (n=1)");
  EXPECT_EQ(mean_pm(spread({}), "%.1f"), "–");
  EXPECT_EQ(mean_pm(spread({2.0, 2.1}), "%.2f", 1, "×"), "2.05 ± 0.07× (n=2)");
}

}  // namespace
}  // namespace flight::sweeps
