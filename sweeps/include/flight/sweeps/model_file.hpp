#pragma once
// The model file (format "flight-model", version 1; layout in docs/model-format.md): one JSON document holding
// everything a later step needs — the network, the input shape and classes, the quantization method, the training
// configuration and results, and per layer the shadow (full-precision) weights, the biases, the quantized form of
// every weight and the per-filter k, batch-norm statistics and activation scales — and, in a checkpoint, the
// optimizer state a resumed run needs.  One format, one reader, one writer: the trainer itself speaks plain structs
// (trainer::Model, trainer::TrainState) and never sees JSON (DESIGN.md §3: file formats at the edge).
//
// Contract: save_model writes a temporary file, flushes it to disk and renames it, so a reader never sees half a
// file, even after a power cut.  load_model validates the format, the version, every key's type and range, every
// array length against the network, and re-derives the quantized weights, the codes, the windows, the scales and
// the per-filter k from the shadow weights, refusing a file whose stored values disagree (InputError naming the
// file and the key).
#include <boost/json/object.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "flight/core/network.hpp"
#include "flight/trainer/layers.hpp"
#include "flight/trainer/train.hpp"

namespace flight::sweeps {

struct ModelMeta {
  std::string dataset;
  NetworkSpec network;
  ImageShape input;
  int classes = 0;
  trainer::QuantConfig quant;
  unsigned seed = 1;
  boost::json::object training;  // configuration and results, free-form (the sweep's and `flight train`'s record)
};

// What a resumed run needs beyond the model: which run it belongs to and the trainer's state after an epoch.
struct Checkpoint {
  boost::json::object run;  // the run's identity (train_run.cpp): a checkpoint of another run is refused
  trainer::TrainState state;
  boost::json::object aim;  // a budget run's controller state (budget.hpp: λ and the trajectory so far); else empty
};

void save_model(const std::filesystem::path& file, trainer::Model& model, const ModelMeta& meta,
                const Checkpoint* checkpoint = nullptr);

struct LoadedModel {
  ModelMeta meta;
  std::unique_ptr<trainer::Model> model;
  std::optional<Checkpoint> checkpoint;  // present in a checkpoint file
};
LoadedModel load_model(const std::filesystem::path& file);

// Writes `text` to `file` durably: to file.tmp, fsync, rename over file, fsync of the folder.  RunError on failure.
void write_file_atomically(const std::filesystem::path& file, const std::string& text);
// Renames a finished file (written and closed) over `to` durably: fsync of the file, rename, fsync of the folder.
void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace flight::sweeps
