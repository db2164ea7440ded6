#pragma once
// Numeric kernels: free functions over raw arrays, shapes in the signature.  Each fast kernel has a plain `_ref`
// version beside it, and tests compare the two within a named error budget.
//
// Threading: gemm() is single-threaded (OpenBLAS pinned to one thread at start-up); callers parallelize around it
// with oneTBB (flight::trainer::parallel_for), so there is one threading layer.
#include <cstddef>

namespace flight::trainer {

// C (M×N) = alpha · op(A) · op(B) + beta · C; row-major; op(A) is M×K, op(B) is K×N.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);
void gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
              int ldb, float beta, float* c, int ldc);

// im2col for one image: x (C, H, W) → cols (C·K·K, Ho·Wo), zero padding.
void im2col(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols);
void im2col_ref(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols);
// col2im: accumulates cols (C·K·K, Ho·Wo) back into dx (C, H, W); dx must be zeroed by the caller.
void col2im(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx);

// Pins the GEMM library to one thread; called once before any training.
void init_kernels();

}  // namespace flight::trainer
