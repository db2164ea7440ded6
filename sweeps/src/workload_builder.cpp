#include "flight/sweeps/workload_builder.hpp"

#include <cmath>
#include <cstdlib>

#include "flight/core/error.hpp"

namespace flight::sweeps {

sim::KProfile parse_k_profile(const std::string& text) {
  sim::KProfile p;
  p.text = text;
  auto bad = [&]() -> sim::KProfile {
    throw InputError(describe_input_problem("--k-profile", "unknown profile '" + text + "'",
                                            "uniform:1, uniform:2, mix:F (0 ≤ F ≤ 1), fixed:N (N = 2..8) or fp32",
                                            text));
  };
  if (text == "fp32") {
    p.kind = sim::KProfile::Kind::fp32;
    return p;
  }
  const auto colon = text.find(':');
  if (colon == std::string::npos) return bad();
  const std::string kind = text.substr(0, colon), value = text.substr(colon + 1);
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size()) return bad();
  if (kind == "uniform" && (v == 1 || v == 2)) {
    p.kind = sim::KProfile::Kind::uniform;
    p.k = static_cast<int>(v);
  } else if (kind == "mix" && v >= 0 && v <= 1) {
    p.kind = sim::KProfile::Kind::mix;
    p.fraction_k2 = v;
  } else if (kind == "fixed" && v >= 2 && v <= 8 && v == std::floor(v)) {
    p.kind = sim::KProfile::Kind::fixed;
    p.n_bits = static_cast<int>(v);
  } else {
    return bad();
  }
  return p;
}

}  // namespace flight::sweeps
