#include "flight/trainer/kernels.hpp"

#include "flight/core/clones.hpp"
#include "conv_engine.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace flight::trainer {

void init_kernels() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

GemmLibrary gemm_library() {
  static const GemmLibrary lib = onednn_has_avx512() ? GemmLibrary::onednn : GemmLibrary::openblas;
  return lib;
}

void gemm_with(GemmLibrary lib, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc) {
  if (lib == GemmLibrary::onednn) return onednn_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
              a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  gemm_with(gemm_library(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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

void im2col_ref(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols) {
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx)
        for (int oy = 0; oy < ho; ++oy)
          for (int ox = 0; ox < wo; ++ox) {
            const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
            cols[((std::size_t(ch * k + ky) * k + kx) * ho + oy) * wo + ox] =
                (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[(std::size_t(ch) * h + iy) * w + ix] : 0.0f;
          }
}

namespace {
// Output columns ox whose input column ox·stride − pad + kx lies inside [0, w): [lo, hi).
inline void valid_range(int w, int wo, int stride, int pad, int kx, int& lo, int& hi) {
  // ix = ox·stride − pad + kx ≥ 0  ⇔  ox ≥ ⌈(pad − kx) / stride⌉;   ix < w  ⇔  ox ≤ ⌊(w − 1 + pad − kx) / stride⌋
  const int a = pad - kx;
  lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  const int b = w - 1 + pad - kx;
  hi = b < 0 ? 0 : std::min(wo, b / stride + 1);
  if (hi < lo) hi = lo;
}
}  // namespace

void im2col(const float* x, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* cols) {
  const std::size_t plane = std::size_t(ho) * wo;
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        float* row = cols + (std::size_t(ch * k + ky) * k + kx) * plane;
        int lo, hi;
        valid_range(w, wo, stride, pad, kx, lo, hi);
        for (int oy = 0; oy < ho; ++oy) {
          const int iy = oy * stride - pad + ky;
          float* out = row + std::size_t(oy) * wo;
          if (iy < 0 || iy >= h) {
            std::fill(out, out + wo, 0.0f);
            continue;
          }
          const float* in = x + (std::size_t(ch) * h + iy) * w;  // input row; column ox reads ox·stride − pad + kx
          std::fill(out, out + lo, 0.0f);
          if (stride == 1) {
            if (hi > lo) std::copy(in + (lo - pad + kx), in + (hi - pad + kx), out + lo);
          } else {
            for (int ox = lo; ox < hi; ++ox) out[ox] = in[ox * stride - pad + kx];
          }
          std::fill(out + hi, out + wo, 0.0f);
        }
      }
}


namespace {
// out[i] += in[i]: the stride-1 rows of col2im, vectorized for the machine it runs on.
FLIGHT_CLONES void add_row(float* __restrict out, const float* __restrict in, int n) {
  for (int i = 0; i < n; ++i) out[i] += in[i];
}
}  // namespace

void col2im(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx) {
  const std::size_t plane = std::size_t(ho) * wo;
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const float* row = cols + (std::size_t(ch * k + ky) * k + kx) * plane;
        int lo, hi;
        valid_range(w, wo, stride, pad, kx, lo, hi);
        for (int oy = 0; oy < ho; ++oy) {
          const int iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= h) continue;
          float* out = dx + (std::size_t(ch) * h + iy) * w;
          const float* in = row + std::size_t(oy) * wo;
          if (stride == 1) {
            if (hi > lo) add_row(out + (lo - pad + kx), in + lo, hi - lo);
          } else {
            for (int ox = lo; ox < hi; ++ox) out[ox * stride - pad + kx] += in[ox];
          }
        }
      }
}

void col2im_ref(const float* cols, int c, int h, int w, int k, int stride, int pad, int ho, int wo, float* dx) {
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx)
        for (int oy = 0; oy < ho; ++oy)
          for (int ox = 0; ox < wo; ++ox) {
            const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            dx[(std::size_t(ch) * h + iy) * w + ix] +=
                cols[((std::size_t(ch * k + ky) * k + kx) * ho + oy) * wo + ox];
          }
}

void conv2d_forward_ref(const float* x, const float* w, const float* b, float* y, int n, int c_in, int h, int w_in,
                        int c_out, int k, int stride, int pad) {
  const int ho = (h + 2 * pad - k) / stride + 1, wo = (w_in + 2 * pad - k) / stride + 1;
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < c_out; ++o)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          double s = b ? b[o] : 0.0;
          for (int c = 0; c < c_in; ++c)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w_in) continue;
                s += double(x[((std::size_t(i) * c_in + c) * h + iy) * w_in + ix]) *
                     w[((std::size_t(o) * c_in + c) * k + ky) * k + kx];
              }
          y[((std::size_t(i) * c_out + o) * ho + oy) * wo + ox] = float(s);
        }
}

void conv2d_backward_ref(const float* x, const float* w, const float* gy, float* gw, float* gb, float* gx, int n,
                         int c_in, int h, int w_in, int c_out, int k, int stride, int pad) {
  const int ho = (h + 2 * pad - k) / stride + 1, wo = (w_in + 2 * pad - k) / stride + 1;
  std::vector<double> dw(std::size_t(c_out) * c_in * k * k, 0.0), db(std::size_t(c_out), 0.0),
      dx(gx ? std::size_t(n) * c_in * h * w_in : 0, 0.0);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < c_out; ++o)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          const double g = gy[((std::size_t(i) * c_out + o) * ho + oy) * wo + ox];
          db[o] += g;
          for (int c = 0; c < c_in; ++c)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w_in) continue;
                const std::size_t xi = ((std::size_t(i) * c_in + c) * h + iy) * w_in + ix;
                const std::size_t wi = ((std::size_t(o) * c_in + c) * k + ky) * k + kx;
                dw[wi] += g * x[xi];
                if (gx) dx[xi] += g * w[wi];
              }
        }
  for (std::size_t j = 0; j < dw.size(); ++j) gw[j] = float(dw[j]);
  if (gb)
    for (int o = 0; o < c_out; ++o) gb[o] = float(db[o]);
  if (gx)
    for (std::size_t j = 0; j < dx.size(); ++j) gx[j] = float(dx[j]);
}

// ---------------- references of the element-wise kernels: plain loops, sums in double ----------------

float relu_max_ref(const float* x, float* y, std::size_t n) {
  float m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = std::max(x[i], 0.0f);
    if (y) y[i] = v;
    m = std::max(m, v);
  }
  return m;
}

void relu_quantize_ref(const float* x, float* y, std::size_t n, float inv, float top, float scale) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = std::min(std::max(x[i], 0.0f) * inv, top + 1.0f);
    y[i] = std::clamp(std::nearbyint(v), 0.0f, top) * scale;
  }
}

void relu_backward_ref(const float* x, const float* gy, float* gx, std::size_t n, float clip) {
  for (std::size_t i = 0; i < n; ++i) gx[i] = (x[i] > 0 && x[i] <= clip) ? gy[i] : 0.0f;
}

void sum_and_squares_ref(const float* p, std::size_t n, double& sum, double& sum_sq) {
  sum = sum_sq = 0;
  for (std::size_t i = 0; i < n; ++i) sum += p[i], sum_sq += double(p[i]) * p[i];
}

void sum_and_dot_centered_ref(const float* g, const float* p, std::size_t n, float mean, double& sum_g, double& dot) {
  sum_g = dot = 0;
  for (std::size_t i = 0; i < n; ++i) sum_g += g[i], dot += double(g[i]) * (double(p[i]) - mean);
}

void bn_backward_plane_ref(const float* g, const float* p, float* o, std::size_t n, float mean, float a, float b,
                           float c) {
  for (std::size_t i = 0; i < n; ++i) o[i] = float(double(a) * g[i] - b - double(c) * (double(p[i]) - mean));
}

namespace {
// R(x) of quant.hpp written from its definition with frexp, independently of pow2_round's bit manipulation: the
// nearest ±2^e in the linear domain (a tie goes up), e ≤ base; below the window 2^min_exp when |x| ≥ 2^(min_exp−1),
// else 0 (with the zero code, a positive zero) or 2^min_exp.
float pow2_round_plain(float x, int base, int min_exp, bool zero_code) {
  const double a = std::fabs(double(x));
  const float sign = std::signbit(x) ? -1.0f : 1.0f;
  if (!(a >= std::ldexp(1.0, min_exp - 1))) return zero_code ? 0.0f : sign * std::ldexp(1.0f, min_exp);
  int e = base;
  if (std::isfinite(a)) {
    int ex = 0;
    const double m = std::frexp(a, &ex);  // a = m · 2^ex, m ∈ [0.5, 1)
    e = ex - 1 + (2 * m >= 1.5 ? 1 : 0);
  }
  e = std::clamp(e, min_exp, base);
  return sign * std::ldexp(1.0f, e);
}
}  // namespace

double pow2_two_terms_ref(const float* w, float* first, float* second, std::size_t n, int base, int min_exp,
                          bool zero_code) {
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    first[i] = pow2_round_plain(w[i], base, min_exp, zero_code);
    second[i] = pow2_round_plain(w[i] - first[i], base, min_exp, zero_code);
    ss += double(w[i] - first[i]) * (w[i] - first[i]);
  }
  return ss;
}

double dot_ref(const float* a, const float* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += double(a[i]) * b[i];
  return s;
}

}  // namespace flight::trainer

// ---------------- element-wise kernels (runtime-dispatched) ----------------

namespace flight::trainer {


FLIGHT_CLONES float relu_max(const float* x, float* y, std::size_t n) {
  float m[16] = {0};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      const float v = x[i + l] > 0.0f ? x[i + l] : 0.0f;
      if (y) y[i + l] = v;
      m[l] = m[l] > v ? m[l] : v;
    }
  for (; i < n; ++i) {
    const float v = x[i] > 0.0f ? x[i] : 0.0f;
    if (y) y[i] = v;
    m[0] = m[0] > v ? m[0] : v;
  }
  float r = 0;
  for (float v : m) r = r > v ? r : v;
  return r;
}

FLIGHT_CLONES void relu_quantize(const float* x, float* y, std::size_t n, float inv, float top, float scale) {
  const float cap = top + 1.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float r = x[i] > 0.0f ? x[i] : 0.0f;
    float v = r * inv;
    v = v < cap ? v : cap;
    v = (v + 12582912.0f) - 12582912.0f;  // round half to even (|v| < 2^22)
    v = v < 0.0f ? 0.0f : (v > top ? top : v);
    y[i] = v * scale;
  }
}

FLIGHT_CLONES void relu_backward(const float* x, const float* gy, float* gx, std::size_t n, float clip) {
  for (std::size_t i = 0; i < n; ++i) gx[i] = (x[i] > 0.0f && x[i] <= clip) ? gy[i] : 0.0f;
}

namespace {
// 16 partial sums as one vector (GCC/Clang vector extension): lane l adds elements i + l, the tail goes to lane 0,
// then the lanes are added in order — the same sums the arrays of 16 gave, but GCC vectorized the array form of
// sum_and_squares across iterations instead (3,300 instructions, 12× slower on 2,048 planes of 1,024).
using Lanes = float __attribute__((vector_size(64)));
// v ← p[0…15] (a macro-free load: a function returning a 64-byte vector would change the ABI of the default clone).
inline void load_lanes(Lanes& v, const float* p) { std::memcpy(&v, p, sizeof v); }
inline float add_lanes(const Lanes& v) {
  float s = 0;
  for (int l = 0; l < 16; ++l) s += v[l];
  return s;
}
}  // namespace

FLIGHT_CLONES void sum_and_squares(const float* p, std::size_t n, float& sum, float& sum_sq) {
  Lanes s = {}, s2 = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Lanes v;
    load_lanes(v, p + i);
    s += v;
    s2 += v * v;
  }
  for (; i < n; ++i) s[0] += p[i], s2[0] += p[i] * p[i];
  sum = add_lanes(s);
  sum_sq = add_lanes(s2);
}

FLIGHT_CLONES void sum_and_dot_centered(const float* g, const float* p, std::size_t n, float mean, float& sum_g,
                                        float& dot) {
  Lanes s = {}, d = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Lanes gi, pi;
    load_lanes(gi, g + i);
    load_lanes(pi, p + i);
    s += gi;
    d += gi * (pi - mean);
  }
  for (; i < n; ++i) s[0] += g[i], d[0] += g[i] * (p[i] - mean);
  sum_g = add_lanes(s);
  dot = add_lanes(d);
}

FLIGHT_CLONES void bn_backward_plane(const float* g, const float* p, float* o, std::size_t n, float mean, float a,
                                     float b, float c) {
  for (std::size_t i = 0; i < n; ++i) o[i] = a * g[i] - b - c * (p[i] - mean);
}

namespace {
inline void maxpool2x2_row(const float* r0, const float* r1, float* out, int* arg, int wo, int at, int w) {
  for (int j = 0; j < wo; ++j) {
    const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
    float m = a;
    int i = at + 2 * j;
    i = b > m ? at + 2 * j + 1 : i;
    m = b > m ? b : m;
    i = c > m ? at + w + 2 * j : i;
    m = c > m ? c : m;
    i = d > m ? at + w + 2 * j + 1 : i;
    m = d > m ? d : m;
    out[j] = m;
    arg[j] = i;
  }
}
}  // namespace

FLIGHT_CLONES void maxpool2x2(const float* in, float* out, int* arg, int planes, int h, int w) {
  const int ho = h / 2, wo = w / 2;
  for (int p = 0; p < planes; ++p) {
    const float* plane = in + std::size_t(p) * h * w;
    for (int oy = 0; oy < ho; ++oy) {
      const std::size_t o = (std::size_t(p) * ho + oy) * wo;
      maxpool2x2_row(plane + 2 * oy * w, plane + (2 * oy + 1) * w, out + o, arg + o, wo, 2 * oy * w, w);
    }
  }
}

float bn_value(float p, const BnRelu& f) { return f.gamma * (p - f.mean) * f.inv_std + f.beta; }

namespace {
// relu_quantize's value of one element (top = 0: max(x, 0)).
inline float relu_value(float x, const BnRelu& f) {
  const float r = x > 0.0f ? x : 0.0f;
  if (f.top == 0.0f) return r;
  float v = r * f.inv;
  const float cap = f.top + 1.0f;
  v = v < cap ? v : cap;
  v = (v + 12582912.0f) - 12582912.0f;  // round half to even (|v| < 2^22)
  v = v < 0.0f ? 0.0f : (v > f.top ? f.top : v);
  return v * f.scale;
}
inline float relu_pass(float g, float y, float clip) { return (y > 0.0f && y <= clip) ? g : 0.0f; }
}  // namespace

FLIGHT_CLONES void bn_plane(const float* p, float* y, std::size_t n, const BnRelu& f) {
  const BnRelu c = f;  // a local copy: the compiler need not reload it after each store
  for (std::size_t i = 0; i < n; ++i) y[i] = c.gamma * (p[i] - c.mean) * c.inv_std + c.beta;
}

FLIGHT_CLONES void bn_relu_plane(const float* p, float* z, std::size_t n, const BnRelu& f) {
  const BnRelu c = f;
  if (c.top == 0.0f) {
    for (std::size_t i = 0; i < n; ++i) {
      const float y = c.gamma * (p[i] - c.mean) * c.inv_std + c.beta;
      z[i] = y > 0.0f ? y : 0.0f;
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) z[i] = relu_value(c.gamma * (p[i] - c.mean) * c.inv_std + c.beta, c);
}

FLIGHT_CLONES void sum_squares_min_max(const float* p, std::size_t n, float& sum, float& sum_sq, float& lo,
                                       float& hi) {
  float s[16] = {0}, s2[16] = {0}, mn[16], mx[16];
  for (int l = 0; l < 16; ++l) mn[l] = mx[l] = p[0];
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      const float v = p[i + l];
      s[l] += v;
      s2[l] += v * v;
      mn[l] = mn[l] < v ? mn[l] : v;
      mx[l] = mx[l] > v ? mx[l] : v;
    }
  for (; i < n; ++i) {
    const float v = p[i];
    s[0] += v, s2[0] += v * v;
    mn[0] = mn[0] < v ? mn[0] : v;
    mx[0] = mx[0] > v ? mx[0] : v;
  }
  sum = sum_sq = 0;
  lo = hi = p[0];
  for (int l = 0; l < 16; ++l) {
    sum += s[l], sum_sq += s2[l];
    lo = lo < mn[l] ? lo : mn[l];
    hi = hi > mx[l] ? hi : mx[l];
  }
}

FLIGHT_CLONES void sum_and_dot_centered_relu(const float* g, const float* p, std::size_t n, const BnRelu& f,
                                             float& sum_g, float& dot) {
  const BnRelu c = f;
  float s[16] = {0}, d[16] = {0};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      const float x = p[i + l];
      const float gi = relu_pass(g[i + l], c.gamma * (x - c.mean) * c.inv_std + c.beta, c.clip);
      s[l] += gi;
      d[l] += gi * (x - c.mean);
    }
  for (; i < n; ++i) {
    const float gi = relu_pass(g[i], c.gamma * (p[i] - c.mean) * c.inv_std + c.beta, c.clip);
    s[0] += gi, d[0] += gi * (p[i] - c.mean);
  }
  sum_g = dot = 0;
  for (int l = 0; l < 16; ++l) sum_g += s[l], dot += d[l];
}

FLIGHT_CLONES void bn_relu_backward_plane(const float* g, const float* p, float* o, std::size_t n, const BnRelu& f,
                                          float a, float b, float c) {
  const BnRelu k = f;
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = relu_pass(g[i], k.gamma * (p[i] - k.mean) * k.inv_std + k.beta, k.clip);
    o[i] = a * gi - b - c * (p[i] - k.mean);
  }
}

namespace {
// pow2_round (quant.cpp) without branches, so that the loops below vectorize: the exponent and the top mantissa bit
// from the IEEE-754 bits, clamped to the window, the zero code below its bottom.
inline float pow2_round_select(float x, int base, int lo, bool zero_code) {
  std::uint32_t bits;
  std::memcpy(&bits, &x, 4);
  const std::uint32_t sign = bits & 0x80000000u, mag = bits & 0x7fffffffu;
  const int biased = int(mag >> 23);
  int e = biased - 127 + int((mag >> 22) & 1u);
  e = biased == 0 ? -100000 : e;  // zero or denormal: below any window
  e = e > base ? base : e;
  const bool below = e < lo;
  const bool zero = below && zero_code && (biased == 0 || biased - 127 < lo - 1);
  e = below ? lo : e;
  const std::uint32_t out = zero ? 0u : (sign | (std::uint32_t(e + 127) << 23));
  float r;
  std::memcpy(&r, &out, 4);
  return r;
}
}  // namespace

FLIGHT_CLONES float pow2_two_terms(const float* w, float* first, float* second, std::size_t n, int base, int min_exp,
                                   bool zero_code) {
  float s[16] = {0};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      const float r1 = pow2_round_select(w[i + l], base, min_exp, zero_code), res = w[i + l] - r1;
      first[i + l] = r1;
      second[i + l] = pow2_round_select(res, base, min_exp, zero_code);
      s[l] += res * res;
    }
  for (; i < n; ++i) {
    const float r1 = pow2_round_select(w[i], base, min_exp, zero_code), res = w[i] - r1;
    first[i] = r1;
    second[i] = pow2_round_select(res, base, min_exp, zero_code);
    s[0] += res * res;
  }
  float sum = 0;
  for (float v : s) sum += v;
  return sum;
}

FLIGHT_CLONES float dot(const float* a, const float* b, std::size_t n) {
  Lanes s = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Lanes ai, bi;
    load_lanes(ai, a + i);
    load_lanes(bi, b + i);
    s += ai * bi;
  }
  for (; i < n; ++i) s[0] += a[i] * b[i];
  return add_lanes(s);
}

// ---------------- the channel-blocked layout: 16 channels per pixel, one per lane ----------------

namespace {
using Mask = int __attribute__((vector_size(64)));  // per-lane integers (compare results, indices)
#define FLIGHT_INLINE inline __attribute__((always_inline))
FLIGHT_INLINE void store_lanes(float* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }
FLIGHT_INLINE void broadcast(Lanes& v, float x) {
  for (int l = 0; l < 16; ++l) v[l] = x;
}
// The per-lane constants of a BnRelu16 as vectors (loaded once per block).
struct BnLanes {
  Lanes mean, gamma, inv_std, beta, inv, cap, top, scale, clip, zero;
  bool quantize;
  explicit FLIGHT_INLINE BnLanes(const BnRelu16& f) : zero{} {
    load_lanes(mean, f.mean);
    load_lanes(gamma, f.gamma);
    load_lanes(inv_std, f.inv_std);
    load_lanes(beta, f.beta);
    broadcast(inv, f.inv);
    broadcast(cap, f.top + 1.0f);
    broadcast(top, f.top);
    broadcast(scale, f.scale);
    broadcast(clip, f.clip);
    quantize = f.top != 0.0f;
  }
  // bn_value, lane by lane (the same operations in the same order).
  FLIGHT_INLINE void bn(Lanes& y, const Lanes& p) const { y = gamma * (p - mean) * inv_std + beta; }
  // relu_value (relu_quantize's element) of y, in place.
  FLIGHT_INLINE void relu(Lanes& y) const {
    y = y > zero ? y : zero;
    if (!quantize) return;
    Lanes v = y * inv;
    v = v < cap ? v : cap;
    Lanes magic;
    broadcast(magic, 12582912.0f);
    v = (v + magic) - magic;  // round half to even (|v| < 2^22)
    v = v < zero ? zero : (v > top ? top : v);
    y = v * scale;
  }
  // g where 0 < y ≤ clip, else 0 (relu_pass).
  FLIGHT_INLINE void pass(Lanes& g, const Lanes& y) const {
    // As u = y (y ≤ clip) or 0, then g where u > 0: GCC 12 turned two selects on g into one on the & of two masks
    // and then compared lane by lane in scalar code (6× slower).
    const Lanes u = y <= clip ? y : zero;
    g = u > zero ? g : zero;
  }
};
// Four partial sums per lane (pixels i ≡ 0, 1, 2, 3 mod 4), unrolled by hand: indexing an array of vectors by i % 4
// kept them in memory.  at(s, d, i) adds pixel i into the pair (s, d); the four pairs end summed in (s0, d0).
template <class At>
FLIGHT_INLINE void four_way_sums(std::size_t pixels, Lanes& s0, Lanes& d0, const At& at) {
  Lanes s1 = {}, s2 = {}, s3 = {}, d1 = {}, d2 = {}, d3 = {};
  std::size_t i = 0;
  for (; i + 4 <= pixels; i += 4) at(s0, d0, i), at(s1, d1, i + 1), at(s2, d2, i + 2), at(s3, d3, i + 3);
  if (i < pixels) at(s0, d0, i++);
  if (i < pixels) at(s1, d1, i++);
  if (i < pixels) at(s2, d2, i++);
  s0 = (s0 + s1) + (s2 + s3);
  d0 = (d0 + d1) + (d2 + d3);
}
}  // namespace

FLIGHT_CLONES void block_sums(const float* p, std::size_t pixels, double* sum, double* sum_sq, float* lo, float* hi) {
  Lanes t = {}, t2 = {}, mn = {}, mx = {};
  const bool extremes = lo != nullptr;
  if (extremes) load_lanes(mn, lo), load_lanes(mx, hi);
  const auto at = [&](Lanes& s, Lanes& q, std::size_t i) {
    Lanes v;
    load_lanes(v, p + 16 * i);
    s += v;
    q += v * v;
    if (extremes) {
      mn = mn < v ? mn : v;
      mx = mx > v ? mx : v;
    }
  };
  four_way_sums(pixels, t, t2, at);
  for (int l = 0; l < 16; ++l) sum[l] += t[l], sum_sq[l] += t2[l];
  if (extremes) store_lanes(lo, mn), store_lanes(hi, mx);
}

FLIGHT_CLONES void block_bn(const float* p, float* z, std::size_t pixels, const BnRelu16& f, BnOut out) {
  const BnLanes c(f);
  for (std::size_t i = 0; i < pixels; ++i) {
    Lanes v, y;
    load_lanes(v, p + 16 * i);
    c.bn(y, v);
    if (out == BnOut::bn_relu) c.relu(y);
    store_lanes(z + 16 * i, y);
  }
}

FLIGHT_CLONES void block_bn_sums(const float* g, const float* p, std::size_t pixels, const BnRelu16& f, BnOut out,
                                 double* sum_g, double* dot) {
  const BnLanes c(f);
  Lanes t = {}, u = {};
  const auto at = [&](Lanes& s, Lanes& d, std::size_t i) {
    Lanes gi, v;
    load_lanes(gi, g + 16 * i);
    load_lanes(v, p + 16 * i);
    if (out == BnOut::bn_relu) {
      Lanes y;
      c.bn(y, v);
      c.pass(gi, y);
    }
    s += gi;
    d += gi * (v - c.mean);
  };
  four_way_sums(pixels, t, u, at);
  for (int l = 0; l < 16; ++l) sum_g[l] += t[l], dot[l] += u[l];
}

FLIGHT_CLONES void block_bn_backward(const float* g, const float* p, float* o, std::size_t pixels, const BnRelu16& f,
                                     BnOut out, const float* a, const float* b, const float* c) {
  const BnLanes k(f);
  Lanes va, vb, vc;
  load_lanes(va, a);
  load_lanes(vb, b);
  load_lanes(vc, c);
  for (std::size_t i = 0; i < pixels; ++i) {
    Lanes gi, v;
    load_lanes(gi, g + 16 * i);
    load_lanes(v, p + 16 * i);
    if (out == BnOut::bn_relu) {
      Lanes y;
      k.bn(y, v);
      k.pass(gi, y);
    }
    store_lanes(o + 16 * i, va * gi - vb - vc * (v - k.mean));
  }
}

FLIGHT_CLONES void block_maxpool(const float* in, float* out, int* arg, int h, int w, int k, int stride, int ho,
                                 int wo) {
  (void)h;
  if (k == 2 && stride == 2) {  // the shipped networks' pooling: the four loads unrolled
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        const int i0 = 2 * oy * w + 2 * ox;
        const int at[4] = {i0, i0 + 1, i0 + w, i0 + w + 1};
        Lanes best;
        load_lanes(best, in + 16 * std::size_t(i0));
        Mask where = Mask{} + i0;
        for (int j = 1; j < 4; ++j) {
          Lanes v;
          load_lanes(v, in + 16 * std::size_t(at[j]));
          const Mask m = v > best;  // strict: the first maximum in row-major window order wins a tie
          best = m ? v : best;
          where = m ? (Mask{} + at[j]) : where;
        }
        const std::size_t o = std::size_t(oy) * wo + ox;
        store_lanes(out + 16 * o, best);
        std::memcpy(arg + 16 * o, &where, sizeof where);
      }
    return;
  }
  for (int oy = 0; oy < ho; ++oy)
    for (int ox = 0; ox < wo; ++ox) {
      const int first = oy * stride * w + ox * stride;
      Lanes best;
      load_lanes(best, in + 16 * std::size_t(first));
      Mask at = Mask{} + first;
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          const int i = first + ky * w + kx;
          if (i == first) continue;
          Lanes v;
          load_lanes(v, in + 16 * std::size_t(i));
          const Mask m = v > best;  // strict: the first maximum in row-major window order wins a tie
          best = m ? v : best;
          at = m ? (Mask{} + i) : at;
        }
      const std::size_t o = std::size_t(oy) * wo + ox;
      store_lanes(out + 16 * o, best);
      std::memcpy(arg + 16 * o, &at, sizeof at);
    }
}

FLIGHT_CLONES void block_maxpool2x2_backward(const float* gy, const int* arg, float* gx, int h, int w, int ho, int wo) {
  const Lanes zero = {};
  for (int oy = 0; oy < ho; ++oy)
    for (int ox = 0; ox < wo; ++ox) {
      const std::size_t o = std::size_t(oy) * wo + ox;
      Lanes g;
      Mask where;
      load_lanes(g, gy + 16 * o);
      std::memcpy(&where, arg + 16 * o, sizeof where);
      const int i0 = 2 * oy * w + 2 * ox;
      const int at[4] = {i0, i0 + 1, i0 + w, i0 + w + 1};
      for (int j = 0; j < 4; ++j) {
        const Lanes v = where == (Mask{} + at[j]) ? g : zero;
        store_lanes(gx + 16 * std::size_t(at[j]), v);
      }
    }
  // An odd last row or column belongs to no window.
  for (int y = 0; y < h; ++y)
    for (int x = (y < 2 * ho ? 2 * wo : 0); x < w; ++x) store_lanes(gx + 16 * (std::size_t(y) * w + x), zero);
}

}  // namespace flight::trainer
