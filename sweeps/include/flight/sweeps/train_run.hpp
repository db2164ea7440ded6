#pragma once
// One training run as a library call, shared by `flight train` and the sweep runner: method and profile parsing,
// fine-tuning from another model, a checkpoint after every epoch and resume from it, the model file and the result
// as JSON (the object `flight train --json` prints).
#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "flight/core/network.hpp"
#include "flight/sweeps/budget.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/quant.hpp"
#include "flight/trainer/train.hpp"

namespace flight::sweeps {

// "fp32", "fixed2" … "fixed8", "lightnn1", "lightnn2", "flightnn"; anything else is an InputError naming `field`.
trainer::QuantConfig parse_method(const std::string& method, double lambda, const std::string& field = "--method");

// The `flight train` profiles: smoke (seconds, for tests), quick (minutes), paper (full data and epochs), with the
// data set's augmentation (crop for 32×32 images, flip for CIFAR).
trainer::TrainConfig profile_config(const std::string& profile, data::DatasetId id);
// Augmentation of a data set (crop with 4-pixel padding for 32×32 images, horizontal flip for CIFAR only).
void set_augmentation(trainer::TrainConfig& cfg, data::DatasetId id);

boost::json::object epoch_json(const trainer::EpochStats& e);

struct TrainRequest {
  std::string dataset;  // name of the data set trained on
  NetworkSpec net;
  trainer::QuantConfig quant;
  trainer::TrainConfig cfg;
  std::string profile;  // recorded in the model file
  std::string init;     // model file to fine-tune from ("" none)
  std::string out;      // model file to write ("" none); the checkpoint is out + ".ckpt"
  HardwareAim aim;      // FLightNN: a hardware cost for the regularizer and/or a throughput target (budget.hpp)
  trainer::Precision precision = trainer::Precision::fp32;  // the convolutions' arithmetic (trainer::Precision)
};

struct TrainCallbacks {
  std::function<void(const trainer::Progress&)> progress;
  std::function<void(const trainer::EpochStats&)> epoch;
  std::function<void(const std::string&)> note;  // "resuming … after epoch 3 of 10", "precision: bf16 (…)"
  // After each checkpoint is on disk (epochs done so far); `flight train --stop-after` ends the process here to
  // simulate a kill.
  std::function<void(int)> checkpointed;
};

// Trains (resuming from out + ".ckpt" when it holds a checkpoint of this same run; a checkpoint of another run is an
// InputError), writes `out`, removes the checkpoint and returns the result object.  Threads: the caller's limit.
boost::json::object train_model(const TrainRequest& r, const data::Dataset& d, const TrainCallbacks& cb = {});

}  // namespace flight::sweeps
