#pragma once
// The model file (format "flight-model", version 1): one JSON document holding everything a later step needs —
// the network, the input shape and classes, the quantization method, the training configuration and results, and
// per layer the shadow (full-precision) weights, the biases, the quantized form of every weight and the per-filter
// k, batch-norm statistics and activation scales.  Layout: docs/model-format.md.
//
// Contract: save_model writes a temporary file and renames it, so a reader never sees half a file.  load_model
// validates the format, the version, every array length against the network, and re-derives the quantized codes
// from the shadow weights, refusing a file whose stored codes disagree (InputError naming the file and the key).
#include <boost/json/object.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "flight/core/network.hpp"
#include "flight/trainer/layers.hpp"

namespace flight::trainer {

struct ModelMeta {
  std::string dataset;
  NetworkSpec network;
  ImageShape input;
  int classes = 0;
  QuantConfig quant;
  unsigned seed = 1;
  boost::json::object training;  // configuration and results, free-form
};

void save_model(const std::filesystem::path& file, Model& model, const ModelMeta& meta);

struct LoadedModel {
  ModelMeta meta;
  std::unique_ptr<Model> model;
};
LoadedModel load_model(const std::filesystem::path& file);

}  // namespace flight::trainer
