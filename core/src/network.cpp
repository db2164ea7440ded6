#include "flight/core/network.hpp"

#include "flight/core/error.hpp"

namespace flight {

std::string layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::conv: return "conv";
    case LayerType::fc: return "fc";
    case LayerType::batchnorm: return "batchnorm";
    case LayerType::relu: return "relu";
    case LayerType::maxpool: return "maxpool";
    case LayerType::flatten: return "flatten";
  }
  return "?";
}

std::vector<LayerShape> infer_shapes(const NetworkSpec& net, ImageShape input, std::size_t num_classes) {
  std::vector<LayerShape> shapes;
  ImageShape cur = input;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    LayerShape s;
    s.in = cur;
    const std::string where = "network " + net.name + ", layer " + std::to_string(i + 1) + " (" +
                              layer_type_name(l.type) + ")";
    auto spatial = [&](std::size_t size, std::size_t k, std::size_t stride, std::size_t pad) {
      if (k == 0 || stride == 0 || size + 2 * pad < k) {
        throw InputError(describe_input_problem(where, "kernel does not fit its input",
                                                "kernel ≤ input + 2·pad, kernel and stride > 0",
                                                "input " + cur.str() + ", kernel " + std::to_string(k)));
      }
      return (size + 2 * pad - k) / stride + 1;
    };
    switch (l.type) {
      case LayerType::conv: {
        s.out = {l.out, spatial(cur.height, l.kernel, l.stride, l.pad), spatial(cur.width, l.kernel, l.stride, l.pad)};
        s.filters = l.out;
        s.fan_in = cur.channels * l.kernel * l.kernel;
        s.weights = s.filters * s.fan_in;
        s.macs = s.weights * s.out.height * s.out.width;
        break;
      }
      case LayerType::fc: {
        const std::size_t outs = l.out_is_classes ? num_classes : l.out;
        s.out = {outs, 1, 1};
        s.filters = outs;
        s.fan_in = cur.pixels();
        s.weights = s.filters * s.fan_in;
        s.macs = s.weights;
        break;
      }
      case LayerType::maxpool:
        s.out = {cur.channels, spatial(cur.height, l.kernel, l.stride, 0), spatial(cur.width, l.kernel, l.stride, 0)};
        break;
      case LayerType::flatten:
        s.out = {cur.pixels(), 1, 1};
        break;
      case LayerType::batchnorm:
      case LayerType::relu:
        s.out = cur;
        break;
    }
    if (s.out.pixels() == 0) {
      throw InputError(describe_input_problem(where, "layer has an empty output", "a non-empty shape", s.out.str()));
    }
    cur = s.out;
    shapes.push_back(s);
  }
  return shapes;
}

}  // namespace flight
