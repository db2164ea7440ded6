// FP32: the reference; the weights are used as they are.
#include "flight/trainer/quant.hpp"

#include <algorithm>

#include "flight/core/parallel.hpp"

namespace flight::trainer {
namespace {
class Fp32 final : public QuantMethod {
 public:
  void forward(QuantState&, const std::vector<float>& w, std::vector<float>& q, const RoundingDraw*) override {
    // In blocks, in parallel: vgg-l's fc1 has 2 M weights.
    q.resize(w.size());
    parallel_blocks(w.size(), 1 << 16, [&](std::size_t b, std::size_t e) { std::copy(w.begin() + b, w.begin() + e, q.begin() + b); });
  }
};
}  // namespace
std::unique_ptr<QuantMethod> make_fp32_method() { return std::make_unique<Fp32>(); }
}  // namespace flight::trainer
