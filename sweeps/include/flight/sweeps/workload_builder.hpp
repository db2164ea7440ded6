#pragma once
// The meeting point of networks and the simulator: NetworkSpec (+ input shape, + a k profile) → sim::Workload.
#include <string>

#include "flight/core/network.hpp"
#include "flight/sim/workload.hpp"

namespace flight::sweeps {

// What-if weight formats for `flight dse`:
//   uniform:1 | uniform:2   every filter with k power-of-two terms (LightNN-1 / LightNN-2)
//   mix:F                   a fraction F of each layer's filters at k = 2, the rest at k = 1 (FLightNN-like)
//   fixed:N                 N-bit fixed-point weights (N = 2..8)
//   fp32                    float weights and activations
struct KProfile {
  enum class Kind { uniform, mix, fixed, fp32 } kind = Kind::uniform;
  int k = 1;
  double fraction_k2 = 0;
  int n_bits = 4;
  std::string text;
};
KProfile parse_k_profile(const std::string& text);  // InputError naming --k-profile

struct QuantSettings {
  int a_bits = 8;
  int e_bits = 3;
};

sim::Workload build_workload(const NetworkSpec& net, ImageShape input, std::size_t classes, const KProfile& profile,
                             const QuantSettings& q);

}  // namespace flight::sweeps
