#pragma once
// Training FLightNN toward hardware (issue 17; docs/flightnn.md "Hardware costs and budgets").
//
//  * Costs: the regularizer's per-layer weight of one filter's k — MACs (DESIGN.md §4, the default), or the cycles
//    per image one filter's second term costs on the device (sim::k_marginal_costs), optionally plus what its weight
//    bits cost while the weights do not fit on chip.  Always normalized so that the weights of all filters of the
//    network add up to 1: λ keeps its meaning (moving every filter from k = 2 to k = 1 lowers the loss by λ) and only
//    where the pressure falls changes.
//  * Budget: a target throughput on a device, or a target ASIC computational energy per image.  Every few steps the
//    simulator evaluates the model's current k mix (the design search, or the energy model) and λ follows dual
//    ascent, λ ← max(0, λ + η·(achieved cost / target cost − 1)); for throughput the cost is time per image, so the
//    ratio is target images/s / achieved images/s, for energy it is achieved µJ / target µJ.
//
// The trainer sees only plain numbers (Model::set_reg_weights, Model::set_lambda, TrainConfig::step_hook).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flight/sim/fpga.hpp"
#include "flight/sim/k_costs.hpp"
#include "flight/sim/workload.hpp"
#include "flight/sweeps/model_file.hpp"

namespace flight::sweeps {

enum class CostKind { macs, cycles, cycles_storage };
// "macs", "cycles", "cycles+storage"; anything else is an InputError naming `field`.
CostKind parse_cost(const std::string& text, const std::string& field = "--cost");
std::string cost_name(CostKind c);

// Per layer of `current`, the regularizer weight of one filter's k under cost c, normalized so that
// Σ_layers weight · filters = 1.  `hw` is needed for cycles and cycles+storage (InputError when it is null or found
// no design).  A cost that is zero everywhere falls back to MACs.
std::vector<double> regularizer_weights(CostKind c, const sim::Workload& current, const sim::KCosts* hw);

// The dual-ascent rule on a target: a throughput (higher is better) or, with lower_is_better, a cost such as energy.
// `option` names the target in errors.
class DualAscent {
 public:
  DualAscent(double target, double eta, double lambda0, bool lower_is_better = false,
             const std::string& option = "--target-fps");
  void set_lambda(double lambda) { lambda_ = lambda; }
  // One update from the throughput the current mix achieves; returns the new λ.
  double update(double achieved_images_per_s);
  double lambda() const { return lambda_; }
  double target() const { return target_; }

 private:
  double target_, eta_, lambda_;
  bool lower_;
};

// What `flight train --cost/--target-fps` asks for.
struct HardwareAim {
  CostKind cost = CostKind::macs;
  std::optional<double> target_fps;  // set: λ by dual ascent toward this many images/s
  std::optional<double> target_energy_uj;  // or: toward this ASIC computational energy per image (µJ)
  std::string energy_table = "40nm-aladdin";  // the energy table of target_energy_uj
  std::string device;                // the device costs and throughput are measured on
  double lut_cap = 0.8;
  double eta = 0.1;                  // dual-ascent step (nats of λ per unit relative miss)
  long every = 0;                    // steps between controller updates (0: about 25 updates over the run)
  double tolerance = 0.05;           // |achieved/target − 1| the run must end within to have met its target
  // With a target: the fraction of the run's steps after which the mix is projected onto the target once (the
  // remaining steps then train the weights under that mix); 1: only after training.
  double project_at = 0.8;
  bool active() const { return cost != CostKind::macs || target(); }
  bool target() const { return target_fps.has_value() || target_energy_uj.has_value(); }
};

// Drives one FLightNN training run toward its aim: sets the regularizer weights before training, updates them and λ
// during it (as TrainConfig::step_hook), and reports.
class AimController {
 public:
  AimController(HardwareAim aim, const ModelMeta& meta);
  // Before training: the regularizer weights of the cost, and the first throughput reading.
  void start(trainer::Model& model);
  // Every `aim.every` steps: throughput of the current mix, λ update, weights again for cycles+storage; at the first
  // call at or after aim.project_at · total_steps, the mid-run projection.
  void on_step(trainer::Model& model, long step);
  void set_total_steps(long steps) { total_steps_ = steps; }
  // After training, with a target: when the throughput misses it by more than the tolerance, a greedy projection
  // (as in HAQ) flips the filters nearest their threshold — per unit of hardware cost — to the other k until the
  // mix reaches the target with as many k = 2 filters as it can keep (a binary search over how many flip; each probe
  // runs the design search).  Only thresholds change; the caller re-measures accuracy when this returns true.
  bool project(trainer::Model& model);
  // After training: {cost, device, target_fps, achieved_fps, miss, met, lambda_final, layer_weights, trajectory,
  // projection (the final one), projection_mid_run}.
  boost::json::object finish(trainer::Model& model);
  double achieved_fps(trainer::Model& model) const;
  // The budget's own measure of the current mix: images/s, or µJ per image for an energy target.
  double achieved(trainer::Model& model) const;
  // What a checkpoint keeps ({lambda, trajectory, weights, mid_run}) and how a resumed run takes it back
  // (InputError naming `where` when it is malformed); λ is set on the model again.
  boost::json::object state() const;
  void restore(const boost::json::object& state, trainer::Model& model, const std::string& where);

 private:
  void set_weights(trainer::Model& model, const sim::Workload& w);
  double fps_of(const sim::Workload& w) const;  // the design search's best images/s (0 when nothing fits)
  double energy_of(const sim::Workload& w) const;  // ASIC computational µJ per image
  // The budget's measure: one of the two.  With `pinned`, the throughput of that design on w (0 when it no longer
  // fits) instead of the search's best — usually a lower bound of it (not always: the search's candidates for a
  // mix need not include a pinned lane split), computed in a fraction of the time.
  double value_of(const sim::Workload& w, const sim::FpgaDesign* pinned = nullptr) const;
  sim::SearchResult search_of(const sim::Workload& w) const;
  bool meets(double value) const;                  // at or beyond the target in the budget's direction
  HardwareAim aim_;
  ModelMeta meta_;
  std::optional<DualAscent> ascent_;
  std::vector<double> weights_;
  boost::json::array trajectory_;
  boost::json::object projection_, mid_run_;
  long total_steps_ = 0;
};

// When a budget run's final projection found no mix within the tolerance: "X images/s below the target and Y above
// it" (µJ/image for an energy target) — the edges of the gap its target lies in; nothing otherwise.
std::optional<std::string> projection_gap(const boost::json::object& budget);

}  // namespace flight::sweeps
