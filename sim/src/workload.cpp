#include "flight/sim/workload.hpp"

#include "flight/core/error.hpp"

namespace flight::sim {

std::int64_t Workload::macs() const {
  std::int64_t m = 0;
  for (const auto& l : layers) m += l.macs();
  return m;
}

int Workload::weight_bits(int k_terms) const {
  switch (format) {
    case WeightFormat::pow2: return k_terms * (1 + e_bits);
    case WeightFormat::fixed: return n_bits;
    case WeightFormat::fp32: return 32;
  }
  return 0;
}

std::int64_t Workload::weight_bits_of(const LayerWork& l) const {
  if (format != WeightFormat::pow2) return l.weights() * weight_bits(0);
  std::int64_t bits = 0;
  for (int k = 0; k < 3; ++k) bits += std::int64_t(l.filters_by_k[k]) * l.fan_in() * weight_bits(k);
  return bits;
}

double Workload::mean_terms_per_weight() const {
  double terms = 0, macs_total = 0;
  for (const auto& l : layers) {
    const double per_filter_macs = double(l.fan_in()) * l.h_out * l.w_out;
    for (int k = 0; k < 3; ++k) terms += k * double(l.filters_by_k[k]) * per_filter_macs;
    macs_total += double(l.macs());
  }
  return macs_total > 0 ? terms / macs_total : 0.0;
}

double Workload::fraction_k2() const {
  double k2 = 0, all = 0;
  for (const auto& l : layers) {
    k2 += l.filters_by_k[2];
    all += l.c_out;
  }
  return all > 0 ? k2 / all : 0.0;
}

void validate(const Workload& w) {
  if (w.layers.empty()) throw InputError("workload " + w.name + ": no conv or fc layers");
  if (w.a_bits < 2 || w.a_bits > 32) {
    throw InputError(describe_input_problem("workload " + w.name, "activation bits", "2..32", std::to_string(w.a_bits)));
  }
  for (const auto& l : w.layers) {
    const std::string where = "workload " + w.name + ", layer " + l.name;
    if (l.c_in <= 0 || l.c_out <= 0 || l.kernel <= 0 || l.h_out <= 0 || l.w_out <= 0) {
      throw InputError(describe_input_problem(where, "layer shape", "positive sizes", "a zero size"));
    }
    if (l.map_h <= 0 || l.map_w <= 0 || l.c_in % (l.map_h * l.map_w) != 0) {
      throw InputError(describe_input_problem(where, "flattened map", "H·W dividing the fc's inputs",
                                              std::to_string(l.map_h) + "×" + std::to_string(l.map_w)));
    }
    if (w.format == WeightFormat::pow2) {
      const int sum = l.filters_by_k[0] + l.filters_by_k[1] + l.filters_by_k[2];
      if (sum != l.c_out || l.filters_by_k[0] < 0 || l.filters_by_k[1] < 0 || l.filters_by_k[2] < 0) {
        throw InputError(describe_input_problem(where, "filters by k", std::to_string(l.c_out) + " in total",
                                                std::to_string(sum)));
      }
    }
  }
}

}  // namespace flight::sim
