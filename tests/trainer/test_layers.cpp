// Numeric-vs-analytic gradient checks for every layer and each quantizer's straight-through path, kernels against
// their reference versions, and quantizer values against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <functional>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "flight/trainer/kernels.hpp"
#include "flight/trainer/layers.hpp"
#include "flight/core/parallel.hpp"
#include "flight/trainer/quant.hpp"

namespace flight::trainer {
namespace {

Tensor random_tensor(int n, int c, int h, int w, unsigned seed, float lo = -1, float hi = 1) {
  Tensor t(n, c, h, w);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (auto& v : t.v) v = d(rng);
  return t;
}

// L = Σ r·y with fixed random r, so dL/dy = r.  Checks dL/dx and dL/dparams by central differences (double budget
// 2e-2 relative on the norm of the difference: float32 forward passes).
void gradient_check(Layer& layer, Tensor x, bool check_params = true, float eps = 1e-2f) {
  init_kernels();
  Tensor y, gx;
  layer.forward(x, y, true);
  Tensor r = random_tensor(y.n(), y.c(), y.h(), y.w(), 99);
  r.blocked = y.blocked;  // dL/dy in the layout of y (the loss is a sum over elements: either layout)
  auto loss = [&](const Tensor& in) {
    Tensor out;
    layer.forward(in, out, true);
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i) s += double(out[i]) * r[i];
    return s;
  };
  for (auto& p : layer.params()) std::fill(p.grad->begin(), p.grad->end(), 0.0f);
  layer.forward(x, y, true);
  layer.backward(x, y, r, gx);
  double num2 = 0, diff2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    Tensor xp = x, xm = x;
    xp[i] += eps;
    xm[i] -= eps;
    const double num = (loss(xp) - loss(xm)) / (2 * eps);
    num2 += num * num;
    diff2 += (num - gx[i]) * (num - gx[i]);
  }
  EXPECT_LE(std::sqrt(diff2), 2e-2 * std::sqrt(num2) + 1e-6) << layer.name() << " input gradient";
  if (!check_params) return;
  for (auto& p : layer.params()) {
    if (p.name.find("threshold") != std::string::npos) continue;
    const std::vector<float> analytic = *p.grad;
    double pn2 = 0, pd2 = 0;
    for (std::size_t i = 0; i < p.value->size(); ++i) {
      const float keep = (*p.value)[i];
      (*p.value)[i] = keep + eps;
      const double lp = loss(x);
      (*p.value)[i] = keep - eps;
      const double lm = loss(x);
      (*p.value)[i] = keep;
      const double num = (lp - lm) / (2 * eps);
      pn2 += num * num;
      pd2 += (num - analytic[i]) * (num - analytic[i]);
    }
    EXPECT_LE(std::sqrt(pd2), 2e-2 * std::sqrt(pn2) + 1e-6) << layer.name() << " " << p.name;
  }
}

TEST(Kernels, GemmMatchesReferenceInEveryTransposition) {
  init_kernels();
  const int m = 7, n = 5, k = 9;
  const auto a = random_tensor(1, 1, m, k, 1), at = random_tensor(1, 1, k, m, 2);
  const auto b = random_tensor(1, 1, k, n, 3), bt = random_tensor(1, 1, n, k, 4);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Tensor c1 = random_tensor(1, 1, m, n, 5), c2 = c1;
      const float* pa = ta ? at.data() : a.data();
      const float* pb = tb ? bt.data() : b.data();
      gemm_ref(ta, tb, m, n, k, 0.5f, pa, ta ? m : k, pb, tb ? k : n, 0.25f, c2.data(), n);
      for (GemmLibrary lib : {GemmLibrary::openblas, GemmLibrary::onednn}) {  // gemm() runs one of them
        Tensor c = c1;
        gemm_with(lib, ta, tb, m, n, k, 0.5f, pa, ta ? m : k, pb, tb ? k : n, 0.25f, c.data(), n);
        for (std::size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(c[i], c2[i], 1e-5) << ta << tb << int(lib);
      }
    }
}

TEST(Kernels, Im2colMatchesReferenceExactly) {
  for (int stride : {1, 2, 3})
    for (int pad : {0, 1, 2})
      for (int k : {1, 3, 5}) {
        const int ch = 2, h = 7, w = 6;
        if (h + 2 * pad < k || w + 2 * pad < k) continue;
        const int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
        const auto x = random_tensor(1, ch, h, w, 9);
        std::vector<float> fast(std::size_t(ch) * k * k * ho * wo, -7.0f), ref(fast.size(), -9.0f);
        im2col(x.data(), ch, h, w, k, stride, pad, ho, wo, fast.data());
        im2col_ref(x.data(), ch, h, w, k, stride, pad, ho, wo, ref.data());
        EXPECT_EQ(fast, ref) << "k " << k << " stride " << stride << " pad " << pad;  // a copy: no error budget
      }
}

TEST(Kernels, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), c> = <x, col2im(c)> for any x and c.
  const int ch = 2, h = 5, w = 6, k = 3, stride = 2, pad = 1;
  const int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
  const auto x = random_tensor(1, ch, h, w, 7);
  const auto c = random_tensor(1, ch * k * k, ho, wo, 8);
  std::vector<float> cols(c.size()), back(x.size(), 0.0f);
  im2col(x.data(), ch, h, w, k, stride, pad, ho, wo, cols.data());
  col2im(c.data(), ch, h, w, k, stride, pad, ho, wo, back.data());
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < cols.size(); ++i) lhs += double(cols[i]) * c[i];
  for (std::size_t i = 0; i < back.size(); ++i) rhs += double(back[i]) * x[i];
  EXPECT_NEAR(lhs, rhs, 1e-4);
}

QuantConfig fp32() { return {}; }

// A batch norm and its ReLU as one layer, run as Model runs them (one pass each way), for gradient_check.
struct BatchNormReluPair : Layer {
  BatchNorm& b;
  ReLU& r;
  BatchNormReluPair(BatchNorm& bn, ReLU& relu) : b(bn), r(relu) {}
  void forward(const Tensor& x, Tensor& y, bool train) override { b.forward_relu(x, r, y, train); }
  void backward(const Tensor& x, const Tensor&, const Tensor& gy, Tensor& gx) override { b.backward_relu(x, r, gy, gx); }
  std::vector<ParamRef> params() override { return b.params(); }
  std::string name() const override { return "batchnorm+relu"; }
};

// A stride-2, padded conv with bias (c_in 3 → c_out), random weights and bias, checked on `images` images.
void conv_gradient_check(Conv2d::Algorithm algorithm, int c_out, int images, unsigned seed) {
  Conv2d conv(3, c_out, 3, 2, 1, true, fp32());
  conv.set_algorithm(algorithm);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  for (auto& v : conv.weights()) v = d(rng);
  for (auto& v : conv.bias()) v = d(rng);
  gradient_check(conv, random_tensor(images, 3, 6, 5, seed + 10));
}

TEST(GradientCheck, Conv2dStridePaddingBias) { conv_gradient_check(Conv2d::Algorithm::im2col_gemm, 4, 2, 1); }

// The same check through oneDNN, with 2 threads and 3 images: chunks of 1 and 2 images, two engines.
TEST(GradientCheck, Conv2dOnOneDnnStridePaddingBias) {
  ThreadLimit two(2);
  conv_gradient_check(Conv2d::Algorithm::onednn, 5, 3, 2);
}

// oneDNN and im2col + OpenBLAS compute the same convolution: outputs, weight, bias and input gradients agree to
// float rounding, on the shapes the shipped networks use and on odd ones, at 1 and 2 threads.
TEST(Conv2d, OneDnnAndIm2colGemmAgree) {
  init_kernels();
  struct Case {
    int n, c_in, c_out, size, k, stride, pad;
    bool bias;
  };
  const Case cases[] = {{5, 16, 32, 8, 3, 1, 1, false}, {3, 20, 50, 12, 5, 1, 0, true},
                        {4, 3, 32, 9, 3, 2, 1, true},   {2, 64, 64, 6, 3, 1, 1, false}};
  for (int threads : {1, 2}) {
    ThreadLimit limit(threads);
    for (const auto& t : cases) {
      Conv2d a(t.c_in, t.c_out, t.k, t.stride, t.pad, t.bias, fp32()), b(t.c_in, t.c_out, t.k, t.stride, t.pad, t.bias,
                                                                            fp32());
      a.set_algorithm(Conv2d::Algorithm::onednn);
      b.set_algorithm(Conv2d::Algorithm::im2col_gemm);
      std::mt19937 rng(unsigned(t.c_in * 7 + t.c_out));
      std::uniform_real_distribution<float> d(-0.5f, 0.5f);
      for (auto& v : a.weights()) v = d(rng);
      for (auto& v : a.bias()) v = d(rng);
      b.weights() = a.weights();
      b.bias() = a.bias();
      const auto x = random_tensor(t.n, t.c_in, t.size, t.size, 40);
      Tensor ya, yb, gxa, gxb;
      a.forward(x, ya, true);
      b.forward(x, yb, true);
      ASSERT_EQ(ya.size(), yb.size());
      const auto gy = random_tensor(ya.n(), ya.c(), ya.h(), ya.w(), 41);
      a.backward(x, ya, gy, gxa);
      b.backward(x, yb, gy, gxb);
      const std::string what = std::to_string(t.c_in) + "→" + std::to_string(t.c_out) + ", " +
                               std::to_string(threads) + " thread(s)";
      auto close = [&](const std::vector<float>& u, const std::vector<float>& v, const char* name) {
        ASSERT_EQ(u.size(), v.size()) << name << " " << what;
        double d2 = 0, n2 = 0;
        for (std::size_t i = 0; i < u.size(); ++i) d2 += double(u[i] - v[i]) * (u[i] - v[i]), n2 += double(v[i]) * v[i];
        EXPECT_LE(std::sqrt(d2), 1e-5 * std::sqrt(n2) + 1e-7) << name << " " << what;
      };
      close(ya.v, yb.v, "output");
      close(gxa.v, gxb.v, "input gradient");
      auto pa = a.params(), pb = b.params();
      for (std::size_t p = 0; p < pa.size(); ++p) close(*pa[p].grad, *pb[p].grad, pa[p].name.c_str());
    }
  }
}

// bf16 convolutions (issue 14): with quantized weights (LightNN-2, Fixed-4) and A = 8 activations every operand is
// exact in bfloat16, so the forward pass forms the fp32 products and only the summation order differs from fp32
// (≤ 1e-6 relative).  With plain fp32 weights and inputs the rounding to bf16 shows (> 1e-4: the bound above would
// catch an inexact operand) but stays a mixed-precision error (< 1e-2); gradients within 1e-2 in every case.
float bf16_round(float v) {  // round to nearest even at 8 significant bits, as the hardware conversion does
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&v, &b, 4);
  return v;
}

TEST(Conv2d, Bf16FormsTheFp32ProductsOfQuantizedOperands) {
  init_kernels();
  if (!bf16_unavailable_reason().empty()) GTEST_SKIP() << bf16_unavailable_reason();
  ThreadLimit two(2);
  auto rel = [](const std::vector<float>& u, const std::vector<float>& v) {
    double d2 = 0, n2 = 0;
    for (std::size_t i = 0; i < u.size(); ++i) d2 += double(u[i] - v[i]) * (u[i] - v[i]), n2 += double(v[i]) * v[i];
    return std::sqrt(d2 / n2);
  };
  QuantConfig lightnn2{Method::lightnn, 4, 2}, fixed4{Method::fixed, 4};
  for (const QuantConfig& q : {lightnn2, fixed4, fp32()}) {
    const bool quantized = q.method != Method::fp32;
    Conv2d a(32, 32, 3, 1, 1, false, q), b(32, 32, 3, 1, 1, false, q);
    a.set_algorithm(Conv2d::Algorithm::onednn);
    b.set_algorithm(Conv2d::Algorithm::onednn);
    b.set_precision(Precision::bf16);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> d(-0.3f, 0.3f);
    for (auto& v : a.weights()) v = d(rng);
    b.weights() = a.weights();
    // Quantized: activations of an A = 8 ReLU (integers 0…255 times 2^−6); else plain reals.
    Tensor x = random_tensor(5, 32, 9, 9, 60);
    if (quantized)
      for (auto& v : x.v) v = std::ldexp(float(std::lround((v + 1) * 127.5f)), -6);
    Tensor ya, yb, gxa, gxb;
    a.forward(x, ya, true);
    b.forward(x, yb, true);
    const std::string what = method_name(q);
    if (quantized) {
      for (float w : a.quantized_weights()) ASSERT_EQ(bf16_round(w), w) << what << ": a weight not exact in bf16";
      for (float v : x.v) ASSERT_EQ(bf16_round(v), v);
      EXPECT_LE(rel(yb.v, ya.v), 1e-6) << what;
    } else {
      EXPECT_GT(rel(yb.v, ya.v), 1e-4) << what;
      EXPECT_LT(rel(yb.v, ya.v), 1e-2) << what;
    }
    const auto gy = random_tensor(ya.n(), ya.c(), ya.h(), ya.w(), 61);
    a.backward(x, ya, gy, gxa);
    b.backward(x, yb, gy, gxb);
    EXPECT_LT(rel(gxb.v, gxa.v), 1e-2) << what << " input gradient";
    EXPECT_LT(rel(*b.params()[0].grad, *a.params()[0].grad), 1e-2) << what << " weight gradient";
  }
}

// Debian's oneDNN runs on OpenMP; Conv2d keeps it to the calling thread, so a training step starts no thread beyond
// oneTBB's own workers.  At 1 thread oneTBB starts none, so the thread count must not change at all.
int threads_of_this_process() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(Conv2d, OneDnnStartsNoThreadOfItsOwn) {
  init_kernels();
  auto step = [] {
    Conv2d conv(32, 32, 3, 1, 1, false, fp32());
    conv.set_algorithm(Conv2d::Algorithm::onednn);
    const auto x = random_tensor(4, 32, 8, 8, 50);
    Tensor y, gx;
    conv.forward(x, y, true);
    conv.backward(x, y, y, gx);
    // And an fc layer: its GEMMs run through dnnl_sgemm where oneDNN runs AVX-512 (gemm_library()).
    Linear fc(512, 64, false, fp32());
    const auto f = random_tensor(4, 512, 1, 1, 51);
    Tensor z, gf;
    fc.forward(f, z, true);
    fc.backward(f, z, z, gf);
  };
  {
    ThreadLimit one(1);
    const int before = threads_of_this_process();
    step();
    EXPECT_EQ(threads_of_this_process(), before) << "oneDNN started a thread pool of its own";
  }
  {
    ThreadLimit two(2);
    const int before = threads_of_this_process();
    step();
    EXPECT_LE(threads_of_this_process(), before + 1) << "more threads than oneTBB's one extra worker";
  }
}

TEST(GradientCheck, Linear) {
  Linear fc(12, 5, true, fp32());
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  for (auto& v : fc.weights()) v = d(rng);
  gradient_check(fc, random_tensor(3, 3, 2, 2, 12));
}

TEST(GradientCheck, BatchNormTraining) {
  BatchNorm bn(3);
  bn.gamma() = {1.5f, 0.5f, -1.0f};
  bn.beta() = {0.1f, -0.2f, 0.3f};
  gradient_check(bn, random_tensor(4, 3, 2, 3, 13), true, 1e-3f);
}

TEST(GradientCheck, ReLUAwayFromTheKink) {
  ReLU relu;
  auto x = random_tensor(2, 3, 4, 4, 14);
  for (auto& v : x.v) v = v >= 0 ? v + 0.05f : v - 0.05f;  // keep every input 5 eps from 0
  gradient_check(relu, x);
}

TEST(GradientCheck, MaxPoolWithDistinctValues) {
  MaxPool pool(2, 2);
  // A random permutation of 0.05·i: every two values differ by far more than 2·eps, so no window has a near tie.
  Tensor x(2, 2, 4, 6);
  std::vector<int> perm(x.size());
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = int(i);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(15));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.05f * float(perm[i]) - 1.0f;
  gradient_check(pool, x, true, 1e-3f);
}

// 2×2 stride-2 pooling against a plain loop over each window, with many ties (values from {0, 1, 2}) and odd sizes,
// on the vectorized path (rows of ≥ 8 outputs) and the general loop: the first maximum in row-major order wins, and
// the backward pass routes each gradient to it.
TEST(MaxPool, TwoByTwoTakesTheFirstMaximumOfEachWindow) {
  for (const auto& [h, w] : {std::pair{5, 7}, std::pair{6, 19}}) {
    MaxPool pool(2, 2);
    Tensor x(3, 2, h, w);
    std::mt19937 rng(4);
    for (auto& v : x.v) v = float(rng() % 3);
    Tensor y, gx;
    pool.forward(x, y, true);
    const int ho = h / 2, wo = w / 2;
    ASSERT_EQ(y.h(), ho);
    ASSERT_EQ(y.w(), wo);
    const Tensor gy = random_tensor(3, 2, ho, wo, 8);
    pool.backward(x, y, gy, gx);
    std::vector<float> want_gx(x.size(), 0.0f);
    for (int pl = 0; pl < 6; ++pl)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          const std::size_t base = std::size_t(pl) * h * w;
          std::size_t best = base + std::size_t(2 * oy * w + 2 * ox);
          for (int ky = 0; ky < 2; ++ky)
            for (int kx = 0; kx < 2; ++kx) {
              const std::size_t i = base + std::size_t((2 * oy + ky) * w + 2 * ox + kx);
              if (x[i] > x[best]) best = i;
            }
          const std::size_t o = std::size_t(pl) * ho * wo + std::size_t(oy * wo + ox);
          EXPECT_EQ(y[o], x[best]) << h << "x" << w << " " << o;
          want_gx[best] += gy[o];
        }
    EXPECT_EQ(gx.v, want_gx) << h << "x" << w;
  }
}

TEST(GradientCheck, Flatten) {
  Flatten f;
  gradient_check(f, random_tensor(2, 3, 2, 2, 16));
}

TEST(GradientCheck, SoftmaxCrossEntropy) {
  const auto z = random_tensor(3, 5, 1, 1, 17);
  const std::vector<int> labels = {0, 3, 4};
  Tensor g, unused;
  softmax_cross_entropy(z, labels, g, nullptr);
  const float eps = 1e-3f;
  for (std::size_t i = 0; i < z.size(); ++i) {
    Tensor zp = z, zm = z;
    zp[i] += eps;
    zm[i] -= eps;
    const double num = (softmax_cross_entropy(zp, labels, unused, nullptr) -
                        softmax_cross_entropy(zm, labels, unused, nullptr)) / (2 * eps);
    EXPECT_NEAR(num, g[i], 1e-4);
  }
}

// With quantization the forward is piecewise constant in W; the straight-through estimator defines dL/dW = dL/dQ.
// Check that the weight gradient of a quantized layer equals the exact gradient of the fp32 layer evaluated at Q.
void straight_through_check(const QuantConfig& q, Conv2d::Algorithm algorithm = Conv2d::Algorithm::im2col_gemm) {
  init_kernels();
  Conv2d quant(2, 3, 3, 1, 1, false, q), plain(2, 3, 3, 1, 1, false, fp32());
  quant.set_algorithm(algorithm);
  plain.set_algorithm(algorithm);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-0.6f, 0.6f);
  for (auto& v : quant.weights()) v = d(rng);
  const auto x = random_tensor(2, 2, 4, 4, 18);
  Tensor y, gx, y2, gx2;
  quant.forward(x, y, true);
  plain.weights() = quant.quantized_weights();
  plain.forward(x, y2, true);
  for (std::size_t i = 0; i < y.size(); ++i) ASSERT_FLOAT_EQ(y[i], y2[i]);
  const auto r = random_tensor(y.n(), y.c(), y.h(), y.w(), 19);
  quant.backward(x, y, r, gx);
  plain.backward(x, y2, r, gx2);
  auto qp = quant.params(), pp = plain.params();
  for (std::size_t i = 0; i < qp[0].grad->size(); ++i) EXPECT_NEAR((*qp[0].grad)[i], (*pp[0].grad)[i], 1e-5);
  for (std::size_t i = 0; i < gx.size(); ++i) EXPECT_NEAR(gx[i], gx2[i], 1e-5);
  // and the fp32 gradient at Q is itself right:
  gradient_check(plain, x);
}

// The first layer of a model skips the image gradient; its weight gradients are unchanged.
TEST(Conv2d, SkippingTheInputGradientLeavesWeightGradientsUnchanged) {
  init_kernels();
  Conv2d a(2, 3, 3, 1, 1, true, fp32()), b(2, 3, 3, 1, 1, true, fp32());
  b.weights() = a.weights();
  b.set_input_grad_needed(false);
  const auto x = random_tensor(2, 2, 5, 5, 31);
  Tensor ya, yb, gxa, gxb;
  a.forward(x, ya, true);
  b.forward(x, yb, true);
  const auto gy = random_tensor(ya.n(), ya.c(), ya.h(), ya.w(), 32);
  a.backward(x, ya, gy, gxa);
  b.backward(x, yb, gy, gxb);
  EXPECT_EQ(gxa.size(), x.size());
  EXPECT_EQ(gxb.size(), 0u);
  auto pa = a.params(), pb = b.params();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t p = 0; p < pa.size(); ++p) EXPECT_EQ(*pa[p].grad, *pb[p].grad) << pa[p].name;
}

TEST(GradientCheck, StraightThroughFixed4) { straight_through_check({Method::fixed, 4}); }
TEST(GradientCheck, StraightThroughLightNN1) { straight_through_check({Method::lightnn, 4, 1}); }
TEST(GradientCheck, StraightThroughLightNN2) { straight_through_check({Method::lightnn, 4, 2}); }
TEST(GradientCheck, StraightThroughFLightNN) { straight_through_check({Method::flightnn, 4, 2, 3, true, true, 8, 0.0}); }
TEST(GradientCheck, StraightThroughFLightNNOnOneDnn) {
  straight_through_check({Method::flightnn, 4, 2, 3, true, true, 8, 0.0}, Conv2d::Algorithm::onednn);
}

TEST(GradientCheck, ActivationQuantizerPassesGradientInsideItsRangeOnly) {
  ReLU relu(4);
  Tensor x(1, 1, 1, 4);
  x.v = {-0.5f, 0.3f, 0.9f, 0.6f};
  Tensor y, gx;
  relu.forward(x, y, true);  // range 0.9 → scale 2^0 / 16: clip at 15/16
  EXPECT_FLOAT_EQ(relu.scale(), 1.0f / 16);
  EXPECT_FLOAT_EQ(y[1], 5.0f / 16);  // 0.3·16 = 4.8 → 5
  Tensor g(1, 1, 1, 4, 1.0f);
  relu.backward(x, y, g, gx);
  EXPECT_EQ(gx.v, (std::vector<float>{0, 1, 1, 1}));
  x.v[2] = 0.95f;  // still within 15/16 = 0.9375? no: clipped
  relu.forward(x, y, false);
  relu.backward(x, y, g, gx);
  EXPECT_EQ(gx[2], 0.0f);
}

// ---------------- quantizer values by hand ----------------

TEST(Pow2Round, WindowEdgesAndZeroCode) {
  const Pow2Window win{0, 3, true};  // exponents −6 … 0, code 0 = zero
  EXPECT_EQ(win.min_exp(), -6);
  EXPECT_FLOAT_EQ(pow2_round(1.0f, win), 1.0f);
  EXPECT_FLOAT_EQ(pow2_round(3.0f, win), 1.0f);     // saturates at 2^base
  EXPECT_FLOAT_EQ(pow2_round(-0.7f, win), -0.5f);   // 0.7 < 0.75 → 0.5
  EXPECT_FLOAT_EQ(pow2_round(0.75f, win), 1.0f);    // tie goes up
  EXPECT_FLOAT_EQ(pow2_round(0.016f, win), 0.015625f);  // 2^−6, the smallest code
  EXPECT_FLOAT_EQ(pow2_round(0.0079f, win), 0.015625f);  // at least half of 2^−6 → 2^−6
  EXPECT_FLOAT_EQ(pow2_round(0.0077f, win), 0.0f);       // below half of 2^−6 → zero code
  EXPECT_FLOAT_EQ(pow2_round(0.0077f, {0, 3, false}), 0.0078125f);  // no zero code: 2^−7 is the smallest
  EXPECT_FLOAT_EQ(pow2_round(0.001f, {0, 3, false}), 0.0078125f);
}

TEST(Pow2Round, LayerBaseAndCodes) {
  const float w[] = {0.3f, -0.2f, 0.05f};
  EXPECT_EQ(pow2_base(w, 3), -2);  // R(0.3) = 0.25 = 2^−2
  const float big[] = {0.4f};
  EXPECT_EQ(pow2_base(big, 1), -1);  // 0.4 ≥ 0.375 → 0.5
  const Pow2Window win{-2, 3, true};
  EXPECT_EQ(pow2_code(0.0f, win), 0);
  EXPECT_EQ(pow2_code(0.25f, win), 7);                 // exponent −2 = min_exp (−8) + 6, code 7
  EXPECT_EQ(pow2_code(-0.25f, win), (1 << 3) | 7);    // sign bit above the E code bits
  EXPECT_EQ(pow2_code(std::ldexp(1.0f, -8), win), 1);
}

TEST(LightNN, ResidualOfTwoTermsByHand) {
  const Pow2Window win{0, 3, true};
  float terms[2];
  // 0.7 → R = 0.5, residual 0.2 → R = 0.25: Q2 = 0.75
  EXPECT_FLOAT_EQ(lightnn_quantize(0.7f, 2, win, terms), 0.75f);
  EXPECT_FLOAT_EQ(terms[0], 0.5f);
  EXPECT_FLOAT_EQ(terms[1], 0.25f);
  EXPECT_FLOAT_EQ(lightnn_quantize(0.7f, 1, win), 0.5f);
  // −0.3 → −0.25, residual −0.05 → −0.0625: Q2 = −0.3125
  EXPECT_FLOAT_EQ(lightnn_quantize(-0.3f, 2, win), -0.3125f);
  // exact powers of two need no second term: the residual rounds to the zero code
  EXPECT_FLOAT_EQ(lightnn_quantize(0.5f, 2, win, terms), 0.5f);
  EXPECT_FLOAT_EQ(terms[1], 0.0f);
}

// The layer quantizer's vectorized LightNN path equals lightnn_quantize element by element (bit for bit).
TEST(LightNN, LayerQuantizerEqualsTheGreedyResidual) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> d(-1, 1);
  for (int k : {1, 2})
    for (bool zero_code : {true, false}) {
      QuantConfig cfg{Method::lightnn, 4, k};
      cfg.zero_code = zero_code;
      WeightQuantizer wq(cfg, 7, 45);
      std::vector<float> w(7 * 45), q;
      for (auto& v : w) v = d(rng) * d(rng);
      w[3] = 0.0f, w[4] = -0.0f, w[5] = 1e-30f;
      wq.forward(w, q);
      for (std::size_t i = 0; i < w.size(); ++i) {
        const float ref = lightnn_quantize(w[i], k, wq.window());
        EXPECT_EQ(std::memcmp(&q[i], &ref, 4), 0) << w[i] << " k " << k << " zero code " << zero_code;
      }
    }
}

TEST(Fixed, ScaleAndClampByHand) {
  const float w[] = {0.3f, -0.6f};
  const float s = fixed_scale(w, 2, 4);  // 2^⌈log2 0.6⌉ = 1, / 2^3 → 0.125
  EXPECT_FLOAT_EQ(s, 0.125f);
  EXPECT_FLOAT_EQ(fixed_quantize(0.3f, s, 4), 0.25f);     // 2.4 → 2
  EXPECT_FLOAT_EQ(fixed_quantize(-0.6f, s, 4), -0.625f);  // −4.8 → −5
  EXPECT_FLOAT_EQ(fixed_quantize(2.0f, s, 4), 0.875f);    // clamps at 7
  EXPECT_FLOAT_EQ(fixed_quantize(-2.0f, s, 4), -1.0f);    // and at −8
}

TEST(FLightNN, LambdaZeroThresholdsZeroKeepsEveryFilterAtK2) {
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 0.0};
  WeightQuantizer wq(q, 5, 7);
  std::vector<float> w(35), out;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& v : w) v = d(rng);
  wq.forward(w, out);
  for (int k : wq.filter_k()) EXPECT_EQ(k, 2);
  // and then the values equal LightNN-2's
  const Pow2Window win{pow2_base(w.data(), w.size()), 3, true};
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_FLOAT_EQ(out[i], lightnn_quantize(w[i], 2, win));
}

TEST(FLightNN, ThresholdAboveTheResidualNormGivesK1) {
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 0.0};
  WeightQuantizer wq(q, 2, 3);
  std::vector<float> w = {0.7f, 0.3f, -0.3f, 0.5f, 0.25f, 0.125f}, out;  // filter 1 is exact: residual 0
  wq.thresholds() = {10.0f, 0.0f};
  wq.forward(w, out);
  EXPECT_EQ(wq.filter_k()[0], 1);
  EXPECT_EQ(wq.filter_k()[1], 1);  // ‖res‖ = 0 is not > 0
  const Pow2Window win{0, 3, true};
  EXPECT_FLOAT_EQ(out[0], pow2_round(0.7f, win));
}

TEST(FLightNN, RegularizerPushesThresholdsUp) {
  // With λ > 0 and no data gradient, every threshold gradient is negative (gradient descent raises t → k = 1).
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 1.0};
  WeightQuantizer wq(q, 4, 9);
  wq.set_reg_weight(0.25);
  std::vector<float> w(36), out, gw;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& v : w) v = d(rng);
  wq.forward(w, out);
  EXPECT_NEAR(wq.reg_loss(), 1.0 * 0.25 * 8, 1e-12);  // 4 filters at k = 2
  wq.backward(std::vector<float>(36, 0.0f), gw);
  for (float g : wq.threshold_grads()) EXPECT_LT(g, 0.0f);
}

TEST(GradientCheck, StraightThroughFLightNNWithK0) {
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 0.0};
  q.allow_k0 = true;
  straight_through_check(q);
}

TEST(FLightNN, OuterThresholdAboveTheFilterNormPrunesIt) {
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 0.0};
  q.allow_k0 = true;
  WeightQuantizer wq(q, 2, 3);
  std::vector<float> w = {0.7f, 0.3f, -0.3f, 0.5f, 0.25f, 0.125f}, out;
  wq.forward(w, out);  // thresholds 0: nothing pruned, LightNN-2 values
  EXPECT_EQ(wq.filter_k()[0], 2);
  wq.prune_thresholds() = {10.0f, 0.0f};  // ‖W_0‖ ≈ 0.81 < 10
  wq.forward(w, out);
  EXPECT_EQ(wq.filter_k()[0], 0);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(out[j], 0.0f);
  EXPECT_EQ(wq.filter_k()[1], 1);  // exact filter: residual 0, kept
  EXPECT_FLOAT_EQ(out[3], 0.5f);
  float terms[2] = {1, 1};
  wq.terms(0.7f, 0, terms);
  EXPECT_EQ(terms[0], 0.0f);
  EXPECT_EQ(terms[1], 0.0f);
}

TEST(FLightNN, RegularizerPushesOuterThresholdsUpAndTheirGradientMatchesTheSigmoid) {
  QuantConfig q{Method::flightnn, 4, 2, 3, true, true, 8, 1.0};
  q.allow_k0 = true;
  WeightQuantizer wq(q, 4, 9);
  wq.set_reg_weight(0.25);
  std::vector<float> w(36), out, gw;
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& v : w) v = d(rng);
  wq.forward(w, out);
  EXPECT_NEAR(wq.reg_loss(), 1.0 * 0.25 * 8, 1e-12);
  wq.backward(std::vector<float>(36, 0.0f), gw);
  // dR/dt0_i = λ · reg · (1 + g1) · (−σ'): negative, and by hand for filter 0.
  double mean = 0, n0 = 0;
  for (int f = 0; f < 4; ++f) {
    double s = 0;
    for (int j = 0; j < 9; ++j) s += double(w[f * 9 + j]) * w[f * 9 + j];
    mean += std::sqrt(s) / 4;
    if (f == 0) n0 = std::sqrt(s);
  }
  const double sg = 1 / (1 + std::exp(-n0 / mean));
  EXPECT_NEAR(wq.prune_threshold_grads()[0], -1.0 * 0.25 * 2 * sg * (1 - sg) / mean, 1e-6);
  for (float g : wq.prune_threshold_grads()) EXPECT_LT(g, 0.0f);
}

TEST(Determinism, SameSeedAndThreadsGiveIdenticalGradients) {
  init_kernels();
  for (auto algorithm : {Conv2d::Algorithm::im2col_gemm, Conv2d::Algorithm::onednn}) {
  auto run = [algorithm] {
    Conv2d conv(3, 8, 3, 1, 1, true, fp32());
    conv.set_algorithm(algorithm);
    std::mt19937 rng(6);
    std::uniform_real_distribution<float> d(-0.5f, 0.5f);
    for (auto& v : conv.weights()) v = d(rng);
    const auto x = random_tensor(8, 3, 8, 8, 20);
    Tensor y, gx;
    conv.forward(x, y, true);
    conv.backward(x, y, y, gx);
    return *conv.params()[0].grad;
  };
  ThreadLimit two(2);
  EXPECT_EQ(run(), run());
  }
}

TEST(Conv2d, DefaultAlgorithmFollowsTheChannelCountsAndTheInstructionSet) {
  EXPECT_EQ(Conv2d::default_algorithm(3, 32, false), Conv2d::Algorithm::im2col_gemm);   // few input channels
  EXPECT_EQ(Conv2d::default_algorithm(20, 50, false), Conv2d::Algorithm::im2col_gemm);  // padded to 32 and 64
  EXPECT_EQ(Conv2d::default_algorithm(32, 64, false), Conv2d::Algorithm::onednn);
  EXPECT_EQ(Conv2d::default_algorithm(128, 128, false), Conv2d::Algorithm::onednn);
  // With AVX-512: by the output channels' 16-blocks only.
  for (int c_in : {1, 3, 20, 128}) {
    EXPECT_EQ(Conv2d::default_algorithm(c_in, 32, true), Conv2d::Algorithm::onednn);
    EXPECT_EQ(Conv2d::default_algorithm(c_in, 50, true), Conv2d::Algorithm::im2col_gemm);
    EXPECT_EQ(Conv2d::default_algorithm(c_in, 20, true), Conv2d::Algorithm::im2col_gemm);
  }
}

}  // namespace
}  // namespace flight::trainer

namespace flight::trainer {
namespace {

// k-ones + stochastic rounding (the LightNN paper's; DESIGN.md §4), the ±2^−n window (exp_base 0, n = 0…7, no zero).
TEST(KOnes, TruncatesThenRoundsTheLastTermByHand) {
  const Pow2Window win{0, 3, false};
  float t[2];
  // 0.9: the greedy nearest residual gives 1 − 0.125 = 0.875; k-ones keeps 0.5 then rounds 0.4 to 0.5 → 1.0.
  EXPECT_FLOAT_EQ(lightnn_quantize(0.9f, 2, win), 0.875f);
  EXPECT_FLOAT_EQ(kones_quantize(0.9f, 2, win, -1.0f, t), 1.0f);
  EXPECT_FLOAT_EQ(t[0], 0.5f);
  EXPECT_FLOAT_EQ(t[1], 0.5f);
  // k = 1 deterministic is round to nearest: equals R.
  for (float w : {0.7f, 0.74f, 0.76f, -0.3f, 0.01f, 1.7f}) EXPECT_FLOAT_EQ(kones_quantize(w, 1, win, -1.0f), pow2_round(w, win)) << w;
  // Stochastic: 0.75 ∈ [0.5, 1) rounds up with probability 0.5.
  EXPECT_FLOAT_EQ(kones_quantize(0.75f, 1, win, 0.49f), 1.0f);
  EXPECT_FLOAT_EQ(kones_quantize(0.75f, 1, win, 0.51f), 0.5f);
  // Above the window: its largest term, whatever the draw.
  EXPECT_FLOAT_EQ(kones_quantize(3.0f, 1, win, 0.0f), 1.0f);
}

TEST(KOnes, StochasticRoundingIsUnbiasedInsideTheWindow) {
  const Pow2Window win{0, 3, true};
  for (float w : {0.3f, 0.61f, -0.45f, 0.05f}) {
    for (int k : {1, 2}) {
      double sum = 0;
      const int n = 40000;
      for (int i = 0; i < n; ++i) sum += kones_quantize(w, k, win, counter_uniform(std::uint64_t(i) * 7919 + k));
      EXPECT_NEAR(sum / n, w, 0.01 * std::fabs(w) + 1e-3) << "w " << w << " k " << k;
    }
  }
}

TEST(KOnes, TrainingDrawsDependOnTheStepOnlyAndEvaluationIsDeterministic) {
  QuantConfig q{Method::lightnn, 4, 2};
  q.kones_stochastic = true;
  WeightQuantizer a(q, 3, 8), b(q, 3, 8);
  std::vector<float> w(24), qa, qb, qe;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& v : w) v = d(rng);
  a.forward_train(w, qa, 1, 5);
  b.forward_train(w, qb, 1, 5);
  EXPECT_EQ(qa, qb);  // same layer and step: same draws
  b.forward_train(w, qb, 1, 6);
  EXPECT_NE(qa, qb);
  a.forward(w, qe);  // evaluation: the deterministic k-ones
  const Pow2Window win{pow2_base(w.data(), w.size()), 3, true};
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_FLOAT_EQ(qe[i], kones_quantize(w[i], 2, win, -1.0f));
}

}  // namespace
}  // namespace flight::trainer

namespace flight::trainer {
namespace {

// Error budgets of the fast kernels against their `_ref` twins (kernels.hpp): exact where they must be, float sums
// with partial sums within kSumBudget of double sums, GEMM-shaped work within kGemmBudget of double accumulation.
constexpr double kSumBudget = 4e-5;   // × n × max|term|
constexpr double kGemmBudget = 1e-5;  // relative, on the 2-norm of the result

// The runtime-dispatched element-wise kernels against their `_ref` twins, on lengths with SIMD tails.
TEST(Kernels, ElementWiseKernelsMatchTheirReferences) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> d(-2, 2);
  for (std::size_t n : {std::size_t(1), std::size_t(15), std::size_t(37), std::size_t(1000)}) {
    std::vector<float> x(n), g(n), y(n), ref(n);
    for (auto& v : x) v = d(rng);
    for (auto& v : g) v = d(rng);
    // ReLU and its maximum: exact.
    const float m = relu_max_ref(x.data(), ref.data(), n);
    EXPECT_EQ(relu_max(x.data(), y.data(), n), m);
    EXPECT_EQ(y, ref);
    EXPECT_EQ(relu_max(x.data(), nullptr, n), m);
    // ReLU + 8-bit activation quantization: exact, and equal to activation_quantize element by element.
    const float scale = activation_scale(1.5f, 8), top = 255.0f;
    relu_quantize(x.data(), y.data(), n, 1.0f / scale, top, scale);
    relu_quantize_ref(x.data(), ref.data(), n, 1.0f / scale, top, scale);
    EXPECT_EQ(y, ref);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(y[i], activation_quantize(std::max(x[i], 0.0f), scale, 8)) << i;
    // ReLU backward with a clip: exact.
    relu_backward(x.data(), g.data(), y.data(), n, 1.0f);
    relu_backward_ref(x.data(), g.data(), ref.data(), n, 1.0f);
    EXPECT_EQ(y, ref);
    // Sums in float with partial sums against double sums: kSumBudget · n · max|term|.
    const float mean = 0.25f;
    double s, s2, sg, dt;
    sum_and_squares_ref(x.data(), n, s, s2);
    sum_and_dot_centered_ref(g.data(), x.data(), n, mean, sg, dt);
    float fs, fs2, fsg, fdot;
    sum_and_squares(x.data(), n, fs, fs2);
    sum_and_dot_centered(g.data(), x.data(), n, mean, fsg, fdot);
    const double budget = kSumBudget * double(n) * 4.5;  // |terms| ≤ 2, 4, 2, 2 · 2.25
    EXPECT_NEAR(fs, s, budget);
    EXPECT_NEAR(fs2, s2, budget);
    EXPECT_NEAR(fsg, sg, budget);
    EXPECT_NEAR(fdot, dt, budget);
    EXPECT_NEAR(flight::trainer::dot(x.data(), g.data(), n), dot_ref(x.data(), g.data(), n), budget);
    // Batch-norm backward of a plane: within float rounding of the double formula (one rounding per operation).
    bn_backward_plane(g.data(), x.data(), y.data(), n, mean, 0.7f, 0.1f, 0.3f);
    bn_backward_plane_ref(g.data(), x.data(), ref.data(), n, mean, 0.7f, 0.1f, 0.3f);
    for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], ref[i], 4 * 1.2e-7 * 2.5) << i;
  }
}

// col2im against its plain-loop twin (exact: each element sums its contributions in the same order), and the
// convolution of both algorithms (oneDNN, im2col + OpenBLAS) against the direct double-precision reference.
TEST(Kernels, Col2imAndBothConvolutionPathsMatchTheirReferences) {
  init_kernels();
  for (int stride : {1, 2})
    for (int pad : {0, 1}) {
      const int c = 3, h = 9, w = 7, k = 3, ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
      const auto cols = random_tensor(1, c * k * k, ho, wo, 7);
      std::vector<float> a(std::size_t(c) * h * w, 0.0f), b(a.size(), 0.0f);
      col2im(cols.data(), c, h, w, k, stride, pad, ho, wo, a.data());
      col2im_ref(cols.data(), c, h, w, k, stride, pad, ho, wo, b.data());
      EXPECT_EQ(a, b) << "stride " << stride << " pad " << pad;
    }
  auto close = [](const std::vector<float>& u, const std::vector<float>& v, const std::string& what) {
    ASSERT_EQ(u.size(), v.size()) << what;
    double d2 = 0, n2 = 0;
    for (std::size_t i = 0; i < u.size(); ++i) d2 += double(u[i] - v[i]) * (u[i] - v[i]), n2 += double(v[i]) * v[i];
    EXPECT_LE(std::sqrt(d2), kGemmBudget * std::sqrt(n2) + 1e-7) << what;
  };
  struct Case {
    int n, c_in, c_out, size, k, stride, pad;
  };
  for (const Case t : {Case{3, 16, 32, 8, 3, 1, 1}, Case{2, 20, 50, 12, 5, 1, 0}, Case{2, 3, 16, 9, 3, 2, 1}}) {
    for (auto alg : {Conv2d::Algorithm::onednn, Conv2d::Algorithm::im2col_gemm}) {
      ThreadLimit limit(2);
      Conv2d conv(t.c_in, t.c_out, t.k, t.stride, t.pad, true, fp32());
      conv.set_algorithm(alg);
      std::mt19937 rng(unsigned(t.c_out));
      std::uniform_real_distribution<float> d(-0.5f, 0.5f);
      for (auto& v : conv.weights()) v = d(rng);
      for (auto& v : conv.bias()) v = d(rng);
      const auto x = random_tensor(t.n, t.c_in, t.size, t.size, 42);
      Tensor y, gx;
      conv.forward(x, y, true);
      const auto gy = random_tensor(y.n(), y.c(), y.h(), y.w(), 43);
      for (auto& p : conv.params()) std::fill(p.grad->begin(), p.grad->end(), 0.0f);
      conv.backward(x, y, gy, gx);
      std::vector<float> y_ref(y.size()), gw_ref(conv.weights().size()), gb_ref(conv.bias().size()), gx_ref(x.size());
      conv2d_forward_ref(x.data(), conv.weights().data(), conv.bias().data(), y_ref.data(), t.n, t.c_in, t.size,
                         t.size, t.c_out, t.k, t.stride, t.pad);
      conv2d_backward_ref(x.data(), conv.weights().data(), gy.data(), gw_ref.data(), gb_ref.data(), gx_ref.data(), t.n,
                          t.c_in, t.size, t.size, t.c_out, t.k, t.stride, t.pad);
      const std::string what = std::string(alg == Conv2d::Algorithm::onednn ? "oneDNN " : "im2col ") +
                               std::to_string(t.c_in) + "→" + std::to_string(t.c_out);
      close(y.v, y_ref, what + " output");
      close(gx.v, gx_ref, what + " input gradient");
      const auto params = conv.params();
      close(*params[0].grad, gw_ref, what + " weight gradient");
      close(*params[1].grad, gb_ref, what + " bias gradient");
    }
  }
}

// FLightNN's vectorized two-term rounding equals pow2_round element by element (bit for bit) on every window kind,
// including the window's edges, ties, zero, denormals, saturation and infinities.
TEST(Kernels, Pow2TwoTermsEqualsPow2Round) {
  std::vector<float> w;
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> e(-14, 3);
  for (int i = 0; i < 3000; ++i) w.push_back((i % 2 ? -1.0f : 1.0f) * std::exp2(e(rng)));
  for (int x = -12; x <= 3; ++x)
    for (float m : {1.0f, 1.25f, 1.5f, 1.4999999f, 1.75f, 1.9999999f}) {
      w.push_back(std::ldexp(m, x));
      w.push_back(-std::ldexp(m, x));
    }
  for (float v : {0.0f, -0.0f, 1e-40f, -1e-40f}) w.push_back(v);
  const std::size_t regular = w.size();  // the sum of squares is checked on these (the rest overflow it)
  for (float v : {std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), 3.0e38f})
    w.push_back(v);
  for (bool zero_code : {true, false})
    for (int base : {-3, 0, 1}) {
      Pow2Window win;
      win.base = base;
      win.zero_code = zero_code;
      std::vector<float> first(w.size()), second(w.size());
      pow2_two_terms(w.data(), first.data(), second.data(), w.size(), base, win.min_exp(), zero_code);
      for (std::size_t i = 0; i < w.size(); ++i) {
        const float r1 = pow2_round(w[i], win), r2 = pow2_round(w[i] - r1, win);
        EXPECT_EQ(std::memcmp(&first[i], &r1, 4), 0) << w[i] << " base " << base << " zero code " << zero_code;
        EXPECT_EQ(std::memcmp(&second[i], &r2, 4), 0) << w[i] << " base " << base << " zero code " << zero_code;
      }
      // And the plain-math twin (frexp, not bit manipulation) agrees bit for bit on the terms.
      std::vector<float> first_ref(w.size()), second_ref(w.size());
      pow2_two_terms_ref(w.data(), first_ref.data(), second_ref.data(), w.size(), base, win.min_exp(), zero_code);
      EXPECT_EQ(std::memcmp(first.data(), first_ref.data(), 4 * w.size()), 0) << "base " << base;
      EXPECT_EQ(std::memcmp(second.data(), second_ref.data(), 4 * w.size()), 0) << "base " << base;
      const float ss = pow2_two_terms(w.data(), first.data(), second.data(), regular, base, win.min_exp(), zero_code);
      const double ref_ss = pow2_two_terms_ref(w.data(), first_ref.data(), second_ref.data(), regular, base,
                                               win.min_exp(), zero_code);
      EXPECT_NEAR(ss, ref_ss, 1e-5 * ref_ss);
    }
}

// The batch-norm kernels of one plane against plain loops: the fused batch norm + ReLU (+ quantization) forward equals
// bn_plane then the ReLU kernels bit for bit, and the ReLU-masked sums and backward equal the unmasked kernels on the
// gradient relu_backward passes.
TEST(Kernels, FusedBatchNormReluKernelsEqualTheTwoPassesApart) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-2, 2);
  for (std::size_t n : {std::size_t(1), std::size_t(15), std::size_t(37), std::size_t(1000)})
    for (float gamma : {0.8f, -0.6f}) {
      std::vector<float> x(n), g(n), y(n), z(n), ref(n), gr(n);
      for (auto& v : x) v = d(rng);
      for (auto& v : g) v = d(rng);
      BnRelu f{0.1f, gamma, 1.7f, 0.2f};
      bn_plane(x.data(), y.data(), n, f);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], f.gamma * (x[i] - f.mean) * f.inv_std + f.beta) << i;
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], bn_value(x[i], f)) << i;
      // Plain ReLU (top = 0).
      bn_relu_plane(x.data(), z.data(), n, f);
      relu_max(y.data(), ref.data(), n);
      EXPECT_EQ(z, ref);
      // ReLU + 8-bit quantization.
      const float scale = activation_scale(1.5f, 8);
      f.inv = 1.0f / scale, f.top = 255.0f, f.scale = scale;
      bn_relu_plane(x.data(), z.data(), n, f);
      relu_quantize(y.data(), ref.data(), n, f.inv, f.top, f.scale);
      EXPECT_EQ(z, ref);
      // The extremes of the plane (and the same sums as sum_and_squares).
      float s, s2, lo, hi, rs, rs2;
      sum_squares_min_max(x.data(), n, s, s2, lo, hi);
      sum_and_squares(x.data(), n, rs, rs2);
      EXPECT_EQ(s, rs);
      EXPECT_EQ(s2, rs2);
      EXPECT_EQ(lo, *std::min_element(x.begin(), x.end()));
      EXPECT_EQ(hi, *std::max_element(x.begin(), x.end()));
      // Backward with the ReLU's mask inside: the two kernels on relu_backward's gradient.
      for (float clip : {std::numeric_limits<float>::infinity(), 0.5f}) {
        f.clip = clip;
        relu_backward(y.data(), g.data(), gr.data(), n, clip);
        float fs, fd, us, ud;
        sum_and_dot_centered_relu(g.data(), x.data(), n, f, fs, fd);
        sum_and_dot_centered(gr.data(), x.data(), n, f.mean, us, ud);
        EXPECT_EQ(fs, us);
        EXPECT_EQ(fd, ud);
        bn_relu_backward_plane(g.data(), x.data(), z.data(), n, f, 0.7f, 0.1f, 0.3f);
        bn_backward_plane(gr.data(), x.data(), ref.data(), n, f.mean, 0.7f, 0.1f, 0.3f);
        EXPECT_EQ(z, ref);
      }
    }
}

// The channel-blocked kernels (16 channels per pixel, one per lane) against the plain kernels run channel by channel
// on the same data: element-wise results bit for bit (the same operations per element), sums within kSumBudget of
// double sums; pixel counts with tails of the 4-way unrolling.
TEST(Kernels, BlockedBatchNormKernelsEqualThePlainOnesChannelByChannel) {
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> d(-2, 2);
  for (std::size_t pixels : {std::size_t(1), std::size_t(7), std::size_t(64)}) {
    std::vector<float> xb(pixels * 16), gb(pixels * 16), zb(pixels * 16);
    for (auto& v : xb) v = d(rng);
    for (auto& v : gb) v = d(rng);
    // Lane l of the block as a plain plane.
    const auto lane = [&](const std::vector<float>& b, int l) {
      std::vector<float> p(pixels);
      for (std::size_t i = 0; i < pixels; ++i) p[i] = b[i * 16 + std::size_t(l)];
      return p;
    };
    BnRelu16 f;
    for (int l = 0; l < 16; ++l)
      f.mean[l] = 0.05f * float(l - 5), f.gamma[l] = l % 3 == 0 ? -0.6f : 0.8f + 0.01f * float(l),
      f.inv_std[l] = 1.7f - 0.02f * float(l), f.beta[l] = 0.1f * float(l % 4);
    const auto plain = [&](int l) {
      BnRelu c{f.mean[l], f.gamma[l], f.inv_std[l], f.beta[l], f.inv, f.top, f.scale};
      c.clip = f.clip;
      return c;
    };
    for (int quantize = 0; quantize < 2; ++quantize) {
      if (quantize) {
        const float scale = activation_scale(1.5f, 8);
        f.inv = 1.0f / scale, f.top = 255.0f, f.scale = scale;
      }
      for (BnOut out : {BnOut::bn, BnOut::bn_relu}) {
        block_bn(xb.data(), zb.data(), pixels, f, out);
        for (int l = 0; l < 16; ++l) {
          std::vector<float> want(pixels);
          const auto x = lane(xb, l);
          if (out == BnOut::bn) bn_plane(x.data(), want.data(), pixels, plain(l));
          else bn_relu_plane(x.data(), want.data(), pixels, plain(l));
          ASSERT_EQ(lane(zb, l), want) << pixels << " lane " << l << " quantize " << quantize;
        }
        for (float clip : {std::numeric_limits<float>::infinity(), 0.5f}) {
          f.clip = clip;
          double sg[16] = {}, sd[16] = {};
          block_bn_sums(gb.data(), xb.data(), pixels, f, out, sg, sd);
          float a[16], b[16], c[16];
          for (int l = 0; l < 16; ++l) a[l] = 0.7f + 0.01f * float(l), b[l] = 0.1f, c[l] = 0.3f - 0.01f * float(l);
          block_bn_backward(gb.data(), xb.data(), zb.data(), pixels, f, out, a, b, c);
          for (int l = 0; l < 16; ++l) {
            const auto x = lane(xb, l), g = lane(gb, l);
            std::vector<float> gr(pixels), y(pixels), want(pixels);
            bn_plane(x.data(), y.data(), pixels, plain(l));
            if (out == BnOut::bn_relu) relu_backward(y.data(), g.data(), gr.data(), pixels, clip);
            else gr = g;
            double rs, rd, amax = 0;
            sum_and_dot_centered_ref(gr.data(), x.data(), pixels, f.mean[l], rs, rd);
            for (std::size_t i = 0; i < pixels; ++i) amax = std::max(amax, std::abs(double(gr[i])) * 3.0);
            EXPECT_NEAR(sg[l], rs, kSumBudget * double(pixels) * amax + 1e-12) << pixels << " lane " << l;
            EXPECT_NEAR(sd[l], rd, kSumBudget * double(pixels) * amax + 1e-12) << pixels << " lane " << l;
            bn_backward_plane(gr.data(), x.data(), want.data(), pixels, f.mean[l], a[l], b[l], c[l]);
            ASSERT_EQ(lane(zb, l), want) << pixels << " lane " << l << " clip " << clip;
          }
        }
      }
    }
    // Statistics: sums within budget, extremes exact; the doubles are added to.
    double s[16], s2[16];
    float lo[16], hi[16];
    for (int l = 0; l < 16; ++l) s[l] = 1.0, s2[l] = 2.0, lo[l] = 0.0f, hi[l] = 0.0f;
    block_sums(xb.data(), pixels, s, s2, lo, hi);
    for (int l = 0; l < 16; ++l) {
      const auto x = lane(xb, l);
      double rs, rs2;
      sum_and_squares_ref(x.data(), pixels, rs, rs2);
      EXPECT_NEAR(s[l] - 1.0, rs, kSumBudget * double(pixels) * 2.0 + 1e-12);
      EXPECT_NEAR(s2[l] - 2.0, rs2, kSumBudget * double(pixels) * 4.0 + 1e-12);
      EXPECT_EQ(lo[l], std::min(0.0f, *std::min_element(x.begin(), x.end())));
      EXPECT_EQ(hi[l], std::max(0.0f, *std::max_element(x.begin(), x.end())));
    }
  }
}

// ---- the channel-blocked layout (Tensor::blocked) ----

Tensor as_blocked(const Tensor& x) {
  Tensor y;
  to_blocked(x, y);
  return y;
}
Tensor as_plain(const Tensor& x) {
  Tensor y;
  to_plain(x, y);
  return y;
}
// ‖a − b‖₂ / ‖b‖₂ over two tensors of one shape, both compared in the plain layout.
double relative_difference(const Tensor& a, const Tensor& b) {
  const Tensor pa = as_plain(a), pb = as_plain(b);
  EXPECT_EQ(pa.shape, pb.shape);
  double d2 = 0, n2 = 0;
  for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i)
    d2 += (double(pa[i]) - pb[i]) * (double(pa[i]) - pb[i]), n2 += double(pb[i]) * pb[i];
  return std::sqrt(d2) / std::max(std::sqrt(n2), 1e-30);
}

TEST(Layout, BlockedAndPlainRoundTripAndPlaceEachChannel) {
  const Tensor x = random_tensor(2, 32, 3, 5, 30);
  const Tensor b = as_blocked(x);
  ASSERT_TRUE(b.blocked);
  ASSERT_EQ(b.shape, x.shape);
  // Image 1, channel 21 (block 1, lane 5), pixel (2, 3).
  EXPECT_EQ(b.block(1, 1)[(2 * 5 + 3) * 16 + 5], x[((1 * 32 + 21) * 3 + 2) * 5 + 3]);
  EXPECT_EQ(as_plain(b).v, x.v);
  EXPECT_FALSE(as_plain(b).blocked);
}

// Each layer that reads the blocked layout gives there what it gives in the plain layout: max pooling and the ReLU
// bit for bit (forward and backward), batch norm (alone and with its ReLU) and the oneDNN convolution within float
// rounding (the sums are grouped differently), flatten's features in the plain order.  2 threads, 2 channel blocks.
TEST(Layout, EveryLayerGivesInTheBlockedLayoutWhatItGivesInThePlainOne) {
  init_kernels();
  ThreadLimit two(2);
  const Tensor x = random_tensor(3, 32, 6, 5, 31);
  const Tensor xb = as_blocked(x);
  // Max pooling, with ties (values from {0, 1, 2}), 2×2 and 3×3 stride 2, an odd height and width.
  for (int k : {2, 3}) {
    Tensor t(3, 32, 7, 5);
    std::mt19937 rng(9);
    for (auto& v : t.v) v = float(rng() % 3);
    MaxPool plain(k, 2), blocked(k, 2);
    Tensor y, yb, gx, gxb;
    plain.forward(t, y, true);
    blocked.forward(as_blocked(t), yb, true);
    ASSERT_TRUE(yb.blocked);
    EXPECT_EQ(as_plain(yb).v, y.v) << k;
    const Tensor gy = random_tensor(y.n(), y.c(), y.h(), y.w(), 32);
    plain.backward(t, y, gy, gx);
    blocked.backward(as_blocked(t), yb, as_blocked(gy), gxb);
    ASSERT_TRUE(gxb.blocked);
    EXPECT_EQ(as_plain(gxb).v, gx.v) << k;
  }
  {
    ReLU plain(4), blocked(4);
    Tensor y, yb, gx, gxb;
    plain.forward(x, y, true);
    blocked.forward(xb, yb, true);
    EXPECT_TRUE(yb.blocked);
    EXPECT_EQ(as_plain(yb).v, y.v);
    const Tensor gy = random_tensor(3, 32, 6, 5, 33);
    plain.backward(x, y, gy, gx);
    blocked.backward(xb, yb, as_blocked(gy), gxb);
    EXPECT_EQ(as_plain(gxb).v, gx.v);
  }
  for (bool with_relu : {false, true}) {
    BatchNorm plain(32), blocked(32);
    for (BatchNorm* bn : {&plain, &blocked})
      for (int c = 0; c < 32; ++c) bn->gamma()[std::size_t(c)] = c % 3 ? 0.9f : -0.7f, bn->beta()[std::size_t(c)] = 0.1f;
    ReLU r1, r2;
    Tensor y, yb, gx, gxb;
    const Tensor gy = random_tensor(3, 32, 6, 5, 34);
    if (with_relu) {
      plain.forward_relu(x, r1, y, true);
      blocked.forward_relu(xb, r2, yb, true);
      plain.backward_relu(x, r1, gy, gx);
      blocked.backward_relu(xb, r2, as_blocked(gy), gxb);
    } else {
      plain.forward(x, y, true);
      blocked.forward(xb, yb, true);
      plain.backward(x, y, gy, gx);
      blocked.backward(xb, yb, as_blocked(gy), gxb);
    }
    EXPECT_TRUE(yb.blocked && gxb.blocked);
    EXPECT_LT(relative_difference(yb, y), 1e-6) << with_relu;
    EXPECT_LT(relative_difference(gxb, gx), 1e-5) << with_relu;
    for (std::size_t c = 0; c < 32; ++c) {
      EXPECT_NEAR(blocked.running_mean()[c], plain.running_mean()[c], 1e-6) << c;
      EXPECT_NEAR(blocked.running_var()[c], plain.running_var()[c], 1e-5) << c;
    }
    const auto pp = plain.params(), pb = blocked.params();
    for (std::size_t i = 0; i < pp.size(); ++i)
      for (std::size_t c = 0; c < 32; ++c) EXPECT_NEAR((*pb[i].grad)[c], (*pp[i].grad)[c], 1e-4) << pp[i].name << c;
  }
  {
    // The convolution: a blocked input and output against plain ones (32 → 16 channels, bias, stride 1).
    Conv2d plain(32, 16, 3, 1, 1, true, fp32()), blocked(32, 16, 3, 1, 1, true, fp32());
    plain.set_algorithm(Conv2d::Algorithm::onednn);
    blocked.set_algorithm(Conv2d::Algorithm::onednn);
    blocked.set_blocked_output(true);
    std::mt19937 rng(35);
    std::uniform_real_distribution<float> d(-0.3f, 0.3f);
    for (auto& v : plain.weights()) v = d(rng);
    for (auto& v : plain.bias()) v = d(rng);
    blocked.weights() = plain.weights();
    blocked.bias() = plain.bias();
    Tensor y, yb, gx, gxb;
    plain.forward(x, y, true);
    blocked.forward(xb, yb, true);
    ASSERT_TRUE(yb.blocked);
    EXPECT_LT(relative_difference(yb, y), kGemmBudget);
    const Tensor gy = random_tensor(y.n(), y.c(), y.h(), y.w(), 36);
    for (Conv2d* c : {&plain, &blocked})
      for (auto& p : c->params()) std::fill(p.grad->begin(), p.grad->end(), 0.0f);
    plain.backward(x, y, gy, gx);
    blocked.backward(xb, yb, as_blocked(gy), gxb);
    ASSERT_TRUE(gxb.blocked);
    EXPECT_LT(relative_difference(gxb, gx), kGemmBudget);
    const auto pp = plain.params(), pb = blocked.params();
    for (std::size_t i = 0; i < pp.size(); ++i) {
      Tensor a(1, int(pp[i].grad->size()), 1, 1), b(1, int(pp[i].grad->size()), 1, 1);
      a.v = *pb[i].grad, b.v = *pp[i].grad;
      EXPECT_LT(relative_difference(a, b), kGemmBudget) << pp[i].name;
    }
  }
  {
    Flatten plain, blocked;
    Tensor y, yb, gx, gxb;
    plain.forward(x, y, true);
    blocked.forward(xb, yb, true);
    EXPECT_FALSE(yb.blocked);
    EXPECT_EQ(yb.v, y.v);
    EXPECT_EQ(yb.shape, y.shape);
    const Tensor gy = random_tensor(3, int(x.per_sample()), 1, 1, 37);
    plain.backward(x, y, gy, gx);
    blocked.backward(xb, yb, gy, gxb);
    EXPECT_TRUE(gxb.blocked);
    EXPECT_EQ(as_plain(gxb).v, gx.v);
  }
}

// Gradients by central differences in the blocked layout (two channel blocks).
TEST(GradientCheck, BlockedBatchNormAloneAndWithItsRelu) {
  Tensor x = as_blocked(random_tensor(3, 32, 2, 2, 38, -2, 2));
  BatchNorm bn(32);
  for (int c = 0; c < 32; ++c) bn.gamma()[std::size_t(c)] = c % 2 ? 1.2f : -0.8f, bn.beta()[std::size_t(c)] = 0.2f;
  gradient_check(bn, x, true, 1e-3f);
  ReLU relu;
  BatchNormReluPair pair(bn, relu);
  gradient_check(pair, x, true, 1e-3f);
}

TEST(GradientCheck, BlockedMaxPoolConvAndFlatten) {
  ThreadLimit two(2);
  Tensor x(2, 16, 4, 4);
  std::vector<int> perm(x.size());
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = int(i);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(39));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * float(perm[i]) - 1.0f;
  MaxPool pool(2, 2);
  gradient_check(pool, as_blocked(x), true, 1e-3f);
  Conv2d conv(16, 16, 3, 1, 1, true, fp32());
  conv.set_algorithm(Conv2d::Algorithm::onednn);
  conv.set_blocked_output(true);
  std::mt19937 rng(40);
  std::uniform_real_distribution<float> d(-0.3f, 0.3f);
  for (auto& v : conv.weights()) v = d(rng);
  for (auto& v : conv.bias()) v = d(rng);
  gradient_check(conv, as_blocked(random_tensor(2, 16, 4, 3, 41)));
  Flatten flatten;
  gradient_check(flatten, as_blocked(random_tensor(2, 16, 2, 3, 42)));
}

// One training step of two models on the same batch: forward, softmax cross-entropy, zeroed gradients, backward.
// Returns the two models' logits; the gradients are left in their params().
std::pair<Tensor, Tensor> train_step_both(Model& a, Model& b, const Tensor& x, const std::vector<int>& labels) {
  std::pair<Tensor, Tensor> logits{a.forward(x, true), b.forward(x, true)};
  Tensor ga, gb;
  softmax_cross_entropy(logits.first, labels, ga, nullptr);
  softmax_cross_entropy(logits.second, labels, gb, nullptr);
  a.zero_grad();
  b.zero_grad();
  a.backward(ga);
  b.backward(gb);
  return logits;
}

// A model runs each batch norm → ReLU pair as one pass each way: the same logits, gradients, running statistics
// and activation scales as layer by layer, bit for bit, in training and evaluation, with and without activation
// quantization (both signs of γ: the quantizing ReLU's batch maximum comes from the channel's extreme input), in
// the plain layout (8 filters) and the channel-blocked one (16 filters, oneDNN).
class FusedModel : public ::testing::TestWithParam<int> {};
TEST_P(FusedModel, FusedBatchNormReluEqualsTheLayersApart) {
  init_kernels();
  NetworkSpec net;
  auto of = [](LayerType t) { LayerSpec l; l.type = t; return l; };
  LayerSpec conv = of(LayerType::conv);
  conv.out = GetParam(), conv.kernel = 3, conv.pad = 1, conv.bias = false;
  const bool blocked = conv.out % 16 == 0;
  LayerSpec pool = of(LayerType::maxpool);
  pool.kernel = 2, pool.stride = 2;
  LayerSpec fc = of(LayerType::fc);
  fc.out = 16;
  LayerSpec out = of(LayerType::fc);
  out.out_is_classes = true;
  net.layers = {conv, of(LayerType::batchnorm), of(LayerType::relu), pool, of(LayerType::flatten), fc,
                of(LayerType::batchnorm), of(LayerType::relu), out};
  ThreadLimit two(2);
  for (Method method : {Method::fp32, Method::lightnn}) {
    QuantConfig q;
    q.method = method;
    Model fused(net, ImageShape{3, 8, 8}, 5, q, 7), apart(net, ImageShape{3, 8, 8}, 5, q, 7);
    apart.set_fusion(false);
    for (Model* m : {&fused, &apart}) {
      m->set_blocked_layout(blocked);
      static_cast<Conv2d*>(m->layers()[0])->set_algorithm(Conv2d::Algorithm::onednn);
    }
    // Negative γ: in every third channel of the first batch norm, in every channel of the second (there the batch
    // maximum must come from each channel's smallest input).
    for (Model* m : {&fused, &apart}) {
      int nth = 0;
      for (Layer* l : m->layers())
        if (auto* bn = dynamic_cast<BatchNorm*>(l)) {
          const std::size_t step = nth++ == 0 ? 3 : 1;
          for (std::size_t c = 0; c < bn->gamma().size(); c += step) bn->gamma()[c] = -0.7f;
        }
    }
    const std::vector<int> labels{0, 1, 2, 3, 4, 0};
    for (int step = 0; step < 3; ++step) {
      const auto [l1, l2] = train_step_both(fused, apart, random_tensor(6, 3, 8, 8, 40 + step), labels);
      ASSERT_EQ(l1.v, l2.v) << method_name(q) << " step " << step;
      EXPECT_EQ(static_cast<Conv2d*>(fused.layers()[0])->blocked_output(), blocked);
      const auto p1 = fused.params(), p2 = apart.params();
      ASSERT_EQ(p1.size(), p2.size());
      for (std::size_t i = 0; i < p1.size(); ++i) EXPECT_EQ(*p1[i].grad, *p2[i].grad) << p1[i].name << " step " << step;
      // Move the weights the same way so that the next step differs.
      for (std::size_t i = 0; i < p1.size(); ++i)
        for (std::size_t j = 0; j < p1[i].value->size(); ++j) {
          (*p1[i].value)[j] -= 0.1f * (*p1[i].grad)[j];
          (*p2[i].value)[j] -= 0.1f * (*p2[i].grad)[j];
        }
    }
    const auto l1 = fused.layers(), l2 = apart.layers();
    for (std::size_t i = 0; i < l1.size(); ++i) {
      if (auto* bn = dynamic_cast<BatchNorm*>(l1[i])) {
        EXPECT_EQ(bn->running_mean(), static_cast<BatchNorm*>(l2[i])->running_mean());
        EXPECT_EQ(bn->running_var(), static_cast<BatchNorm*>(l2[i])->running_var());
      }
      if (auto* r = dynamic_cast<ReLU*>(l1[i])) {
        EXPECT_EQ(r->running_max(), static_cast<ReLU*>(l2[i])->running_max());
        EXPECT_EQ(r->scale(), static_cast<ReLU*>(l2[i])->scale());
        if (method != Method::fp32) {
          EXPECT_GT(r->running_max(), 0.0f);
        }
      }
    }
    const Tensor x = random_tensor(6, 3, 8, 8, 77);
    const Tensor e1 = fused.forward(x, false), e2 = apart.forward(x, false);
    EXPECT_EQ(e1.v, e2.v) << method_name(q) << " evaluation";
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndBlocked, FusedModel, ::testing::Values(8, 16));

// bf16 asked for on a network none of whose layers can run it (one convolution, the first, and an fc layer) runs fp32
// and says so, on any CPU.
TEST(Model, Bf16WithNoLayerThatCanRunItSaysFp32) {
  NetworkSpec net;
  auto of = [](LayerType t) { LayerSpec l; l.type = t; return l; };
  LayerSpec conv = of(LayerType::conv);
  conv.out = 16, conv.kernel = 3, conv.pad = 1, conv.bias = false;
  LayerSpec out = of(LayerType::fc);
  out.out_is_classes = true;
  net.layers = {conv, of(LayerType::relu), of(LayerType::flatten), out};
  Model m(net, ImageShape{3, 4, 4}, 5, QuantConfig{}, 1);
  const std::string line = m.set_precision(Precision::bf16);
  EXPECT_EQ(line.rfind("precision: fp32 (bf16 asked for: ", 0), 0u) << line;
  m.forward(random_tensor(2, 3, 4, 4, 70), true);
  EXPECT_EQ(m.precision_ran(), "fp32");
  EXPECT_EQ(m.precision(), Precision::fp32);
}

// A model in the channel-blocked layout (oneDNN convolutions of 16 and 32 filters, batch norm, quantizing ReLU,
// pooling, flatten, fc) against the same model in the plain layout: logits and every parameter gradient within float
// rounding over three training steps, and the evaluation logits; where the layout applies, it is the default.
TEST(Model, BlockedLayoutMatchesThePlainLayout) {
  init_kernels();
  ThreadLimit two(2);
  NetworkSpec net;
  auto of = [](LayerType t) { LayerSpec l; l.type = t; return l; };
  auto conv = [&](int out) {
    LayerSpec c = of(LayerType::conv);
    c.out = std::size_t(out), c.kernel = 3, c.pad = 1, c.bias = false;
    return c;
  };
  LayerSpec pool = of(LayerType::maxpool);
  pool.kernel = 2, pool.stride = 2;
  LayerSpec out = of(LayerType::fc);
  out.out_is_classes = true;
  net.layers = {conv(16), of(LayerType::batchnorm), of(LayerType::relu), pool, conv(32), of(LayerType::batchnorm),
                of(LayerType::relu), pool, of(LayerType::flatten), out};
  for (Method method : {Method::fp32, Method::lightnn}) {
    QuantConfig q;
    q.method = method;
    Model blocked(net, ImageShape{3, 8, 8}, 5, q, 3), plain(net, ImageShape{3, 8, 8}, 5, q, 3);
    EXPECT_EQ(blocked.blocked_layout(), onednn_has_avx512());
    blocked.set_blocked_layout(true);
    plain.set_blocked_layout(false);
    for (Model* m : {&blocked, &plain})
      for (Layer* l : m->layers())
        if (auto* c = dynamic_cast<Conv2d*>(l)) c->set_algorithm(Conv2d::Algorithm::onednn);
    const std::vector<int> labels{0, 1, 2, 3, 4, 0};
    for (int step = 0; step < 3; ++step) {
      const auto [l1, l2] = train_step_both(blocked, plain, random_tensor(6, 3, 8, 8, 50 + step), labels);
      EXPECT_TRUE(static_cast<Conv2d*>(blocked.layers()[4])->blocked_output());
      EXPECT_FALSE(static_cast<Conv2d*>(plain.layers()[4])->blocked_output());
      EXPECT_LT(relative_difference(l1, l2), 1e-5) << method_name(q) << " step " << step;
      const auto p1 = blocked.params(), p2 = plain.params();
      ASSERT_EQ(p1.size(), p2.size());
      for (std::size_t i = 0; i < p1.size(); ++i) {
        Tensor a(1, int(p1[i].grad->size()), 1, 1), b(1, int(p2[i].grad->size()), 1, 1);
        a.v = *p1[i].grad, b.v = *p2[i].grad;
        EXPECT_LT(relative_difference(a, b), 1e-4) << p1[i].name << " step " << step;
        for (std::size_t j = 0; j < p1[i].value->size(); ++j) {
          (*p1[i].value)[j] -= 0.1f * (*p1[i].grad)[j];
          (*p2[i].value)[j] -= 0.1f * (*p1[i].grad)[j];  // the same step for both
        }
      }
    }
    const Tensor x = random_tensor(6, 3, 8, 8, 60);
    EXPECT_LT(relative_difference(blocked.forward(x, false), plain.forward(x, false)), 1e-5) << method_name(q);
  }
}

// The fused pass's gradients by central differences (L = Σ r·z over the ReLU's output), away from ReLU's kink and
// without quantization.
TEST(GradientCheck, FusedBatchNormRelu) {
  BatchNorm bn(3);
  bn.gamma() = {1.2f, -0.8f, 0.5f};
  bn.beta() = {0.3f, 0.1f, -0.2f};
  ReLU relu;
  BatchNormReluPair pair(bn, relu);
  gradient_check(pair, random_tensor(4, 3, 3, 3, 21, -2, 2), true, 1e-3f);
}

}  // namespace
}  // namespace flight::trainer
