#include "flight/sim/workload_builder.hpp"

#include <cmath>

namespace flight::sim {

Workload build_workload(const NetworkSpec& net, ImageShape input, std::size_t classes, const KProfile& profile,
                             const QuantSettings& q) {
  Workload w;
  w.name = net.name + " " + profile.text;
  w.a_bits = profile.kind == KProfile::Kind::fp32 ? 32 : q.a_bits;
  w.e_bits = q.e_bits;
  w.n_bits = profile.n_bits;
  w.format = profile.kind == KProfile::Kind::fixed  ? WeightFormat::fixed
             : profile.kind == KProfile::Kind::fp32 ? WeightFormat::fp32
                                                    : WeightFormat::pow2;
  const auto shapes = infer_shapes(net, input, classes);
  int convs = 0, fcs = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const auto& spec = net.layers[i];
    if (spec.type != LayerType::conv && spec.type != LayerType::fc) continue;
    const auto& s = shapes[i];
    LayerWork l;
    l.is_fc = spec.type == LayerType::fc;
    l.name = l.is_fc ? "fc" + std::to_string(++fcs) : "conv" + std::to_string(++convs);
    l.c_in = static_cast<int>(l.is_fc ? s.in.pixels() : s.in.channels);
    l.c_out = static_cast<int>(s.filters);
    l.kernel = l.is_fc ? 1 : static_cast<int>(spec.kernel);
    l.stride = l.is_fc ? 1 : static_cast<int>(spec.stride);
    l.h_in = l.is_fc ? 1 : static_cast<int>(s.in.height);
    l.w_in = l.is_fc ? 1 : static_cast<int>(s.in.width);
    if (l.is_fc) {  // the map a flatten before it (with no compute layer between) turned into features
      for (std::size_t j = i; j-- > 0;) {
        const auto t = net.layers[j].type;
        if (t == LayerType::conv || t == LayerType::fc) break;
        if (t == LayerType::flatten) {
          l.map_h = static_cast<int>(shapes[j].in.height);
          l.map_w = static_cast<int>(shapes[j].in.width);
          break;
        }
      }
    }
    l.h_out = static_cast<int>(s.out.height);
    l.w_out = static_cast<int>(s.out.width);
    if (w.format == WeightFormat::pow2) {
      int k2 = 0;
      if (profile.kind == KProfile::Kind::uniform) k2 = profile.k == 2 ? l.c_out : 0;
      if (profile.kind == KProfile::Kind::mix) k2 = static_cast<int>(std::lround(profile.fraction_k2 * l.c_out));
      l.filters_by_k = {0, l.c_out - k2, k2};
    }
    w.layers.push_back(l);
  }
  validate(w);
  return w;
}

}  // namespace flight::sim
