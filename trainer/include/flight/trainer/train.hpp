#pragma once
// The training loop: SGD with momentum (or Adam), weight decay, cosine or step schedule, augmentation for the
// 32×32 data sets, per-epoch test accuracy.  Deterministic for a given seed and thread count.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/layers.hpp"

namespace flight::trainer {

enum class Optimizer { sgd, adam };
enum class Schedule { cosine, step };  // step: ×0.1 at 50 % and 75 % of the run
std::string optimizer_name(Optimizer o);  // "sgd", "adam"
std::string schedule_name(Schedule s);    // "cosine", "step"

struct TrainConfig {
  int epochs = 1;  // ≥ 1
  int batch = 64;  // ≥ 1
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  Optimizer optimizer = Optimizer::sgd;
  Schedule schedule = Schedule::cosine;
  bool augment = false;            // random crop (pad 4) for 32×32 images
  bool flip = false;               // horizontal flip (CIFAR only)
  std::optional<std::size_t> max_train;  // the first N training images (unset: all)
  std::optional<std::size_t> max_test;   // the first N test images of the per-epoch evaluation (unset: all)
  unsigned seed = 1;
  // FLightNN: how far a threshold can travel over the whole run, in units of its layer's mean residual norm
  // ‖W_i − R(W_i)‖, if every step pushed it the same way.  Thresholds take normalized (Adam-like) steps spread over
  // the run like the learning rate, so they reach the balance between the task loss and λ's regularizer within the
  // first part of any run, whatever its learning rate and step count (docs/flightnn.md).
  double threshold_travel = 8.0;
  // Called after every `hook_every`-th optimizer step of the run (0: never) with the model and the number of steps
  // taken so far, e.g. by a hardware-budget controller that sets λ (sweeps/budget.hpp).  The trainer knows nothing
  // of what it does.
  std::function<void(Model&, long step)> step_hook;
  long hook_every = 0;
  // When set, where the run's time goes is added up here (StepProfile below; flight train --profile-layers).
  struct StepProfile* profile = nullptr;
};

// Where a run's training steps spent their time: the phases of a step summed over `steps`, and each layer's forward
// and backward (Model::LayerTime).  The per-epoch test evaluation is counted apart and not in the layers.
struct StepProfile {
  long steps = 0;
  std::size_t images = 0;
  double data_s = 0;       // batch assembly from the data set, augmentation, labels
  double zero_grad_s = 0;  // clearing the parameter gradients
  double forward_s = 0, loss_s = 0, backward_s = 0;
  double optimizer_s = 0;  // SGD/Adam update of weights, BN parameters and FLightNN thresholds
  double hook_s = 0;       // the step hook (e.g. a hardware-budget controller's design searches)
  double evaluate_s = 0;   // per-epoch test evaluation
  double wall_s = 0;       // the whole run
  std::vector<Model::LayerTime> layers;
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_acc = 0;
  double images_per_s = 0, seconds = 0;
  double fraction_k2 = -1;  // FLightNN: the fraction of filters at k = 2 after the epoch (−1: another method)
};

struct Progress {
  int epoch = 0, epochs = 0;
  std::size_t done = 0, total = 0;  // images of this epoch
  double loss = 0, acc = 0, images_per_s = 0;
};

// Everything a resumed run needs beyond the model's own parameters and statistics.
struct TrainState {
  int epochs_done = 0;
  long step = 0;                                // optimizer steps taken (Adam bias correction)
  std::vector<std::vector<float>> m, v;         // optimizer moments, one per parameter (Model::params order)
  std::string rng;                              // std::mt19937 state as text
  std::vector<EpochStats> history;
};

struct TrainResult {
  std::vector<EpochStats> epochs;
  double test_acc = 0, train_acc = 0;
  double images_per_s = 0;  // training images per second over all epochs
  double wall_seconds = 0;
};

// Converts uint8 images [i, i+n) of a split to floats in [0, 1].
Tensor to_tensor(const data::Split& s, const std::vector<std::size_t>& order, std::size_t begin, std::size_t n);

double evaluate_accuracy(Model& m, const data::Split& s, std::optional<std::size_t> max_images, int batch);

// Trains from `state` (fresh or resumed) to cfg.epochs (InputError for epochs or batch < 1, or a learning rate that
// is not a positive finite number); on_epoch sees the state after every epoch (to checkpoint).
TrainResult train(Model& m, const data::Dataset& d, const TrainConfig& cfg,
                  const std::function<void(const Progress&)>& progress,
                  const std::function<void(const EpochStats&, const TrainState&)>& on_epoch, TrainState state = {});

// Per-layer k of every filter after the last forward: {layer name → histogram [k=0, k=1, k=2]}.
struct KSummary {
  std::vector<std::array<int, 3>> per_layer;
  double fraction_k2 = 0;
  double mean_terms_per_weight = 0;  // MAC-weighted
};
KSummary k_summary(Model& m, const NetworkSpec& spec, ImageShape input, int classes);

}  // namespace flight::trainer
