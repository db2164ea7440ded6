#include "flight/trainer/layers.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "flight/core/error.hpp"
#include "conv_engine.hpp"
#include "flight/trainer/kernels.hpp"
#include "flight/core/parallel.hpp"

namespace flight::trainer {

namespace {
int chunks_for(int n) { return std::max(1, std::min(n, ThreadLimit::current())); }
}  // namespace

// ---------------- WeightLayer ----------------

WeightLayer::WeightLayer(int filters, int fan_in, bool bias, const QuantConfig& q)
    : filters_(filters), fan_in_(fan_in), has_bias_(bias), w_(std::size_t(filters) * fan_in), b_(bias ? filters : 0),
      gw_(w_.size()), gb_(b_.size()), quant_(q, filters, fan_in) {}

std::vector<ParamRef> WeightLayer::params() {
  std::vector<ParamRef> p{{name() + ".weight", &w_, &gw_, true}};
  if (has_bias_) p.push_back({name() + ".bias", &b_, &gb_, false});
  if (quant_.config().method == Method::flightnn) {
    p.push_back({name() + ".threshold", &quant_.thresholds(), &quant_.threshold_grads(), false,
                 quant_.threshold_unit()});
    if (quant_.config().allow_k0) {
      p.push_back({name() + ".threshold0", &quant_.prune_thresholds(), &quant_.prune_threshold_grads(), false,
                   quant_.prune_threshold_unit()});
    }
  }
  return p;
}

void WeightLayer::quantize(bool train) {
  const auto t0 = timed_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (train) quant_.forward_train(w_, q_, stream_, step_);
  else quant_.forward(w_, q_);
  if (timed_) quantize_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void WeightLayer::finish_backward() {
  const auto t0 = timed_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  quant_.backward(gq_, gw_step_);  // a buffer kept between steps: no allocation per step
  parallel_blocks(gw_.size(), 1 << 16, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) gw_[i] += gw_step_[i];
  });
  if (timed_) ste_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---------------- Conv2d ----------------

Conv2d::Conv2d(int c_in, int c_out, int kernel, int stride, int pad, bool bias, const QuantConfig& q)
    : WeightLayer(c_out, c_in * kernel * kernel, bias, q), c_in_(c_in), k_(kernel), stride_(stride), pad_(pad),
      algorithm_(default_algorithm(c_in, c_out, onednn_has_avx512())) {}

Conv2d::~Conv2d() = default;

Conv2d::Algorithm Conv2d::default_algorithm(int c_in, int c_out, bool avx512) {
  // Measured with bench_trainer BM_Conv (batch 64, 2 threads; docs/ARCHITECTURE.md).  oneDNN's kernels block the
  // channels by 16 (AVX-512) or 8–16 (AVX2), so channel counts that leave blocks part empty waste their work.
  const auto used = [](int c) { return double(c) / ((c + 15) / 16 * 16); };
  // With AVX-512 the GEMM is oneDNN's dnnl_sgemm (kernels.hpp).  Full output blocks: oneDNN (vgg-s conv1, 3 → 32,
  // forward 0.51 / 0.49 ms, backward 0.39 / 1.16 ms against im2col; conv2…6 1.3–1.5× faster); lenet-l's 1 → 20 and
  // 20 → 50 (output blocks 62 % and 78 % used) ran faster on im2col + GEMM: 0.15 + 0.26 against 0.26 + 0.25 ms and
  // 0.87 + 1.42 against 1.00 + 2.08 ms (forward + backward).
  if (avx512) return used(c_out) >= 0.9 ? Algorithm::onednn : Algorithm::im2col_gemm;
  // On AVX2 (session 11) vgg-s conv2…conv6 ran 1.4–1.8× faster on oneDNN, vgg-s conv1 and lenet-l's 1 → 20 and
  // 20 → 50 faster on im2col + OpenBLAS.
  return c_in >= 16 && used(c_in) * used(c_out) >= 0.9 ? Algorithm::onednn : Algorithm::im2col_gemm;
}

std::string precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }
Precision parse_precision(const std::string& name) { return name == "bf16" ? Precision::bf16 : Precision::fp32; }

WeightLayer::~WeightLayer() = default;

std::pair<int, int> WeightLayer::engines_and_bf16() const {
  int n = 0, bf16 = 0;
  for (const auto& e : engines_)
    if (e) ++n, bf16 += e->bf16();
  return {n, bf16};
}

void WeightLayer::set_precision(Precision p) {
  if (p != precision_) engines_.clear();
  precision_ = p;
}

void WeightLayer::finish_chunks(int chunks) {
  gq_.resize(q_.size());
  // Element by element in chunk order, in parallel blocks of elements: deterministic for a given thread count (vgg-l's
  // 256 → 256 convolution has 590 K weights: summed on one thread this was 0.4 ms of a step).
  parallel_blocks(gq_.size(), 1 << 15, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      float s = 0.0f;
      for (int c = 0; c < chunks; ++c) s += gq_part_[std::size_t(c)][i];
      gq_[i] = s;
    }
  });
  for (int c = 0; c < chunks; ++c)
    for (std::size_t i = 0; i < gb_.size(); ++i) gb_[i] += gb_part_[std::size_t(c)][i];
  finish_backward();
}

namespace {
// The bias's channel of element i of an image's activations in either layout.
inline int channel_of(std::size_t i, const Tensor& t) {
  return t.blocked ? int(i / (t.plane() * kChannelBlock)) * kChannelBlock + int(i % kChannelBlock)
                   : int(i / t.plane());
}
}  // namespace

template <class ShapeOf>
void WeightLayer::onednn_forward(const Tensor& x, Tensor& y, const ShapeOf& shape) {
  const int chunks = chunks_for(x.n());
  // Engines built here, before the parallel region, and rebuilt only when a chunk's shape changes (the last, smaller
  // batch of an epoch; evaluation batches).
  engines_.resize(std::size_t(chunks));
  for (int c = 0; c < chunks; ++c) {
    const int b = int((long(x.n()) * c) / chunks), e = int((long(x.n()) * (c + 1)) / chunks);
    const ConvShape s = shape(e - b);
    if (e > b && (!engines_[c] || !(engines_[c]->shape() == s)))
      engines_[c] = std::make_unique<ConvEngine>(s, precision_ == Precision::bf16);
  }
  parallel_chunks(x.n(), chunks, [&](int b, int e, int c) {
    engines_[c]->forward(x.data() + b * x.per_sample(), q_.data(), y.data() + b * y.per_sample());
    if (has_bias_)
      for (int n = b; n < e; ++n) {
        float* out = y.data() + n * y.per_sample();
        for (std::size_t i = 0; i < y.per_sample(); ++i) out[i] += b_[std::size_t(channel_of(i, y))];
      }
  });
}

template <class ShapeOf>
void WeightLayer::onednn_backward(const Tensor& x, const Tensor& gy, Tensor& gx, const ShapeOf& shape) {
  const int chunks = chunks_for(x.n());
  gq_part_.resize(std::size_t(chunks));
  gb_part_.resize(std::size_t(chunks));
  if (input_grad_needed_) gx.reshape(x.n(), x.c(), x.h(), x.w(), x.blocked);
  else gx = Tensor();
  for (int c = 0; c < chunks; ++c) {
    const int b = int((long(x.n()) * c) / chunks), e = int((long(x.n()) * (c + 1)) / chunks);
    FLIGHT_CHECK(e == b || (engines_.size() > std::size_t(c) && engines_[c] && engines_[c]->shape() == shape(e - b)),
                 "backward after the forward of the same batch");
    gq_part_[c].resize(q_.size());
    gb_part_[c].assign(b_.size(), 0.0f);
  }
  parallel_chunks(x.n(), chunks, [&](int b, int e, int c) {
    engines_[c]->backward(x.data() + b * x.per_sample(), q_.data(), gy.data() + b * gy.per_sample(),
                          gq_part_[c].data(), input_grad_needed_ ? gx.data() + b * gx.per_sample() : nullptr);
    if (has_bias_)
      for (int n = b; n < e; ++n) {
        const float* g = gy.data() + n * gy.per_sample();
        for (std::size_t i = 0; i < gy.per_sample(); ++i) gb_part_[c][std::size_t(channel_of(i, gy))] += g[i];
      }
  });
  finish_chunks(chunks);
}

void Conv2d::forward(const Tensor& x, Tensor& y, bool train) {
  FLIGHT_CHECK(x.c() == c_in_, "conv input channels");
  quantize(train);
  const int ho = (x.h() + 2 * pad_ - k_) / stride_ + 1, wo = (x.w() + 2 * pad_ - k_) / stride_ + 1;
  if (algorithm_ == Algorithm::im2col_gemm) {
    FLIGHT_CHECK(!x.blocked, "an im2col convolution's input in the plain layout");
    y.reshape(x.n(), filters_, ho, wo);
    return forward_gemm(x, y, train);
  }
  y.reshape(x.n(), filters_, ho, wo, blocked_output_);
  onednn_forward(x, y, chunk_shape(x));
}

void Conv2d::set_blocked_output(bool on) {
  FLIGHT_CHECK(!on || (algorithm_ == Algorithm::onednn && filters_ % kChannelBlock == 0),
               "a channel-blocked output needs the oneDNN path and a multiple of 16 filters");
  blocked_output_ = on;
}

// A chunk of `images` images of x as a ConvShape (with the layouts of x and of the output).
std::function<ConvShape(int)> Conv2d::chunk_shape(const Tensor& x) const {
  return [this, h = x.h(), w = x.w(), in = x.blocked](int images) {
    ConvShape s{images, c_in_, h, w, filters_, k_, stride_, pad_};
    s.blocked_in = in;
    s.blocked_out = blocked_output_;
    return s;
  };
}

void Conv2d::backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) {
  if (algorithm_ == Algorithm::onednn) {
    return onednn_backward(x, gy, gx, chunk_shape(x));
  }
  const int chunks = chunks_for(x.n());
  gq_part_.resize(std::size_t(chunks));
  gb_part_.resize(std::size_t(chunks));
  backward_gemm(x, y, gy, gx);
  finish_chunks(chunks);
}

// im2col + OpenBLAS: one GEMM per image, the columns of the training forward kept for the backward pass.
void Conv2d::forward_gemm(const Tensor& x, Tensor& y, bool train) {
  const int ho = y.h(), wo = y.w();
  const int plane = ho * wo;
  const std::size_t per = std::size_t(fan_in_) * plane;
  if (train) cols_cache_.resize(per * x.n());
  parallel_chunks(x.n(), chunks_for(x.n()), [&](int b, int e, int) {
    std::vector<float> scratch(train ? 0 : per);
    for (int n = b; n < e; ++n) {
      float* cols = train ? cols_cache_.data() + per * n : scratch.data();
      im2col(x.data() + n * x.per_sample(), c_in_, x.h(), x.w(), k_, stride_, pad_, ho, wo, cols);
      float* out = y.data() + n * y.per_sample();
      // (filters × fan_in) · (fan_in × plane) → (filters × plane)
      gemm(false, false, filters_, plane, fan_in_, 1.0f, q_.data(), fan_in_, cols, plane, 0.0f, out, plane);
      if (has_bias_)
        for (int f = 0; f < filters_; ++f)
          for (int p = 0; p < plane; ++p) out[f * plane + p] += b_[f];
    }
  });
}

void Conv2d::backward_gemm(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) {
  const int ho = y.h(), wo = y.w(), plane = ho * wo;
  if (input_grad_needed_) gx.zeros(x.n(), x.c(), x.h(), x.w());
  else gx = Tensor();
  const int chunks = chunks_for(x.n());
  const std::size_t per = std::size_t(fan_in_) * plane;
  FLIGHT_CHECK(cols_cache_.size() == per * x.n(), "conv backward after a training forward of the same batch");
  gcols_.resize(std::size_t(chunks));
  for (int c = 0; c < chunks; ++c) {
    gq_part_[c].assign(q_.size(), 0.0f);
    gb_part_[c].assign(b_.size(), 0.0f);
    gcols_[c].resize(per);
  }
  auto& gq_part = gq_part_;
  auto& gb_part = gb_part_;
  parallel_chunks(x.n(), chunks, [&](int b, int e, int c) {
    std::vector<float>& gcols = gcols_[c];
    for (int n = b; n < e; ++n) {
      const float* g = gy.data() + n * gy.per_sample();
      const float* cols = cols_cache_.data() + per * n;
      // dQ += gy (filters × plane) · colsᵀ (plane × fan_in)
      gemm(false, true, filters_, fan_in_, plane, 1.0f, g, plane, cols, plane, 1.0f, gq_part[c].data(), fan_in_);
      if (input_grad_needed_) {
        // dcols = Qᵀ (fan_in × filters) · gy (filters × plane)
        gemm(true, false, fan_in_, plane, filters_, 1.0f, q_.data(), fan_in_, g, plane, 0.0f, gcols.data(), plane);
        col2im(gcols.data(), c_in_, x.h(), x.w(), k_, stride_, pad_, ho, wo, gx.data() + n * gx.per_sample());
      }
      if (has_bias_)
        for (int f = 0; f < filters_; ++f) {
          float s = 0;
          for (int p = 0; p < plane; ++p) s += g[f * plane + p];
          gb_part[c][f] += s;
        }
    }
  });
}


// ---------------- Linear ----------------

Linear::Linear(int in, int out, bool bias, const QuantConfig& q) : WeightLayer(out, in, bias, q) {}

void Linear::forward(const Tensor& x, Tensor& y, bool train) {
  FLIGHT_CHECK(int(x.per_sample()) == fan_in_, "fc input features");
  FLIGHT_CHECK(!x.blocked, "fc input in the plain layout (a flatten layer before it)");
  quantize(train);
  y.reshape(x.n(), filters_, 1, 1);
  parallel_chunks(x.n(), chunks_for(x.n()), [&](int b, int e, int) {
    // y (rows × out) = x (rows × in) · Qᵀ (in × out)
    gemm(false, true, e - b, filters_, fan_in_, 1.0f, x.data() + std::size_t(b) * fan_in_, fan_in_, q_.data(),
         fan_in_, 0.0f, y.data() + std::size_t(b) * filters_, filters_);
    if (has_bias_)
      for (int n = b; n < e; ++n)
        for (int f = 0; f < filters_; ++f) y[std::size_t(n) * filters_ + f] += b_[f];
  });
}

void Linear::backward(const Tensor& x, const Tensor&, const Tensor& gy, Tensor& gx) {
  gx.reshape(x.n(), x.c(), x.h(), x.w());
  const int n = x.n();
  parallel_chunks(n, chunks_for(n), [&](int b, int e, int) {
    gemm(false, false, e - b, fan_in_, filters_, 1.0f, gy.data() + std::size_t(b) * filters_, filters_, q_.data(),
         fan_in_, 0.0f, gx.data() + std::size_t(b) * fan_in_, fan_in_);
  });
  gq_.assign(q_.size(), 0.0f);
  // dQ (out × in) = gyᵀ (out × n) · x (n × in), split over output rows: no reduction needed.
  parallel_chunks(filters_, chunks_for(filters_), [&](int b, int e, int) {
    gemm(true, false, e - b, fan_in_, n, 1.0f, gy.data() + b, filters_, x.data(), fan_in_, 0.0f,
         gq_.data() + std::size_t(b) * fan_in_, fan_in_);
  });
  if (has_bias_)
    for (int s = 0; s < n; ++s)
      for (int f = 0; f < filters_; ++f) gb_[f] += gy[std::size_t(s) * filters_ + f];
  finish_backward();
}

// ---------------- BatchNorm ----------------

BatchNorm::BatchNorm(int channels, float momentum, float eps)
    : c_(channels), momentum_(momentum), eps_(eps), gamma_(channels, 1.0f), beta_(channels, 0.0f),
      g_gamma_(channels, 0.0f), g_beta_(channels, 0.0f), run_mean_(channels, 0.0f), run_var_(channels, 1.0f),
      mean_(channels), inv_std_(channels) {}

std::vector<ParamRef> BatchNorm::params() {
  return {{"bn.gamma", &gamma_, &g_gamma_, false}, {"bn.beta", &beta_, &g_beta_, false}};
}

void BatchNorm::statistics(const Tensor& x, bool train, bool extremes) {
  FLIGHT_CHECK(x.c() == c_, "batchnorm channels");
  const int plane = x.h() * x.w(), n = x.n();
  const double cnt = double(n) * plane;
  last_train_ = train;
  if (extremes) lo_.resize(c_), hi_.resize(c_);
  // A channel's batch statistics from its sums (training), or the running ones.
  const auto batch = [&](int ch, double s, double s2) {
    const double m = s / cnt, var = std::max(0.0, s2 / cnt - m * m);
    mean_[ch] = float(m);
    inv_std_[ch] = float(1.0 / std::sqrt(var + eps_));
    run_mean_[ch] = (1 - momentum_) * run_mean_[ch] + momentum_ * mean_[ch];
    run_var_[ch] = (1 - momentum_) * run_var_[ch] + momentum_ * float(var * cnt / std::max(1.0, cnt - 1));
  };
  const auto running = [&](int ch) {
    mean_[ch] = run_mean_[ch];
    inv_std_[ch] = 1.0f / std::sqrt(run_var_[ch] + eps_);
  };
  if (x.blocked) {
    // Block by block: each lane a channel; float sums within a block, double across the images.
    parallel_for_each(x.channel_blocks(), [&](int cb) {
      const int c0 = cb * kChannelBlock;
      if (train || extremes) {
        double s[kChannelBlock] = {}, s2[kChannelBlock] = {};
        if (extremes) {
          std::fill_n(lo_.begin() + c0, kChannelBlock, std::numeric_limits<float>::infinity());
          std::fill_n(hi_.begin() + c0, kChannelBlock, -std::numeric_limits<float>::infinity());
        }
        for (int i = 0; i < n; ++i)
          block_sums(x.block(i, cb), x.plane(), s, s2, extremes ? &lo_[c0] : nullptr, extremes ? &hi_[c0] : nullptr);
        if (train) {
          for (int l = 0; l < kChannelBlock; ++l) batch(c0 + l, s[l], s2[l]);
          return;
        }
      }
      for (int l = 0; l < kChannelBlock; ++l) running(c0 + l);
    });
    return;
  }
  parallel_for_each(c_, [&](int ch) {
    if (train || extremes) {
      double s = 0, s2 = 0;  // float partial sums per plane, double across planes
      float lo = std::numeric_limits<float>::infinity(), hi = -lo;
      for (int i = 0; i < n; ++i) {
        const float* p = x.data() + i * x.per_sample() + std::size_t(ch) * plane;
        if (i + 1 < n) prefetch(p + x.per_sample(), std::size_t(plane));
        float ps, ps2, pl, ph;
        if (extremes) {
          sum_squares_min_max(p, std::size_t(plane), ps, ps2, pl, ph);
          lo = std::min(lo, pl), hi = std::max(hi, ph);
        } else {
          sum_and_squares(p, std::size_t(plane), ps, ps2);
        }
        s += ps, s2 += ps2;
      }
      if (extremes) lo_[ch] = lo, hi_[ch] = hi;
      if (train) return batch(ch, s, s2);
    }
    running(ch);
  });
}

const std::vector<BnRelu16>& BatchNorm::block_constants(const ReLU* relu) {
  block_consts_.resize(std::size_t(c_ / kChannelBlock));
  for (std::size_t cb = 0; cb < block_consts_.size(); ++cb) {
    BnRelu16& f = block_consts_[cb];
    for (int l = 0; l < kChannelBlock; ++l) {
      const std::size_t ch = cb * kChannelBlock + std::size_t(l);
      f.mean[l] = mean_[ch], f.gamma[l] = gamma_[ch], f.inv_std[l] = inv_std_[ch], f.beta[l] = beta_[ch];
    }
    if (relu) {
      f.top = relu->a_bits() > 0 ? std::ldexp(1.0f, relu->a_bits()) - 1 : 0.0f;
      f.inv = 1.0f / relu->scale(), f.scale = relu->scale(), f.clip = relu->clip();
    }
  }
  return block_consts_;
}

void BatchNorm::forward_blocked(const Tensor& x, Tensor& z, const ReLU* relu) {
  z.reshape(x.n(), x.c(), x.h(), x.w(), true);
  const auto& f = block_constants(relu);
  const int blocks = x.channel_blocks();
  parallel_for_each(x.n() * blocks, [&](int i) {
    const int n = i / blocks, cb = i % blocks;
    block_bn(x.block(n, cb), z.block(n, cb), x.plane(), f[std::size_t(cb)], relu ? BnOut::bn_relu : BnOut::bn);
  });
}

void BatchNorm::backward_blocked(const Tensor& x, const Tensor& g_in, Tensor& gx, const ReLU* relu) {
  FLIGHT_CHECK(last_train_, "batchnorm backward after a training forward");
  FLIGHT_CHECK(g_in.blocked, "batchnorm backward: the gradient in the layout of the forward");
  gx.reshape(x.n(), x.c(), x.h(), x.w(), true);
  const auto& f = block_constants(relu);
  const BnOut out = relu ? BnOut::bn_relu : BnOut::bn;
  const double cnt = double(x.n()) * x.plane();
  parallel_for_each(x.channel_blocks(), [&](int cb) {
    double sg[kChannelBlock] = {}, sd[kChannelBlock] = {};
    for (int i = 0; i < x.n(); ++i)
      block_bn_sums(g_in.block(i, cb), x.block(i, cb), x.plane(), f[std::size_t(cb)], out, sg, sd);
    float a[kChannelBlock], b[kChannelBlock], c[kChannelBlock];
    for (int l = 0; l < kChannelBlock; ++l) {
      const int ch = cb * kChannelBlock + l;
      const double sgx = sd[l] * inv_std_[ch];
      g_beta_[ch] += float(sg[l]);
      g_gamma_[ch] += float(sgx);
      const double k = gamma_[ch] * inv_std_[ch];
      a[l] = float(k), b[l] = float(k * sg[l] / cnt), c[l] = float(k * sgx / cnt * inv_std_[ch]);
    }
    for (int i = 0; i < x.n(); ++i)
      block_bn_backward(g_in.block(i, cb), x.block(i, cb), gx.block(i, cb), x.plane(), f[std::size_t(cb)], out, a, b,
                        c);
  });
}

void BatchNorm::forward(const Tensor& x, Tensor& y, bool train) {
  statistics(x, train, false);
  if (x.blocked) return forward_blocked(x, y, nullptr);
  y.reshape(x.n(), x.c(), x.h(), x.w());
  const int plane = x.h() * x.w();
  parallel_for_each(c_, [&](int ch) {
    const BnRelu f{mean_[ch], gamma_[ch], inv_std_[ch], beta_[ch]};
    for (int i = 0; i < x.n(); ++i)
      bn_plane(x.data() + i * x.per_sample() + std::size_t(ch) * plane,
               y.data() + i * y.per_sample() + std::size_t(ch) * plane, std::size_t(plane), f);
  });
}

void BatchNorm::forward_relu(const Tensor& x, ReLU& relu, Tensor& z, bool train) {
  const bool quantized = relu.a_bits() > 0;
  // A quantizing ReLU's scale follows the batch maximum of its input: batch norm is monotone in x per channel
  // (increasing for γ > 0, decreasing for γ < 0, in float too: every rounding is monotone), so the maximum of a
  // channel's output is bn_value of its largest (γ ≥ 0) or smallest (γ < 0) input — the same float relu_max finds.
  statistics(x, train, quantized && train);
  if (quantized && train) {
    float batch_max = 0;
    for (int ch = 0; ch < c_; ++ch) {
      const BnRelu f{mean_[ch], gamma_[ch], inv_std_[ch], beta_[ch]};
      batch_max = std::max(batch_max, bn_value(gamma_[ch] < 0 ? lo_[ch] : hi_[ch], f));
    }
    relu.observe_batch_max(batch_max, train);
  } else if (quantized) {
    relu.observe_batch_max(0, false);
  }
  if (x.blocked) return forward_blocked(x, z, &relu);
  z.reshape(x.n(), x.c(), x.h(), x.w());
  const int plane = x.h() * x.w();
  const float top = quantized ? std::ldexp(1.0f, relu.a_bits()) - 1 : 0.0f;
  parallel_for_each(c_, [&](int ch) {
    const BnRelu f{mean_[ch], gamma_[ch], inv_std_[ch], beta_[ch], 1.0f / relu.scale(), top, relu.scale()};
    for (int i = 0; i < x.n(); ++i)
      bn_relu_plane(x.data() + i * x.per_sample() + std::size_t(ch) * plane,
                    z.data() + i * z.per_sample() + std::size_t(ch) * plane, std::size_t(plane), f);
  });
}

// The backward pass of batch norm for the gradient g (of its output), per channel: sums Σg and Σg·x̂ over the planes
// (planes.sums), then gx = k·(g − Σg/cnt − x̂·Σgx̂/cnt), x̂ = (p − mean)·inv_std (planes.out).
template <class PlaneBackward>
void BatchNorm::backward_planes(const Tensor& x, const Tensor& g_in, Tensor& gx, const PlaneBackward& planes) {
  FLIGHT_CHECK(last_train_, "batchnorm backward after a training forward");
  gx.reshape(x.n(), x.c(), x.h(), x.w());
  const int plane = x.h() * x.w(), n = x.n();
  const double cnt = double(n) * plane;
  parallel_for_each(c_, [&](int ch) {
    double sg = 0, sgx = 0;  // Σ g and Σ g·x̂; float partial sums per plane, double across planes
    for (int i = 0; i < n; ++i) {
      const float* p = x.data() + i * x.per_sample() + std::size_t(ch) * plane;
      const float* g = g_in.data() + i * g_in.per_sample() + std::size_t(ch) * plane;
      if (i + 1 < n) {
        prefetch(p + x.per_sample(), std::size_t(plane));
        prefetch(g + g_in.per_sample(), std::size_t(plane));
      }
      float ps, pd;
      planes.sums(ch, g, p, std::size_t(plane), ps, pd);
      sg += ps, sgx += double(pd) * inv_std_[ch];
    }
    g_beta_[ch] += float(sg);
    g_gamma_[ch] += float(sgx);
    const double k = gamma_[ch] * inv_std_[ch];
    const float a = float(k), b = float(k * sg / cnt), c = float(k * sgx / cnt * inv_std_[ch]);
    for (int i = 0; i < n; ++i) {
      const float* p = x.data() + i * x.per_sample() + std::size_t(ch) * plane;
      const float* g = g_in.data() + i * g_in.per_sample() + std::size_t(ch) * plane;
      float* o = gx.data() + i * gx.per_sample() + std::size_t(ch) * plane;
      planes.out(ch, g, p, o, std::size_t(plane), a, b, c);
    }
  });
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& gy, Tensor& gx) {
  if (x.blocked) return backward_blocked(x, gy, gx, nullptr);
  struct {
    const BatchNorm& bn;
    void sums(int ch, const float* g, const float* p, std::size_t n, float& s, float& d) const {
      sum_and_dot_centered(g, p, n, bn.mean_[ch], s, d);
    }
    void out(int ch, const float* g, const float* p, float* o, std::size_t n, float a, float b, float c) const {
      bn_backward_plane(g, p, o, n, bn.mean_[ch], a, b, c);
    }
  } planes{*this};
  backward_planes(x, gy, gx, planes);
}

void BatchNorm::backward_relu(const Tensor& x, const ReLU& relu, const Tensor& gz, Tensor& gx) {
  if (x.blocked) return backward_blocked(x, gz, gx, &relu);
  // The ReLU's gradient mask, 0 < y ≤ clip, from y recomputed from x (bit for bit the forward's y).
  struct {
    const BatchNorm& bn;
    float clip;
    BnRelu at(int ch) const {
      BnRelu f{bn.mean_[ch], bn.gamma_[ch], bn.inv_std_[ch], bn.beta_[ch]};
      f.clip = clip;
      return f;
    }
    void sums(int ch, const float* g, const float* p, std::size_t n, float& s, float& d) const {
      sum_and_dot_centered_relu(g, p, n, at(ch), s, d);
    }
    void out(int ch, const float* g, const float* p, float* o, std::size_t n, float a, float b, float c) const {
      bn_relu_backward_plane(g, p, o, n, at(ch), a, b, c);
    }
  } planes{*this, relu.clip()};
  backward_planes(x, gz, gx, planes);
}

// ---------------- ReLU (+ activation quantization) ----------------

void ReLU::observe_batch_max(float batch_max, bool train) {
  if (train) running_max_ = running_max_ == 0 ? batch_max : 0.9f * running_max_ + 0.1f * batch_max;
  scale_ = activation_scale(running_max_, a_bits_);
}

float ReLU::clip() const {
  return a_bits_ > 0 ? (std::ldexp(1.0f, a_bits_) - 1) * scale_ : std::numeric_limits<float>::infinity();
}

void ReLU::forward(const Tensor& x, Tensor& y, bool train) {
  y.reshape(x.n(), x.c(), x.h(), x.w(), x.blocked);  // element by element: any layout
  const std::size_t n = x.size();
  const int chunks = chunks_for(std::max(1, int(n / 16384)));
  std::vector<float> chunk_max(std::max(1, chunks), 0.0f);
  auto range = [&](int b, int e) { return std::make_pair(std::size_t(b), std::size_t(e - b)); };
  if (a_bits_ <= 0) {
    parallel_chunks(int(n), chunks, [&](int b, int e, int) {
      const auto [at, cnt] = range(b, e);
      relu_max(x.data() + at, y.data() + at, cnt);
    });
    return;
  }
  // Pass 1: the batch maximum (sets the scale; an evaluation forward uses the running maximum only); pass 2: ReLU
  // and quantization in one sweep.
  if (train) {
    parallel_chunks(int(n), chunks, [&](int b, int e, int c) {
      const auto [at, cnt] = range(b, e);
      chunk_max[c] = relu_max(x.data() + at, nullptr, cnt);
    });
  }
  observe_batch_max(*std::max_element(chunk_max.begin(), chunk_max.end()), train);
  // activation_quantize() with its constants hoisted: scale is a power of two, so ·(1/scale) is exact.
  const float inv = 1.0f / scale_, top = std::ldexp(1.0f, a_bits_) - 1;
  parallel_chunks(int(n), chunks, [&](int b, int e, int) {
    const auto [at, cnt] = range(b, e);
    relu_quantize(x.data() + at, y.data() + at, cnt, inv, top, scale_);
  });
}

void ReLU::backward(const Tensor& x, const Tensor&, const Tensor& gy, Tensor& gx) {
  gx.reshape(gy.n(), gy.c(), gy.h(), gy.w(), gy.blocked);
  const float clip_at = clip();
  const int n = int(gx.size());
  parallel_chunks(n, chunks_for(std::max(1, n / 16384)), [&](int b, int e, int) {
    relu_backward(x.data() + b, gy.data() + b, gx.data() + b, std::size_t(e - b), clip_at);
  });
}

// ---------------- MaxPool ----------------

void MaxPool::forward(const Tensor& x, Tensor& y, bool) {
  const int ho = (x.h() - k_) / stride_ + 1, wo = (x.w() - k_) / stride_ + 1;
  y.reshape(x.n(), x.c(), ho, wo, x.blocked);
  argmax_.resize(y.size());
  if (x.blocked) {  // block by block, 16 channels per pixel
    parallel_for_each(x.n() * x.channel_blocks(), [&](int i) {
      const int n = i / x.channel_blocks(), cb = i % x.channel_blocks();
      block_maxpool(x.block(n, cb), y.block(n, cb), argmax_.data() + (y.block(n, cb) - y.data()), x.h(), x.w(), k_,
                    stride_, ho, wo);
    });
    return;
  }
  const int planes = x.n() * x.c(), w = x.w();
  const std::size_t in_plane = std::size_t(x.h()) * w, out_plane = std::size_t(ho) * wo;
  // The vectorized 2×2 kernel pays off on rows of 8 outputs or more (vgg-s: 32×32 and 16×16 inputs 3.4× faster; on
  // 8×8 inputs it was 1.8× slower than the loop below, measured with --profile-layers).
  if (k_ == 2 && stride_ == 2 && wo >= 8) {
    parallel_chunks(planes, chunks_for(planes), [&](int b, int e, int) {
      maxpool2x2(x.data() + b * in_plane, y.data() + b * out_plane, argmax_.data() + b * out_plane, e - b, x.h(), w);
    });
    return;
  }
  parallel_for_each(planes, [&](int pl) {
    const float* in = x.data() + pl * in_plane;
    float* out = y.data() + pl * out_plane;
    int* arg = argmax_.data() + pl * out_plane;
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        // The first maximum in row-major window order wins a tie.
        int best = (oy * stride_) * w + ox * stride_;
        for (int ky = 0; ky < k_; ++ky) {
          const int row = (oy * stride_ + ky) * w + ox * stride_;
          for (int kx = 0; kx < k_; ++kx)
            if (in[row + kx] > in[best]) best = row + kx;
        }
        out[oy * wo + ox] = in[best];
        arg[oy * wo + ox] = best;
      }
  });
}

void MaxPool::backward(const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx) {
  gx.reshape(x.n(), x.c(), x.h(), x.w(), x.blocked);
  if (x.blocked) {
    FLIGHT_CHECK(gy.blocked, "maxpool backward: the gradient in the layout of the forward");
    parallel_for_each(x.n() * x.channel_blocks(), [&](int i) {
      const int n = i / x.channel_blocks(), cb = i % x.channel_blocks();
      float* g = gx.block(n, cb);
      const std::size_t at = std::size_t(gy.block(n, cb) - gy.data());
      const float* gin = gy.data() + at;
      const int* arg = argmax_.data() + at;
      if (k_ == 2 && stride_ == 2) return block_maxpool2x2_backward(gin, arg, g, x.h(), x.w(), y.h(), y.w());
      std::fill(g, g + x.plane() * kChannelBlock, 0.0f);
      for (std::size_t o = 0; o < y.plane() * kChannelBlock; ++o) {
        const std::size_t lane = o % kChannelBlock;
        g[std::size_t(arg[o]) * kChannelBlock + lane] += gin[o];
      }
    });
    return;
  }
  const std::size_t in_plane = std::size_t(x.h()) * x.w(), out_plane = std::size_t(y.h()) * y.w();
  // Plane by plane: each writes only its own plane of gx, in the order of the serial loop.
  parallel_for_each(x.n() * x.c(), [&](int pl) {
    float* g = gx.data() + std::size_t(pl) * in_plane;
    std::fill(g, g + in_plane, 0.0f);
    const float* gin = gy.data() + std::size_t(pl) * out_plane;
    const int* arg = argmax_.data() + std::size_t(pl) * out_plane;
    for (std::size_t o = 0; o < out_plane; ++o) g[arg[o]] += gin[o];
  });
}

// ---------------- Flatten ----------------

namespace {
// Between the layouts, image by image and block by block: plain (n, cb·16 + l, p) ↔ blocked (n, cb, p, l).  `shape`
// gives the dimensions; `from` and `to` hold one tensor of that shape each, `to` in the layout `into_blocked` names.
void reorder_blocks(const Tensor& shape, const float* from, float* to, bool into_blocked) {
  const std::size_t plane = shape.plane(), block = plane * kChannelBlock;
  const int blocks = shape.channel_blocks();
  parallel_for_each(shape.n() * blocks, [&](int i) {
    const std::size_t at = std::size_t(i) * block;  // the same offset in both layouts: images, then blocks
    const float* in = from + at;
    float* out = to + at;
    for (std::size_t p = 0; p < plane; ++p)
      for (std::size_t l = 0; l < std::size_t(kChannelBlock); ++l) {
        if (into_blocked) out[p * kChannelBlock + l] = in[l * plane + p];
        else out[l * plane + p] = in[p * kChannelBlock + l];
      }
  });
}
}  // namespace

void to_plain(const Tensor& x, Tensor& y) {
  if (!x.blocked) {
    y = x;
    return;
  }
  y.reshape(x.n(), x.c(), x.h(), x.w(), false);
  reorder_blocks(x, x.data(), y.data(), false);
}

void to_blocked(const Tensor& x, Tensor& y) {
  FLIGHT_CHECK(x.c() % kChannelBlock == 0, "the channel-blocked layout needs a multiple of 16 channels");
  if (x.blocked) {
    y = x;
    return;
  }
  y.reshape(x.n(), x.c(), x.h(), x.w(), true);
  reorder_blocks(x, x.data(), y.data(), true);
}

// The fc layers read the features in the plain order (channel, row, column) whatever the layout before.
void Flatten::forward(const Tensor& x, Tensor& y, bool) {
  to_plain(x, y);
  y.shape = {x.n(), int(x.per_sample()), 1, 1};
}

void Flatten::backward(const Tensor& x, const Tensor&, const Tensor& gy, Tensor& gx) {
  if (x.blocked) {
    gx.reshape(x.n(), x.c(), x.h(), x.w(), true);
    reorder_blocks(x, gy.data(), gx.data(), true);  // gy: the plain features, (channel, row, column) per image
    return;
  }
  gx = gy;
  gx.shape = x.shape;
}

// ---------------- loss ----------------

double softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels, Tensor& grad, int* correct) {
  const int n = logits.n(), k = logits.c();
  grad = Tensor(n, k, 1, 1);
  double loss = 0;
  int right = 0;
  for (int i = 0; i < n; ++i) {
    const float* z = logits.data() + std::size_t(i) * k;
    float* g = grad.data() + std::size_t(i) * k;
    const float m = *std::max_element(z, z + k);
    double s = 0;
    for (int j = 0; j < k; ++j) s += std::exp(double(z[j]) - m);
    loss += -(double(z[labels[i]]) - m - std::log(s));
    for (int j = 0; j < k; ++j) g[j] = float(std::exp(double(z[j]) - m) / s / n);
    g[labels[i]] -= 1.0f / n;
    right += int(std::max_element(z, z + k) - z) == labels[i];
  }
  if (correct) *correct = right;
  return loss / n;
}

// ---------------- Model ----------------

Model::Model(const NetworkSpec& spec, ImageShape input, int classes, const QuantConfig& q, unsigned seed)
    : quant_(q), blocked_layout_(onednn_has_avx512()) {
  const auto shapes = infer_shapes(spec, input, static_cast<std::size_t>(classes));
  std::mt19937 rng(seed);
  double total_macs = 0;
  for (const auto& s : shapes) total_macs += double(s.macs);
  const int a_bits = q.method == Method::fp32 ? 0 : q.a_bits;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const auto& l = spec.layers[i];
    const auto& s = shapes[i];
    std::unique_ptr<Layer> layer;
    switch (l.type) {
      case LayerType::conv:
        layer = std::make_unique<Conv2d>(int(s.in.channels), int(l.out), int(l.kernel), int(l.stride), int(l.pad),
                                         l.bias, q);
        break;
      case LayerType::fc:
        layer = std::make_unique<Linear>(int(s.in.pixels()), int(s.out.channels), l.bias, q);
        break;
      case LayerType::batchnorm: layer = std::make_unique<BatchNorm>(int(s.in.channels)); break;
      case LayerType::relu: layer = std::make_unique<ReLU>(a_bits); break;
      case LayerType::maxpool: layer = std::make_unique<MaxPool>(int(l.kernel), int(l.stride)); break;
      case LayerType::flatten: layer = std::make_unique<Flatten>(); break;
    }
    if (auto* wl = dynamic_cast<WeightLayer*>(layer.get())) {
      // He initialization, uniform: U(−√(6/fan_in), √(6/fan_in)).
      const float bound = std::sqrt(6.0f / float(wl->fan_in()));
      std::uniform_real_distribution<float> dist(-bound, bound);
      for (auto& w : wl->weights()) w = dist(rng);
      wl->quantizer().set_reg_weight(total_macs > 0 ? double(s.macs) / s.filters / total_macs : 0);
    }
    layers_.push_back(std::move(layer));
  }
  if (!layers_.empty()) layers_.front()->set_input_grad_needed(false);
  std::uint64_t stream = 1;
  for (auto* wl : weight_layers()) wl->set_stream(stream++);
  acts_.resize(layers_.size() + 1);
  grads_.resize(layers_.size() + 1);
}

void Model::set_step(std::uint64_t step) {
  for (auto* wl : weight_layers()) wl->set_step(step);
}

void Model::set_lambda(double lambda) {
  for (auto* wl : weight_layers()) wl->quantizer().set_lambda(lambda);
}

void Model::set_reg_weights(const std::vector<double>& per_filter) {
  const auto wls = weight_layers();
  if (per_filter.size() != wls.size()) {
    throw InputError("regularizer weights: expected one per weight layer (" + std::to_string(wls.size()) +
                     "), found " + std::to_string(per_filter.size()));
  }
  for (std::size_t i = 0; i < wls.size(); ++i) {
    if (!(per_filter[i] >= 0) || !std::isfinite(per_filter[i])) {
      throw InputError("regularizer weights: expected finite non-negative values, found " +
                       std::to_string(per_filter[i]) + " for weight layer " + std::to_string(i + 1));
    }
    wls[i]->quantizer().set_reg_weight(per_filter[i]);
  }
}

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

std::string Model::set_precision(Precision asked) {
  const std::string& unavailable = asked == Precision::bf16 ? bf16_unavailable_reason() : std::string();
  const Precision p = unavailable.empty() ? asked : Precision::fp32;
  precision_ = p;
  std::string in_bf16, in_fp32;
  std::map<std::string, int> count;
  for (auto& l : layers_) {
    auto* wl = dynamic_cast<WeightLayer*>(l.get());
    if (!wl) continue;
    const std::string label = wl->name() + std::to_string(++count[wl->name()]);
    auto* conv = dynamic_cast<Conv2d*>(wl);
    // Not the first layer: its input (normalized pixels) is not exact in bf16.
    const bool bf16 = p == Precision::bf16 && conv && conv->algorithm() == Conv2d::Algorithm::onednn &&
                      l.get() != layers_.front().get();
    wl->set_precision(bf16 ? Precision::bf16 : Precision::fp32);
    (bf16 ? in_bf16 : in_fp32) += (bf16 ? in_bf16 : in_fp32).empty() ? label : ", " + label;
  }
  if (p == Precision::fp32) return unavailable.empty() ? "precision: fp32" : "precision: fp32 (bf16 asked for: " + unavailable + ")";
  if (in_bf16.empty()) {
    precision_ = Precision::fp32;
    return "precision: fp32 (bf16 asked for: only oneDNN convolutions after the first layer run bf16, and this "
           "network has none)";
  }
  std::string inexact;
  if (quant_.method != Method::fp32 && (quant_.a_bits > 8 || (quant_.method != Method::fixed && quant_.e_bits > 3))) {
    inexact = "; with " + std::to_string(quant_.e_bits) + " exponent bits and " + std::to_string(quant_.a_bits) +
              "-bit activations not every operand is exact in bf16 (mixed precision, not exact products)";
  }
  return "precision: bf16 (oneDNN " + bf16_implementation() + ") for " + in_bf16 + "; fp32 for " +
         (in_fp32.empty() ? "no weight layer" : in_fp32) + ", batch norm, the optimizer and the master weights" +
         inexact;
}

std::string Model::precision_ran() const {
  if (precision_ == Precision::fp32) return "fp32";
  int n = 0, bf16 = 0;
  for (const auto& l : layers_)
    if (const auto* wl = dynamic_cast<const WeightLayer*>(l.get()); wl && wl->precision() == Precision::bf16) {
      const auto [e, b] = wl->engines_and_bf16();
      n += e, bf16 += b;
    }
  return bf16 == 0 ? "fp32" : bf16 == n ? "bf16" : "bf16, some shapes fp32";
}

bool Model::fused_pair(std::size_t i) const {
  return fusion_ && i + 1 < layers_.size() && dynamic_cast<const BatchNorm*>(layers_[i].get()) &&
         dynamic_cast<const ReLU*>(layers_[i + 1].get());
}

void Model::plan_layouts() {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(layers_[i].get());
    if (!conv) continue;
    const auto onednn = [](const Layer* l) {
      const auto* c = dynamic_cast<const Conv2d*>(l);
      return c && c->algorithm() == Conv2d::Algorithm::onednn;
    };
    bool blocked = blocked_layout_ && onednn(conv) && conv->filters() % kChannelBlock == 0;
    if (blocked) {
      // Batch norm, ReLU and pooling read either layout; the chain must end at a oneDNN convolution or a flatten.
      std::size_t j = i + 1;
      while (j < layers_.size() && (dynamic_cast<const BatchNorm*>(layers_[j].get()) ||
                                    dynamic_cast<const ReLU*>(layers_[j].get()) ||
                                    dynamic_cast<const MaxPool*>(layers_[j].get())))
        ++j;
      blocked = j < layers_.size() && (onednn(layers_[j].get()) || dynamic_cast<const Flatten*>(layers_[j].get()));
    }
    conv->set_blocked_output(blocked);
  }
}

const Tensor& Model::forward(const Tensor& x, bool train) {
  plan_layouts();
  acts_[0] = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto t0 = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (fused_pair(i)) {
      // The batch norm's own output is never written: the ReLU's input stays empty.
      auto& bn = static_cast<BatchNorm&>(*layers_[i]);
      bn.forward_relu(acts_[i], static_cast<ReLU&>(*layers_[i + 1]), acts_[i + 2], train);
      acts_[i + 1] = Tensor();
    } else {
      layers_[i]->forward(acts_[i], acts_[i + 1], train);
    }
    if (profiling_) forward_s_[i] += seconds_since(t0);
    if (fused_pair(i)) ++i;
  }
  return acts_.back();
}

void Model::backward(const Tensor& grad_logits) {
  grads_.back() = grad_logits;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const bool fused = i > 0 && fused_pair(i - 1);
    if (fused) --i;  // the pair (i, i + 1) from the ReLU's gradient to the batch norm's input
    const auto t0 = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (fused) {
      auto& bn = static_cast<BatchNorm&>(*layers_[i]);
      bn.backward_relu(acts_[i], static_cast<const ReLU&>(*layers_[i + 1]), grads_[i + 2], grads_[i]);
    } else {
      layers_[i]->backward(acts_[i], acts_[i + 1], grads_[i + 1], grads_[i]);
    }
    if (profiling_) backward_s_[i] += seconds_since(t0);
  }
}

void Model::pause_profiling(bool paused) {
  if (!profiling_ && !paused_) return;  // not profiling
  paused_ = paused;
  profiling_ = !paused;
  for (auto* w : weight_layers()) w->set_timed(!paused);
}

void Model::set_profiling(bool on) {
  profiling_ = on;
  paused_ = false;
  forward_s_.assign(layers_.size(), 0.0);
  backward_s_.assign(layers_.size(), 0.0);
  for (auto* w : weight_layers()) {
    w->set_timed(on);
    w->reset_times();
  }
}

std::vector<Model::LayerTime> Model::layer_times() const {
  std::vector<LayerTime> out;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    LayerTime t{layers_[i]->name(), i < forward_s_.size() ? forward_s_[i] : 0.0,
                i < backward_s_.size() ? backward_s_[i] : 0.0, 0.0, 0.0, i > 0 && fused_pair(i - 1)};
    if (const auto* w = dynamic_cast<const WeightLayer*>(layers_[i].get())) {
      t.quantize_s = w->quantize_seconds();
      t.straight_through_s = w->straight_through_seconds();
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<ParamRef> Model::params() {
  std::vector<ParamRef> out;
  for (auto& l : layers_)
    for (auto& p : l->params()) out.push_back(p);
  return out;
}

void Model::zero_grad() {
  for (auto& p : params()) std::fill(p.grad->begin(), p.grad->end(), 0.0f);
}

double Model::reg_loss() const {
  double r = 0;
  for (const auto& l : layers_)
    if (auto* wl = dynamic_cast<const WeightLayer*>(l.get())) r += const_cast<WeightLayer*>(wl)->quantizer().reg_loss();
  return r;
}

std::vector<Layer*> Model::layers() {
  std::vector<Layer*> v;
  for (auto& l : layers_) v.push_back(l.get());
  return v;
}

std::vector<WeightLayer*> Model::weight_layers() {
  std::vector<WeightLayer*> v;
  for (auto& l : layers_)
    if (auto* wl = dynamic_cast<WeightLayer*>(l.get())) v.push_back(wl);
  return v;
}

}  // namespace flight::trainer
