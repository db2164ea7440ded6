#include "flight/sweeps/budget.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "flight/core/error.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/cost_models/fpga_costs.hpp"
#include "flight/sim/asic.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sweeps/model_convert.hpp"

namespace flight::sweeps {

CostKind parse_cost(const std::string& text, const std::string& field) {
  if (text == "macs") return CostKind::macs;
  if (text == "cycles") return CostKind::cycles;
  if (text == "cycles+storage") return CostKind::cycles_storage;
  throw InputError(field + ": unknown cost '" + text + "' (expected macs, cycles or cycles+storage)");
}

std::string cost_name(CostKind c) {
  switch (c) {
    case CostKind::macs: return "macs";
    case CostKind::cycles: return "cycles";
    case CostKind::cycles_storage: return "cycles+storage";
  }
  return "?";
}

std::vector<double> regularizer_weights(CostKind c, const sim::Workload& current, const sim::KCosts* hw) {
  const auto& layers = current.layers;
  std::vector<double> raw(layers.size(), 0.0);
  if (c != CostKind::macs) {
    if (hw == nullptr || !hw->found) {
      throw InputError("--cost " + cost_name(c) + ": no hardware cost (" + (hw ? hw->reason : "no device") + ")");
    }
    FLIGHT_CHECK(hw->layers.size() == layers.size(), "hardware costs match the workload");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      raw[i] = hw->layers[i].cycles_per_filter +
               (c == CostKind::cycles_storage ? hw->layers[i].storage_cycles_per_filter : 0.0);
    }
  }
  double total = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) total += raw[i] * layers[i].c_out;
  if (!(total > 0)) {  // MACs (also the fallback of a cost that is zero everywhere)
    for (std::size_t i = 0; i < layers.size(); ++i) raw[i] = double(layers[i].macs()) / std::max(1, layers[i].c_out);
    total = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) total += raw[i] * layers[i].c_out;
  }
  for (auto& r : raw) r = total > 0 ? r / total : 0.0;
  return raw;
}

DualAscent::DualAscent(double target, double eta, double lambda0, bool lower_is_better, const std::string& option)
    : target_(target), eta_(eta), lambda_(lambda0), lower_(lower_is_better) {
  if (!(target > 0) || !std::isfinite(target)) {
    throw InputError(option + ": expected a positive number, found " + std::to_string(target));
  }
  if (!(eta > 0) || !std::isfinite(eta)) throw InputError("--eta: expected a positive step, found " + std::to_string(eta));
}

double DualAscent::update(double achieved) {
  // achieved cost / target cost; a throughput of 0 (nothing fits) pushes hard.
  const double ratio = lower_ ? achieved / target_ : achieved > 0 ? target_ / achieved : 2.0;
  lambda_ = std::max(0.0, lambda_ + eta_ * (ratio - 1.0));
  return lambda_;
}

AimController::AimController(HardwareAim aim, const ModelMeta& meta) : aim_(std::move(aim)), meta_(meta) {
  if (meta_.quant.method != trainer::Method::flightnn) {
    throw InputError("--cost/--target-fps/--target-energy: only FLightNN chooses k (found method " +
                     trainer::method_name(meta_.quant) + ")");
  }
  cost_models::find_device(aim_.device);  // InputError listing the catalog
  if (aim_.target_fps && aim_.target_energy_uj) {
    throw InputError("--target-fps and --target-energy: one budget per run (found both)");
  }
  if (aim_.target_fps) ascent_.emplace(*aim_.target_fps, aim_.eta, meta_.quant.lambda);
  if (aim_.target_energy_uj) {
    cost_models::builtin_energy_table(aim_.energy_table);  // InputError listing the tables
    ascent_.emplace(*aim_.target_energy_uj, aim_.eta, meta_.quant.lambda, true, "--target-energy");
  }
}

namespace {
sim::FpgaLimits limits_of(const HardwareAim& a) {
  sim::FpgaLimits l;
  l.lut_cap = a.lut_cap;
  return l;
}

// The FPGA model of a workload on the aim's device and LUT cap.
sim::FpgaModel fpga_model(const sim::Workload& w, const HardwareAim& a) {
  return sim::FpgaModel(w, cost_models::find_device(a.device), cost_models::builtin_fpga_costs(), limits_of(a));
}
}  // namespace

sim::SearchResult AimController::search_of(const sim::Workload& w) const { return fpga_model(w, aim_).search(); }

double AimController::fps_of(const sim::Workload& w) const {
  const auto r = search_of(w);
  return r.found ? r.best.images_per_s : 0.0;
}

double AimController::energy_of(const sim::Workload& w) const {
  return sim::asic_energy(w, cost_models::builtin_energy_table(aim_.energy_table)).compute_pj * 1e-6;
}

double AimController::value_of(const sim::Workload& w, const sim::FpgaDesign* pinned) const {
  if (aim_.target_energy_uj) return energy_of(w);
  if (!pinned) return fps_of(w);
  const auto e = fpga_model(w, aim_).evaluate(*pinned);
  return e.fits ? e.images_per_s : 0.0;
}

bool AimController::meets(double value) const {
  return aim_.target_energy_uj ? value <= ascent_->target() : value >= ascent_->target();
}

double AimController::achieved_fps(trainer::Model& model) const { return fps_of(to_workload(model, meta_)); }

double AimController::achieved(trainer::Model& model) const { return value_of(to_workload(model, meta_)); }

void AimController::set_weights(trainer::Model& model, const sim::Workload& w) {
  std::optional<sim::KCosts> hw;
  if (aim_.cost != CostKind::macs) {
    hw = sim::k_marginal_costs(w, cost_models::find_device(aim_.device), cost_models::builtin_fpga_costs(),
                               limits_of(aim_));
  }
  weights_ = regularizer_weights(aim_.cost, w, hw ? &*hw : nullptr);
  model.set_reg_weights(weights_);
}

void AimController::start(trainer::Model& model) {
  set_weights(model, to_workload(model, meta_));
  if (ascent_) model.set_lambda(ascent_->lambda());
  on_step(model, 0);
}

void AimController::on_step(trainer::Model& model, long step) {
  const auto w = to_workload(model, meta_);
  if (aim_.cost == CostKind::cycles_storage && step > 0) set_weights(model, w);
  boost::json::object point{{"step", step}, {"fraction_k2", w.fraction_k2()},
                            {"shifts_per_weight", w.mean_terms_per_weight()}};
  if (ascent_) {
    const double v = value_of(w);
    point[aim_.target_energy_uj ? "achieved_energy_uj" : "achieved_fps"] = v;
    if (step > 0) model.set_lambda(ascent_->update(v));
  }
  point["lambda"] = ascent_ ? ascent_->lambda() : meta_.quant.lambda;
  trajectory_.push_back(std::move(point));
  // The thresholds follow λ slowly; a far target is reached by moving them once, early enough for the weights to
  // adapt to the new mix in the steps that remain (the final projection then only corrects the drift).
  if (ascent_ && mid_run_.empty() && aim_.project_at < 1 && total_steps_ > 0 && step > 0 &&
      double(step) >= aim_.project_at * double(total_steps_)) {
    project(model);
    mid_run_ = projection_;
    mid_run_["step"] = step;
    projection_ = {};
  }
}

bool AimController::project(trainer::Model& model) {
  if (!ascent_) return false;
  const double target = ascent_->target();
  // The current mix's value: the design search's (its design kept in `searched`), the exact energy, or with `pinned`
  // that design's (usually a lower bound of the search's, for the probes of step 2).
  std::optional<sim::FpgaDesign> searched;
  const auto measure = [&](const sim::FpgaDesign* pinned) {
    const auto w = to_workload(model, meta_);  // also refreshes every layer's k and residual norms
    if (aim_.target_energy_uj || pinned) return value_of(w, pinned);
    const auto r = search_of(w);
    searched = r.found ? std::optional(r.best.design) : std::nullopt;
    return r.found ? r.best.images_per_s : 0.0;
  };
  const double before = measure(nullptr);
  projection_ = {{"achieved_before", before}, {"flipped_to_k1", 0}, {"flipped_to_k2", 0}, {"searches", 0}};
  if (meets(before) && std::abs(before / target - 1) <= aim_.tolerance) return false;
  // Every filter that has a choice (a non-zero residual), with its trained threshold and where it stands.
  struct Filter {
    trainer::WeightQuantizer* q;
    int f;
    float norm, trained_threshold;
    bool trained_k2;
    double margin, cost;  // distance to its threshold in units of its layer's τ; its layer's hardware weight
  };
  std::vector<Filter> filters;
  auto wls = model.weight_layers();
  for (std::size_t l = 0; l < wls.size(); ++l) {
    auto& q = wls[l]->quantizer();
    const auto& norms = q.residual_norms();
    const double tau = std::max(1e-12, *q.threshold_unit());
    const double cost = std::max(1e-12, l < weights_.size() ? weights_[l] : 1.0);
    for (int f = 0; f < int(norms.size()); ++f) {
      if (!(norms[f] > 0) || q.filter_k()[f] == 0) continue;  // no second term to choose, or pruned (--allow-k0)
      const float t = q.thresholds()[f];
      filters.push_back({&q, f, norms[f], t, q.filter_k()[f] == 2, std::abs(norms[f] - t) / tau, cost});
    }
  }
  std::vector<char> k2(filters.size());
  for (std::size_t i = 0; i < filters.size(); ++i) k2[i] = filters[i].trained_k2;
  // The probes nearest the target on either side: when none lands within the tolerance, the target lies in a gap of
  // what the projection can reach, and the result says where the gap is.
  double below = 0, above = std::numeric_limits<double>::infinity();
  long searches = 0, evaluations = 0;
  // Thresholds for this mix (the trained ones where unchanged), then its value (measure above).
  const auto apply = [&](const std::vector<char>& mix, const sim::FpgaDesign* pinned = nullptr) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
      const auto& x = filters[i];
      x.q->thresholds()[x.f] = mix[i] == char(x.trained_k2) ? x.trained_threshold
                               : mix[i]                      ? x.norm * (1 - 1e-5f)
                                                             : x.norm * (1 + 1e-5f) + 1e-30f;
    }
    ++(pinned ? evaluations : searches);
    const double v = measure(pinned);
    // The gap report takes only what the search (or the exact energy) says of a mix: a pinned design's value is not
    // what `flight sim` would find, and 0 means nothing fits.
    if (!pinned && v >= target) above = std::min(above, v);
    else if (!pinned && v > 0) below = std::max(below, v);
    return v;
  };
  if (before < target) below = before; else above = before;
  double v = before;
  if (!meets(before)) {
    // 1. Too slow (or too costly): the fewest k = 2 filters to k = 1 that reach the target, in one global order —
    // nearest their threshold per unit of hardware cost first — by a binary search over the prefix length.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < filters.size(); ++i)
      if (k2[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return filters[a].margin / filters[a].cost < filters[b].margin / filters[b].cost;
    });
    const auto prefix = [&](std::size_t m) {
      auto mix = k2;
      for (std::size_t j = 0; j < m; ++j) mix[order[j]] = 0;
      return mix;
    };
    std::size_t lo = 0, hi = order.size();
    if (!meets(apply(prefix(hi)))) lo = hi;  // even all of them: as close as it gets
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (meets(apply(prefix(mid)))) hi = mid; else lo = mid + 1;
    }
    k2 = prefix(lo);
    v = apply(k2);
  }
  if (meets(v)) {
    // 2. At or beyond the target: give filters back to k = 2 while the target still holds — nearest their threshold
    // and cheapest first, greedily in doubling batches (a batch that breaks the target is halved; a single filter
    // that breaks it is skipped).  Throughput falls in steps (a time-multiplexed tile holds `lanes` filters, so a
    // layer's second terms are free until they fill one more tile), which a prefix search would jump over; the greedy
    // pass takes the free ones and lands just above the target.  Its probes keep the design the search chose for the
    // mix this step starts from (milliseconds each instead of a search; a full search when that design stops
    // fitting), and a final search confirms the result (below).
    std::optional<sim::FpgaDesign> pinned = searched;  // the last search was of this step's starting mix
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < filters.size(); ++i)
      if (!k2[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return filters[a].margin * filters[a].cost < filters[b].margin * filters[b].cost;
    });
    std::size_t i = 0, batch = 8;
    int repins = 0;
    std::vector<std::vector<char>> accepted{k2};  // the mix after each accepted batch
    for (long tries = 0; i < order.size() && tries < 1024 && (pinned || aim_.target_energy_uj); ++tries) {
      const std::size_t j = std::min(order.size(), i + batch);
      auto mix = k2;
      for (std::size_t t = i; t < j; ++t) mix[order[t]] = 1;
      double w = apply(mix, pinned ? &*pinned : nullptr);
      if (pinned && w == 0 && repins < 16) {
        // The pinned design no longer fits this mix (a k = 2 filter's second term adds weight bits): another
        // design may, e.g. with the weights in DDR.  A full search decides, and its design is pinned from here on.
        ++repins;
        w = apply(mix);
        if (meets(w)) pinned = searched;
      }
      if (meets(w)) {
        k2 = mix, v = w, i = j, batch *= 2;
        accepted.push_back(std::move(mix));
      } else if (batch == 1) {
        ++i;
      } else {
        batch /= 2;
      }
    }
    // The design search decides: when it does not confirm the last accepted mix (its best design for that mix can
    // be slower than the pinned one — e.g. the pinned lane split is not among its candidates), the longest run of
    // accepted batches it confirms, by a binary search over them (the first entry is the step's starting mix).
    const double pinned_value = v;
    v = apply(k2);
    if (!meets(v) && accepted.size() > 1) {
      std::size_t lo = 0, hi = accepted.size() - 2;  // the last one failed
      while (lo < hi) {
        const std::size_t mid = (lo + hi + 1) / 2;
        if (meets(apply(accepted[mid]))) lo = mid; else hi = mid - 1;
      }
      k2 = accepted[lo];
      v = apply(k2);
      projection_["pinned_not_confirmed"] = {{"pinned", pinned_value}, {"kept_batches", lo},
                                             {"accepted_batches", accepted.size() - 1}};
    }
  }
  long to_k1 = 0, to_k2 = 0;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    to_k1 += filters[i].trained_k2 && !k2[i];
    to_k2 += !filters[i].trained_k2 && k2[i];
  }
  projection_["flipped_to_k1"] = to_k1;
  projection_["flipped_to_k2"] = to_k2;
  projection_["searches"] = searches;
  projection_["evaluations"] = evaluations;
  if (std::abs(v / target - 1) > aim_.tolerance) {
    projection_["gap"] = {{"below", below}, {"above", std::isfinite(above) ? boost::json::value(above) : nullptr}};
  }
  return to_k1 + to_k2 > 0;
}

boost::json::object AimController::state() const {
  boost::json::array w;
  for (double x : weights_) w.push_back(x);
  return {{"lambda", ascent_ ? ascent_->lambda() : meta_.quant.lambda},
          {"trajectory", trajectory_},
          {"weights", w},
          {"mid_run", mid_run_}};
}

void AimController::restore(const boost::json::object& s, trainer::Model& model, const std::string& where) {
  // One line naming the first bad field, what it should be and (shortened) what it is.
  const auto bad = [&](const std::string& key, const std::string& expected, const boost::json::value* found) {
    std::string text = found ? boost::json::serialize(*found) : std::string("nothing");
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    throw InputError(where + ": key 'checkpoint.aim." + key + "': expected " + expected + ", found " + text);
  };
  const auto* l = s.if_contains("lambda");
  if (!l || !l->is_number() || !(l->to_number<double>() >= 0)) bad("lambda", "a number ≥ 0", l);
  const auto* t = s.if_contains("trajectory");
  if (!t || !t->is_array()) bad("trajectory", "an array", t);
  const auto* w = s.if_contains("weights");
  const std::string n_weights = std::to_string(weights_.size()) + " numbers ≥ 0 (one per weight layer)";
  if (!w || !w->is_array() || w->as_array().size() != weights_.size()) bad("weights", n_weights, w);
  std::vector<double> weights;
  for (const auto& x : w->as_array()) {
    if (!x.is_number() || !(x.to_number<double>() >= 0)) bad("weights", n_weights, w);
    weights.push_back(x.to_number<double>());
  }
  const auto* m = s.if_contains("mid_run");  // absent in checkpoints written before the mid-run projection existed
  if (m && !m->is_object()) bad("mid_run", "an object (empty before the mid-run projection)", m);
  trajectory_ = t->as_array();
  mid_run_ = m ? m->as_object() : boost::json::object{};
  weights_ = std::move(weights);
  model.set_reg_weights(weights_);
  if (ascent_) {
    ascent_->set_lambda(l->to_number<double>());
    model.set_lambda(ascent_->lambda());
  }
}

boost::json::object AimController::finish(trainer::Model& model) {
  boost::json::array weights;
  for (double x : weights_) weights.push_back(x);
  const double fps = achieved_fps(model);
  boost::json::object o{{"cost", cost_name(aim_.cost)}, {"device", cost_models::find_device(aim_.device).name},
                        {"layer_weights", weights}, {"achieved_fps", fps}};
  if (ascent_) {
    const double value = aim_.target_energy_uj ? achieved(model) : fps;
    const double miss = value / ascent_->target() - 1.0;
    if (aim_.target_energy_uj) {
      o["target_energy_uj"] = ascent_->target();
      o["achieved_energy_uj"] = value;
      o["energy_table"] = aim_.energy_table;
    } else {
      o["target_fps"] = ascent_->target();
    }
    o["miss"] = miss;
    o["tolerance"] = aim_.tolerance;
    o["met"] = std::abs(miss) <= aim_.tolerance;
    o["lambda_final"] = ascent_->lambda();
    o["eta"] = aim_.eta;
    if (!projection_.empty()) o["projection"] = projection_;
    if (!mid_run_.empty()) o["projection_mid_run"] = mid_run_;
    o["project_at"] = aim_.project_at;
  }
  o["trajectory"] = trajectory_;
  return o;
}

std::optional<std::string> projection_gap(const boost::json::object& budget) {
  const auto* p = budget.if_contains("projection");
  const auto* g = p && p->is_object() ? p->as_object().if_contains("gap") : nullptr;
  if (!g || !g->is_object()) return std::nullopt;
  const auto& below = g->as_object().at("below");
  const auto& above = g->as_object().at("above");
  const bool energy = budget.contains("target_energy_uj");
  const auto num = [&](double x) { return energy ? fmt::format("{:.4g}", x) : fmt::format("{:.0f}", x); };
  std::string text = below.is_number() && below.to_number<double>() > 0
                         ? num(below.to_number<double>()) + (energy ? " µJ/image" : " images/s") + " below the target"
                         : std::string("nothing below the target");
  text += above.is_number() ? " and " + num(above.to_number<double>()) + " above it" : std::string(" and nothing above it");
  return text;
}

}  // namespace flight::sweeps
