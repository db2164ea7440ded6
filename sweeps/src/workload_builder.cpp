#include "flight/sweeps/workload_builder.hpp"

#include <cmath>
#include <cstdlib>

#include "flight/core/error.hpp"

namespace flight::sweeps {

KProfile parse_k_profile(const std::string& text) {
  KProfile p;
  p.text = text;
  auto bad = [&]() -> KProfile {
    throw InputError(describe_input_problem("--k-profile", "unknown profile '" + text + "'",
                                            "uniform:1, uniform:2, mix:F (0 ≤ F ≤ 1), fixed:N (N = 2..8) or fp32",
                                            text));
  };
  if (text == "fp32") {
    p.kind = KProfile::Kind::fp32;
    return p;
  }
  const auto colon = text.find(':');
  if (colon == std::string::npos) return bad();
  const std::string kind = text.substr(0, colon), value = text.substr(colon + 1);
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size()) return bad();
  if (kind == "uniform" && (v == 1 || v == 2)) {
    p.kind = KProfile::Kind::uniform;
    p.k = static_cast<int>(v);
  } else if (kind == "mix" && v >= 0 && v <= 1) {
    p.kind = KProfile::Kind::mix;
    p.fraction_k2 = v;
  } else if (kind == "fixed" && v >= 2 && v <= 8 && v == std::floor(v)) {
    p.kind = KProfile::Kind::fixed;
    p.n_bits = static_cast<int>(v);
  } else {
    return bad();
  }
  return p;
}

sim::Workload build_workload(const NetworkSpec& net, ImageShape input, std::size_t classes, const KProfile& profile,
                             const QuantSettings& q) {
  sim::Workload w;
  w.name = net.name + " " + profile.text;
  w.a_bits = profile.kind == KProfile::Kind::fp32 ? 32 : q.a_bits;
  w.e_bits = q.e_bits;
  w.n_bits = profile.n_bits;
  w.format = profile.kind == KProfile::Kind::fixed  ? sim::WeightFormat::fixed
             : profile.kind == KProfile::Kind::fp32 ? sim::WeightFormat::fp32
                                                    : sim::WeightFormat::pow2;
  const auto shapes = infer_shapes(net, input, classes);
  int convs = 0, fcs = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const auto& spec = net.layers[i];
    if (spec.type != LayerType::conv && spec.type != LayerType::fc) continue;
    const auto& s = shapes[i];
    sim::LayerWork l;
    l.is_fc = spec.type == LayerType::fc;
    l.name = l.is_fc ? "fc" + std::to_string(++fcs) : "conv" + std::to_string(++convs);
    l.c_in = static_cast<int>(l.is_fc ? s.in.pixels() : s.in.channels);
    l.c_out = static_cast<int>(s.filters);
    l.kernel = l.is_fc ? 1 : static_cast<int>(spec.kernel);
    l.stride = l.is_fc ? 1 : static_cast<int>(spec.stride);
    l.h_in = l.is_fc ? 1 : static_cast<int>(s.in.height);
    l.w_in = l.is_fc ? 1 : static_cast<int>(s.in.width);
    l.h_out = static_cast<int>(s.out.height);
    l.w_out = static_cast<int>(s.out.width);
    if (w.format == sim::WeightFormat::pow2) {
      int k2 = 0;
      if (profile.kind == KProfile::Kind::uniform) k2 = profile.k == 2 ? l.c_out : 0;
      if (profile.kind == KProfile::Kind::mix) k2 = static_cast<int>(std::lround(profile.fraction_k2 * l.c_out));
      l.filters_by_k = {0, l.c_out - k2, k2};
    }
    w.layers.push_back(l);
  }
  sim::validate(w);
  return w;
}

}  // namespace flight::sweeps
