// FP32: the reference; the weights are used as they are.
#include "flight/trainer/quant.hpp"

namespace flight::trainer {
namespace {
class Fp32 final : public QuantMethod {
 public:
  void forward(QuantState&, const std::vector<float>& w, std::vector<float>& q, const RoundingDraw*) override {
    q = w;
  }
};
}  // namespace
std::unique_ptr<QuantMethod> make_fp32_method() { return std::make_unique<Fp32>(); }
}  // namespace flight::trainer
