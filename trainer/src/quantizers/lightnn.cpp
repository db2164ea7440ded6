// LightNN-k: every weight is the greedy residual sum of k power-of-two terms under the layer's window
// (lightnn_quantize), or with the LightNN paper's k-ones + stochastic rounding in training (kones_quantize, drawn
// from counter_uniform keyed by layer, optimizer step and weight: resume is bit-identical).  Straight-through backward.
#include "flight/core/parallel.hpp"
#include "flight/trainer/kernels.hpp"
#include "flight/trainer/quant.hpp"

namespace flight::trainer {
namespace {
class LightNN final : public QuantMethod {
 public:
  explicit LightNN(const QuantConfig& cfg) : cfg_(cfg) {}

  void forward(QuantState& s, const std::vector<float>& w, std::vector<float>& q, const RoundingDraw* draw) override {
    s.window.base = cfg_.auto_base ? pow2_base(w.data(), w.size()) : 0;
    const Pow2Window win = s.window;
    const int fan_in = s.fan_in;
    if (cfg_.kones_stochastic && draw) {
      const std::uint64_t base_key = (draw->stream << 48) ^ (draw->step << 24);
      parallel_for_each(s.filters, [&](int f) {
        for (int j = 0; j < fan_in; ++j) {
          const std::size_t i = std::size_t(f) * fan_in + j;
          q[i] = kones_quantize(w[i], cfg_.k, win, counter_uniform(base_key + i * 0x632be59bd9b4e019ULL));
        }
      });
    } else if (!cfg_.kones_stochastic && cfg_.k <= 2) {
      // The greedy residual with k ≤ 2 terms is R(w) + R(w − R(w)): one vectorized pass (equal to lightnn_quantize
      // element by element).
      second_term_.resize(w.size());
      parallel_for_each(s.filters, [&](int f) {
        const std::size_t o = std::size_t(f) * fan_in;
        pow2_two_terms(w.data() + o, q.data() + o, second_term_.data() + o, std::size_t(fan_in), win.base,
                       win.min_exp(), win.zero_code);
        if (cfg_.k == 2)
          for (std::size_t i = o; i < o + std::size_t(fan_in); ++i) q[i] += second_term_[i];
      });
    } else {
      parallel_for_each(s.filters, [&](int f) {
        for (int j = 0; j < fan_in; ++j) {
          const std::size_t i = std::size_t(f) * fan_in + j;
          q[i] = cfg_.kones_stochastic ? kones_quantize(w[i], cfg_.k, win, -1.0f) : lightnn_quantize(w[i], cfg_.k, win);
        }
      });
    }
    std::fill(s.filter_k.begin(), s.filter_k.end(), cfg_.k);
  }

  void terms(const QuantState& s, float w, int k, float out[2]) const override {
    out[0] = out[1] = 0.0f;
    if (cfg_.kones_stochastic) kones_quantize(w, k, s.window, -1.0f, out);
    else lightnn_quantize(w, k, s.window, out);
  }

 private:
  QuantConfig cfg_;
  std::vector<float> second_term_;  // scratch: R(w − R(w))
};
}  // namespace
std::unique_ptr<QuantMethod> make_lightnn_method(const QuantConfig& cfg) { return std::make_unique<LightNN>(cfg); }
}  // namespace flight::trainer
