#pragma once
// Convolution through oneDNN (Debian's libdnnl 2.6): forward, backward-data and backward-weights primitives for one
// fixed shape, run on the calling thread only.
//
// Threading: Debian builds oneDNN on OpenMP.  Every entry point first sets the calling thread's OpenMP team size to
// one, so oneDNN never starts an OpenMP pool; callers split the batch into chunks and run one ConvEngine per chunk
// inside oneTBB tasks (Conv2d does), which keeps oneTBB the one threading layer.  tests/trainer/test_layers.cpp
// checks that a threaded training step starts no thread beyond oneTBB's.
//
// Weights are plain OIHW; activations plain NCHW or channel-blocked nChw16c (Tensor::blocked), as the shape says.
// The engine reorders to the layouts oneDNN picks for this machine and back, in buffers it keeps — nothing to do
// for an activation already in the primitive's layout (fp32), only the conversion for bf16.
#include <memory>
#include <string>

namespace flight::trainer {

struct ConvShape {
  int n = 0, c_in = 0, h = 0, w = 0, c_out = 0, k = 0, stride = 1, pad = 0;
  bool blocked_in = false, blocked_out = false;  // x (and gx), y (and gy) in the channel-blocked layout
  int ho() const { return (h + 2 * pad - k) / stride + 1; }
  int wo() const { return (w + 2 * pad - k) / stride + 1; }
  bool operator==(const ConvShape&) const = default;
};

// bf16: the primitives read their inputs (x, w and gy) rounded to bfloat16 and accumulate and write in fp32; the
// caller's tensors stay fp32.  Only where oneDNN has a native bf16 kernel for this CPU (AVX512_BF16 and later): the
// probe below says whether it does, and an engine asked for bf16 on a shape without one runs fp32 (bf16() says
// which ran).
class ConvEngine {
 public:
  explicit ConvEngine(const ConvShape& shape, bool bf16 = false);
  bool bf16() const { return bf16_; }
  ~ConvEngine();
  ConvEngine(const ConvEngine&) = delete;
  ConvEngine& operator=(const ConvEngine&) = delete;

  const ConvShape& shape() const { return shape_; }
  // y (N, c_out, Ho, Wo) = conv(x (N, c_in, H, W), w (c_out, c_in, k, k)); y is overwritten.
  void forward(const float* x, const float* w, float* y);
  // gw (c_out, c_in, k, k) = ∂/∂w (overwritten); gx (N, c_in, H, W) = ∂/∂x (overwritten), skipped when null.
  // When x is the last forward's input (same pointer; the caller must not have changed it in between), the
  // forward's reordered copy of it is reused.
  void backward(const float* x, const float* w, const float* gy, float* gw, float* gx);
  // The implementation oneDNN chose, e.g. "jit:avx512_core" (forward / backward data / backward weights).
  std::string implementation() const;

 private:
  struct Impl;
  ConvShape shape_;
  bool bf16_ = false;
  std::unique_ptr<Impl> impl_;
};

// dnnl_sgemm (row-major, as kernels.hpp's gemm) on the calling thread only.
void onednn_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc);
// Whether oneDNN runs its AVX-512 kernels on this CPU (also declared in layers.hpp).
bool onednn_has_avx512();

// The forward implementation oneDNN picks for bf16 on this CPU, e.g. "jit_bf16:avx512_core_bf16" ("" when none).
const std::string& bf16_implementation();

}  // namespace flight::trainer
