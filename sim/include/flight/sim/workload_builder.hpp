#pragma once
// A network (core's NetworkSpec) with a weight format per filter → the simulator's Workload.  The meeting point of
// networks and the hardware models: `flight dse` builds what-if workloads with it, and sweeps/model_convert builds
// a trained model's workload from the model's real k mix.
#include <string>

#include "flight/core/network.hpp"
#include "flight/sim/workload.hpp"

namespace flight::sim {

// What-if weight formats (`flight dse --k-profile`; parsed in sweeps/):
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

struct QuantSettings {
  int a_bits = 8;
  int e_bits = 3;
};

// Contract: throws InputError (naming the network and layer) when the network does not fit the input.
Workload build_workload(const NetworkSpec& net, ImageShape input, std::size_t classes, const KProfile& profile,
                        const QuantSettings& q);

}  // namespace flight::sim
