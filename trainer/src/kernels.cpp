#include "flight/trainer/kernels.hpp"

#include <cblas.h>

#include <mutex>

namespace flight::trainer {

void init_kernels() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
              a, lda, b, ldb, beta, c, ldc);
}

void gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
              int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p) {
        const float av = trans_a ? a[std::size_t(p) * lda + i] : a[std::size_t(i) * lda + p];
        const float bv = trans_b ? b[std::size_t(j) * ldb + p] : b[std::size_t(p) * ldb + j];
        s += double(av) * bv;
      }
      float& cv = c[std::size_t(i) * ldc + j];
      cv = float(alpha * s + (beta == 0.0f ? 0.0 : double(beta) * cv));
    }
}

void im2col(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols) {
  const std::size_t plane = std::size_t(ho) * wo;
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        float* row = cols + (std::size_t(ch * k + ky) * k + kx) * plane;
        for (int oy = 0; oy < ho; ++oy) {
          const int iy = oy * stride - pad + ky;
          float* out = row + std::size_t(oy) * wo;
          if (iy < 0 || iy >= h) {
            for (int ox = 0; ox < wo; ++ox) out[ox] = 0.0f;
            continue;
          }
          const float* in = x + (std::size_t(ch) * h + iy) * w;
          for (int ox = 0; ox < wo; ++ox) {
            const int ix = ox * stride - pad + kx;
            out[ox] = (ix >= 0 && ix < w) ? in[ix] : 0.0f;
          }
        }
      }
}

void col2im(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx) {
  const std::size_t plane = std::size_t(ho) * wo;
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const float* row = cols + (std::size_t(ch * k + ky) * k + kx) * plane;
        for (int oy = 0; oy < ho; ++oy) {
          const int iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= h) continue;
          float* out = dx + (std::size_t(ch) * h + iy) * w;
          const float* in = row + std::size_t(oy) * wo;
          for (int ox = 0; ox < wo; ++ox) {
            const int ix = ox * stride - pad + kx;
            if (ix >= 0 && ix < w) out[ix] += in[ox];
          }
        }
      }
}

}  // namespace flight::trainer
