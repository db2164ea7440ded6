#pragma once
// Numeric kernels: free functions over raw arrays, shapes in the signature.  Each fast kernel has a plain `_ref`
// version beside it, and tests compare the two within a named error budget.
//
// Threading: gemm() is single-threaded (OpenBLAS pinned to one thread at start-up, oneDNN's OpenMP team set to one
// per call); callers parallelize around it
// with the one threading layer (flight/core/parallel.hpp: parallel_chunks, parallel_for_each).
//
// Error budgets of the fast kernels against their `_ref` twins (tests/trainer/test_layers.cpp, Kernels.*):
//   exact          — im2col, col2im with stride > 1, relu_max, relu_quantize, relu_backward, pow2_two_terms' terms
//   kSumBudget     — sums in float with partial sums: |fast − ref| ≤ 4e-5 · n · max|term| (ref in double)
//   kGemmBudget    — gemm and the convolutions: ‖fast − ref‖₂ ≤ 1e-5 · ‖ref‖₂ (ref accumulates in double)
#include <cstddef>

namespace flight::trainer {

// C (M×N) = alpha · op(A) · op(B) + beta · C; row-major; op(A) is M×K, op(B) is K×N.  Through oneDNN's dnnl_sgemm
// where oneDNN runs AVX-512 kernels (Debian's OpenBLAS runs its Haswell kernels there: vgg-l's fc1, a chunk of 32
// images forward and backward, 2.4 against 3.9 ms, one thread), else OpenBLAS (gemm_library(); issue 14).
enum class GemmLibrary { openblas, onednn };
GemmLibrary gemm_library();
void gemm_with(GemmLibrary lib, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc);
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);
void gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
              int ldb, float beta, float* c, int ldc);

// im2col for one image: x (C, H, W) → cols (C·K·K, Ho·Wo), zero padding.
void im2col(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols);
void im2col_ref(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols);
// col2im: accumulates cols (C·K·K, Ho·Wo) back into dx (C, H, W); dx must be zeroed by the caller.
void col2im(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx);
void col2im_ref(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx);

// Direct convolution of a batch, the reference of both convolution paths (oneDNN's ConvEngine and im2col + GEMM):
// y (N, Co, Ho, Wo) = conv(x (N, Ci, H, W), w (Co, Ci, K, K)) + b (Co, or null); sums in double.
void conv2d_forward_ref(const float* x, const float* w, const float* b, float* y, int n, int c_in, int h, int w_in,
                        int c_out, int k, int stride, int pad);
// gw (Co, Ci, K, K) and gb (Co, or null) overwritten with ∂L/∂w, ∂L/∂b; gx (N, Ci, H, W) overwritten with ∂L/∂x
// (skipped when null), for gy = ∂L/∂y.
void conv2d_backward_ref(const float* x, const float* w, const float* gy, float* gw, float* gb, float* gx, int n,
                         int c_in, int h, int w_in, int c_out, int k, int stride, int pad);

// Pins the GEMM library to one thread; called once before any training.
void init_kernels();

}  // namespace flight::trainer

namespace flight::trainer {

// Element-wise kernels of the activation and batch-norm layers, compiled for AVX-512, AVX2 and plain x86-64 and
// picked at run time (GCC target_clones).  Each is exact element by element (no reassociation across elements except
// the documented sums), so results do not depend on the instruction set chosen.
//
// y = max(x, 0) for n values; returns the largest y (0 for n = 0).  y may be null (only the maximum).
float relu_max(const float* x, float* y, std::size_t n);
// y = clamp(round_half_even(min(max(x, 0)·inv, top + 1)), 0, top)·scale: ReLU then A-bit activation quantization.
void relu_quantize(const float* x, float* y, std::size_t n, float inv, float top, float scale);
// gx = gy where 0 < x ≤ clip, else 0.
void relu_backward(const float* x, const float* gy, float* gx, std::size_t n, float clip);
// Σ p and Σ p² over n values, in float with 16 partial sums (the batch-norm statistics of one plane).
void sum_and_squares(const float* p, std::size_t n, float& sum, float& sum_sq);
// Σ g and Σ g·(p − mean) over n values, in float with 16 partial sums (batch-norm backward of one plane).
void sum_and_dot_centered(const float* g, const float* p, std::size_t n, float mean, float& sum_g, float& dot);
// o = a·g − b − c·(p − mean): batch-norm backward of one plane.
void bn_backward_plane(const float* g, const float* p, float* o, std::size_t n, float mean, float a, float b, float c);
// Asks the CPU to bring n floats at p into the cache ahead of use.  Batch norm walks a channel's planes, one per
// image, each often a page of its own, where the hardware prefetcher stops (vgg-s batch norm backward 1.2× faster).
inline void prefetch(const float* p, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 16) __builtin_prefetch(p + i);
}

// Batch norm of one plane followed by the ReLU that reads it (BatchNorm::forward_relu / backward_relu run the pair as
// one pass each way).  y = gamma·(p − mean)·inv_std + beta is the batch-norm output, computed by bn_value in every
// kernel below with the same operations (kernels.cpp is built without floating-point contraction), so a fused pass
// gives bit for bit what batch norm then ReLU give apart.  `top` = 0: plain ReLU; else relu_quantize's A-bit
// quantization (inv, top, scale).  The ReLU's gradient passes where 0 < y ≤ clip.
struct BnRelu {
  float mean = 0, gamma = 1, inv_std = 1, beta = 0;
  float inv = 1, top = 0, scale = 1;
  float clip = 0;
};
float bn_value(float p, const BnRelu& f);
// y = bn_value(p) for n values (batch norm alone).
void bn_plane(const float* p, float* y, std::size_t n, const BnRelu& f);
// z = ReLU (and quantization) of bn_value(p) for n values.
void bn_relu_plane(const float* p, float* z, std::size_t n, const BnRelu& f);
// Σ p and Σ p² (as sum_and_squares, the same partial sums) and the smallest and largest p (n > 0).
void sum_squares_min_max(const float* p, std::size_t n, float& sum, float& sum_sq, float& lo, float& hi);
// sum_and_dot_centered of g·[0 < bn_value(p) ≤ clip]: the ReLU's gradient taken inside batch norm's sums.
void sum_and_dot_centered_relu(const float* g, const float* p, std::size_t n, const BnRelu& f, float& sum_g,
                               float& dot);
// bn_backward_plane of g·[0 < bn_value(p) ≤ clip].
void bn_relu_backward_plane(const float* g, const float* p, float* o, std::size_t n, const BnRelu& f, float a,
                            float b, float c);

// The same for a block of 16 channels in the channel-blocked layout (Tensor::blocked): `pixels` × 16 floats, lane l
// channel l of the block; per-lane constants, the ReLU's (inv, top, scale, clip) shared.  Each element is computed
// with the operations of the kernels above (bn_value, relu_quantize), so a blocked pass gives per element what the
// plain one gives for the same constants; only the sums are grouped differently (per lane, 4 partial sums).
struct BnRelu16 {
  float mean[16], gamma[16], inv_std[16], beta[16];
  float inv = 1, top = 0, scale = 1, clip = 0;
};
enum class BnOut { bn, bn_relu };  // batch norm alone, or followed by the ReLU (top = 0) or quantizing ReLU
// sum[l] += Σ p, sum_sq[l] += Σ p² over the block's pixels (float within the block, added to the doubles); with lo
// and hi non-null, also lo[l] = min(lo[l], min p), hi[l] likewise.
void block_sums(const float* p, std::size_t pixels, double* sum, double* sum_sq, float* lo, float* hi);
// z = batch norm (and ReLU) of p.
void block_bn(const float* p, float* z, std::size_t pixels, const BnRelu16& f, BnOut out);
// sum_g[l] += Σ g', dot[l] += Σ g'·(p − mean) with g' = g (bn) or g·[0 < bn_value(p) ≤ clip] (bn_relu).
void block_bn_sums(const float* g, const float* p, std::size_t pixels, const BnRelu16& f, BnOut out, double* sum_g,
                   double* dot);
// o = a·g' − b − c·(p − mean), per-lane a, b, c.
void block_bn_backward(const float* g, const float* p, float* o, std::size_t pixels, const BnRelu16& f, BnOut out,
                       const float* a, const float* b, const float* c);
// k×k max pooling with stride s of one block (h × w pixels → ho × wo): out and arg (the window's largest input's
// pixel index in the block, per lane; the first in row-major order wins a tie, as MaxPool's plain loop).
void block_maxpool(const float* in, float* out, int* arg, int h, int w, int k, int stride, int ho, int wo);
// Its backward for 2×2 windows with stride 2: gx (h × w pixels) ← gy routed to each window's arg, every pixel written
// (those of no window, an odd last row or column, zero) — no zeroing pass and no scatter.
void block_maxpool2x2_backward(const float* gy, const int* arg, float* gx, int h, int w, int ho, int wo);

// 2×2, stride-2 max pooling of `planes` planes of h×w (output ho × wo = h/2 × w/2, rounded down): each output is the
// largest of its window (the first in row-major order wins a tie, as MaxPool's general loop) and arg its index in
// its input plane.
void maxpool2x2(const float* in, float* out, int* arg, int planes, int h, int w);

// FLightNN's two terms of n weights (one filter) under the power-of-two window (base, min_exp, zero_code):
// first = R(w), second = R(w − R(w)), element by element exactly as pow2_round (quant.hpp); returns Σ (w − R(w))² in
// float with 16 partial sums.
float pow2_two_terms(const float* w, float* first, float* second, std::size_t n, int base, int min_exp,
                     bool zero_code);
// Σ a·b over n values, in float with 16 partial sums.
float dot(const float* a, const float* b, std::size_t n);

// The plain loops the element-wise kernels are tested against (sums in double).
float relu_max_ref(const float* x, float* y, std::size_t n);
void relu_quantize_ref(const float* x, float* y, std::size_t n, float inv, float top, float scale);
void relu_backward_ref(const float* x, const float* gy, float* gx, std::size_t n, float clip);
void sum_and_squares_ref(const float* p, std::size_t n, double& sum, double& sum_sq);
void sum_and_dot_centered_ref(const float* g, const float* p, std::size_t n, float mean, double& sum_g, double& dot);
void bn_backward_plane_ref(const float* g, const float* p, float* o, std::size_t n, float mean, float a, float b,
                           float c);
double pow2_two_terms_ref(const float* w, float* first, float* second, std::size_t n, int base, int min_exp,
                          bool zero_code);
double dot_ref(const float* a, const float* b, std::size_t n);

}  // namespace flight::trainer
