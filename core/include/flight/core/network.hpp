#pragma once
// A network as plain data: what the network files describe (sweeps/ parses them), what the trainer builds layers
// from and what the simulator turns into a workload.  No parsing here.
#include <cstddef>
#include <string>
#include <vector>

#include "flight/core/shape.hpp"

namespace flight {

enum class LayerType { conv, fc, batchnorm, relu, maxpool, flatten };

struct LayerSpec {
  LayerType type = LayerType::relu;
  std::size_t out = 0;        // conv: output channels; fc: output features (0 with out_is_classes)
  bool out_is_classes = false;  // fc whose width is the data set's class count
  std::size_t kernel = 0;     // conv, maxpool
  std::size_t stride = 1;     // conv, maxpool
  std::size_t pad = 0;        // conv
  bool bias = true;           // conv, fc
};

struct NetworkSpec {
  std::string name;
  std::string description;
  std::string default_dataset;  // used when a command needs an input shape and none is given
  std::vector<LayerSpec> layers;
};

std::string layer_type_name(LayerType t);

// Shapes flowing through the network for a given input, one entry per layer (its output).  A compute layer also
// gets its MAC count.  Throws InputError (naming the network and layer index) when a layer does not fit its input,
// e.g. a 5×5 convolution on a 2×2 map.
struct LayerShape {
  ImageShape in, out;     // fc layers use (features, 1, 1)
  std::size_t macs = 0;   // multiply-accumulates per image (conv, fc)
  std::size_t weights = 0;
  std::size_t filters = 0;  // conv: output channels; fc: output neurons
  std::size_t fan_in = 0;   // weights per filter: C_in·K·K or input features
};
std::vector<LayerShape> infer_shapes(const NetworkSpec& net, ImageShape input, std::size_t num_classes);

}  // namespace flight
