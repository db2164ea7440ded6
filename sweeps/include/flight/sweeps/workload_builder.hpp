#pragma once
// `flight dse --k-profile TEXT` → sim::KProfile (sim/workload_builder.hpp builds the workload).
#include <string>

#include "flight/sim/workload_builder.hpp"

namespace flight::sweeps {

// uniform:1, uniform:2, mix:F (0 ≤ F ≤ 1), fixed:N (N = 2..8) or fp32; anything else is an InputError naming
// --k-profile.
sim::KProfile parse_k_profile(const std::string& text);

}  // namespace flight::sweeps
