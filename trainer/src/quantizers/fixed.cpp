// Fixed-n: symmetric uniform weights with a per-layer power-of-two scale (fixed_scale, fixed_quantize in quant.hpp);
// straight-through backward.
#include "flight/core/parallel.hpp"
#include "flight/trainer/quant.hpp"

namespace flight::trainer {
namespace {
class Fixed final : public QuantMethod {
 public:
  explicit Fixed(int bits) : bits_(bits) {}
  void forward(QuantState& s, const std::vector<float>& w, std::vector<float>& q, const RoundingDraw*) override {
    s.fixed_scale = fixed_scale(w.data(), w.size(), bits_);
    const float scale = s.fixed_scale;
    parallel_blocks(w.size(), 4096, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) q[i] = fixed_quantize(w[i], scale, bits_);
    });
  }

 private:
  int bits_;
};
}  // namespace
std::unique_ptr<QuantMethod> make_fixed_method(const QuantConfig& cfg) {
  return std::make_unique<Fixed>(cfg.fixed_bits);
}
}  // namespace flight::trainer
