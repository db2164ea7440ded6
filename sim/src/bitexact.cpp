#include "flight/sim/bitexact.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "flight/core/clones.hpp"
#include "flight/core/error.hpp"

namespace flight::sim {
namespace {
// acc · mult needs up to 64 + kRequantMultBits bits (GCC and Clang both have a 128-bit integer).
__extension__ typedef __int128 Int128;
}  // namespace

// acc[p] += w · col[p] for n values with the product in 32 bits: the caller checked |w| · max|col| < 2^31, so every
// product is exact and the sums are those of the 64-bit loop.  Vectorizes (32-bit multiply, widen, 64-bit add),
// where the 64-bit multiply of the general loop did not (with dot32: vgg-l, 100 images, 9.6 → 3.5 s).
namespace detail {
FLIGHT_CLONES void mac_row32(std::int64_t* __restrict acc, const std::int32_t* __restrict col, std::int32_t w, int n) {
  for (int p = 0; p < n; ++p) acc[p] += std::int64_t(w * col[p]);
}
// Σ w[j] · x[j] over n values, the products in 32 bits (same bound); an fc layer's filter (a plane of one pixel).
FLIGHT_CLONES std::int64_t dot32(const std::int32_t* __restrict w, const std::int32_t* __restrict x, int n) {
  std::int64_t s = 0;
  for (int j = 0; j < n; ++j) s += std::int64_t(w[j] * x[j]);
  return s;
}
}  // namespace detail

int LayerStats::acc_bits() const {
  int b = 1;
  while ((std::int64_t(1) << (b - 1)) <= max_abs_acc) ++b;
  return b;
}

Requant fold_requant(const IntLayer& L, double input_scale) {
  Requant r;
  const std::size_t n = std::size_t(L.c_out);
  FLIGHT_CHECK(L.affine_scale.size() == n && L.affine_shift.size() == n && L.bias.size() == n, "output stage sizes");
  const double out_scale = L.relu ? L.out_scale : 1.0;
  FLIGHT_CHECK(out_scale > 0 && input_scale > 0 && L.weight_quantum > 0, "positive scales");
  std::vector<double> m(n), b(n);
  double max_m = 0, max_b = 0;
  for (std::size_t f = 0; f < n; ++f) {
    m[f] = L.affine_scale[f] * L.weight_quantum * input_scale / out_scale;
    b[f] = (L.affine_scale[f] * L.bias[f] + L.affine_shift[f]) / out_scale;
    FLIGHT_CHECK(std::isfinite(m[f]) && std::isfinite(b[f]), "finite output stage");
    max_m = std::max(max_m, std::fabs(m[f]));
    max_b = std::max(max_b, std::fabs(b[f]));
  }
  // Largest frac_bits with |mult| < 2^(kRequantMultBits−1) and |offset| < 2^(kRequantOffsetBits−1) after rounding
  // (the offset with its rounding half): start from the bound of the unrounded values, lower it while a rounded
  // value does not fit.  frac_bits = 0 with values too large for those widths is left to the engine generator to
  // refuse; the integer inference itself stays exact.
  int frac = kRequantOffsetBits - 2;
  if (max_m > 0) frac = std::min(frac, kRequantMultBits - 2 - int(std::floor(std::log2(max_m))));
  if (max_b > 0) frac = std::min(frac, kRequantOffsetBits - 3 - int(std::floor(std::log2(max_b))));
  frac = std::max(frac, 0);
  if (max_m >= 0x1p61 || max_b >= 0x1p60) {
    throw InputError("integer network: an output stage's scale or offset (" + std::to_string(std::max(max_m, max_b)) +
                     " output steps) is beyond 64-bit fixed point (a diverged batch norm?)");
  }
  const std::int64_t mlim = std::int64_t(1) << (kRequantMultBits - 1), olim = std::int64_t(1) << (kRequantOffsetBits - 1);
  for (;; --frac) {
    const std::int64_t half = L.relu && frac > 0 ? std::int64_t(1) << (frac - 1) : 0;  // rounding, folded in
    r.mult.assign(n, 0);
    r.offset.assign(n, 0);
    bool fits = true;
    for (std::size_t f = 0; f < n; ++f) {
      r.mult[f] = std::llround(std::ldexp(m[f], frac));
      r.offset[f] = std::llround(std::ldexp(b[f], frac)) + half;
      fits = fits && r.mult[f] < mlim && r.mult[f] >= -mlim && r.offset[f] < olim && r.offset[f] >= -olim;
    }
    if (fits || frac == 0) break;
  }
  r.frac_bits = frac;
  return r;
}

IntInference::IntInference(IntNetwork net) : net_(std::move(net)) {
  double scale = net_.in_scale;
  for (const auto& L : net_.layers) {
    std::vector<std::int32_t> comb;
    Requant rq;
    if (L.kind == IntLayer::Kind::conv || L.kind == IntLayer::Kind::fc) {
      const int k = L.kind == IntLayer::Kind::fc ? 1 : L.kernel;
      const std::size_t fan_in = std::size_t(L.c_in) * k * k;
      if (!L.pow2) {
        FLIGHT_CHECK(L.w_int.size() == fan_in * L.c_out, "fixed weights");
        comb = L.w_int;
      } else {
        comb.assign(fan_in * L.c_out, 0);
        for (int f = 0; f < L.c_out; ++f) {
          const int kf = L.filter_k[f];
          FLIGHT_CHECK(L.term_shift[f].size() == fan_in * kf, "power-of-two terms");
          for (std::size_t j = 0; j < fan_in; ++j)
            for (int t = 0; t < kf; ++t) {
              const int sh = L.term_shift[f][j * kf + t];
              if (sh < 0) continue;
              FLIGHT_CHECK(sh < 30, "term shift fits 32 bits");
              comb[f * fan_in + j] += (L.term_sign[f][j * kf + t] ? -1 : 1) * (std::int32_t(1) << sh);
            }
        }
      }
      rq = fold_requant(L, scale);
      if (L.relu) scale = L.out_scale;
    }
    std::int64_t max_w = 0;
    for (std::int32_t v : comb) max_w = std::max<std::int64_t>(max_w, std::llabs(v));
    max_abs_weight_.push_back(max_w);
    combined_.push_back(std::move(comb));
    requant_.push_back(std::move(rq));
  }
}

IntResult IntInference::run(const std::uint8_t* image, std::vector<LayerStats>* stats) const {
  int c = net_.in_c, h = net_.in_h, w = net_.in_w;
  std::vector<std::int32_t> act(image, image + std::size_t(c) * h * w);
  const std::int32_t amax = (1 << net_.a_bits) - 1;
  IntResult result;
  if (stats) stats->resize(net_.layers.size());
  std::size_t li = 0;
  for (const auto& L : net_.layers) {
    LayerStats* st = stats ? &(*stats)[li] : nullptr;
    ++li;
    if (L.kind == IntLayer::Kind::flatten) {
      c = c * h * w, h = 1, w = 1;
      continue;
    }
    if (L.kind == IntLayer::Kind::maxpool) {
      const int ho = (h - L.pool_kernel) / L.pool_stride + 1, wo = (w - L.pool_kernel) / L.pool_stride + 1;
      std::vector<std::int32_t> out(std::size_t(c) * ho * wo);
      for (int ch = 0; ch < c; ++ch)
        for (int oy = 0; oy < ho; ++oy)
          for (int ox = 0; ox < wo; ++ox) {
            std::int32_t m = act[(std::size_t(ch) * h + oy * L.pool_stride) * w + ox * L.pool_stride];
            for (int ky = 0; ky < L.pool_kernel; ++ky)
              for (int kx = 0; kx < L.pool_kernel; ++kx)
                m = std::max(m, act[(std::size_t(ch) * h + oy * L.pool_stride + ky) * w + ox * L.pool_stride + kx]);
            out[(std::size_t(ch) * ho + oy) * wo + ox] = m;
          }
      act.swap(out);
      h = ho, w = wo;
      continue;
    }
    // conv or fc (fc: a 1×1 "image" of c·h·w channels)
    const bool fc = L.kind == IntLayer::Kind::fc;
    const int cin = fc ? c * h * w : c;
    FLIGHT_CHECK(cin == L.c_in, "integer layer input channels");
    const int k = fc ? 1 : L.kernel, stride = fc ? 1 : L.stride, pad = fc ? 0 : L.pad;
    const int hi = fc ? 1 : h, wi = fc ? 1 : w;
    const int ho = (hi + 2 * pad - k) / stride + 1, wo = (wi + 2 * pad - k) / stride + 1;
    const int fan_in = cin * k * k;
    const int plane = ho * wo;
    // im2col of the integer activations: cols (fan_in × plane), zero padding.
    std::vector<std::int32_t> cols(std::size_t(fan_in) * plane, 0);
    for (int ch = 0; ch < cin; ++ch)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          std::int32_t* row = cols.data() + std::size_t((ch * k + ky) * k + kx) * plane;
          for (int oy = 0; oy < ho; ++oy) {
            const int iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= hi) continue;
            for (int ox = 0; ox < wo; ++ox) {
              const int ix = ox * stride - pad + kx;
              if (ix >= 0 && ix < wi) row[oy * wo + ox] = act[(std::size_t(ch) * hi + iy) * wi + ix];
            }
          }
        }
    const auto& comb = combined_[li - 1];
    const auto& rq = requant_[li - 1];
    if (st) st->compute = true;
    std::vector<std::int32_t> out(std::size_t(L.c_out) * plane);
    std::vector<std::int64_t> raw(L.relu ? 0 : out.size());
    std::vector<std::int64_t> acc(plane);
    // The activations are the image's bytes or A-bit codes: a 32-bit product is exact below 2^31.
    const std::int64_t max_act = std::max<std::int64_t>(255, amax);
    const bool narrow = max_abs_weight_[li - 1] * max_act < (std::int64_t(1) << 31);
    for (int f = 0; f < L.c_out; ++f) {
      std::fill(acc.begin(), acc.end(), 0);
      const std::int32_t* wf = comb.data() + std::size_t(f) * fan_in;
      if (narrow && plane == 1) {
        acc[0] = detail::dot32(wf, cols.data(), fan_in);
      } else {
        for (int j = 0; j < fan_in; ++j) {
        const std::int64_t wj = wf[j];
        if (wj == 0) continue;
        const std::int32_t* col = cols.data() + std::size_t(j) * plane;
          if (narrow) {
            detail::mac_row32(acc.data(), col, wf[j], plane);
            continue;
          }
          for (int p = 0; p < plane; ++p) acc[p] += wj * col[p];
        }
      }
      for (int p = 0; p < plane; ++p) {
        if (st) st->max_abs_acc = std::max<std::int64_t>(st->max_abs_acc, std::llabs(acc[p]));
        std::int64_t sum = acc[p];
        if (net_.acc_bits > 0 && net_.acc_bits < 64) {  // wrap to acc_bits, two's complement
          const std::uint64_t mask = (std::uint64_t(1) << net_.acc_bits) - 1;
          std::uint64_t u = std::uint64_t(sum) & mask;
          if (u >> (net_.acc_bits - 1)) u |= ~mask;
          const auto wrapped = std::int64_t(u);
          if (st && wrapped != sum) ++st->overflows;
          sum = wrapped;
        }
        const Int128 v = Int128(sum) * rq.mult[f] + rq.offset[f];
        const std::size_t o = std::size_t(f) * plane + p;
        if (L.relu) {
          const Int128 q = v >> rq.frac_bits;  // floor; the offset holds the rounding half
          out[o] = std::int32_t(q < 0 ? 0 : q > amax ? amax : q);
        } else {
          FLIGHT_CHECK(v >= INT64_MIN && v <= INT64_MAX, "classifier output fits 64 bits");
          raw[o] = std::int64_t(v);
        }
      }
    }
    if (!L.relu) {
      result.raw_logits = raw;
      result.logits.resize(raw.size());
      for (std::size_t i = 0; i < raw.size(); ++i) result.logits[i] = std::ldexp(double(raw[i]), -rq.frac_bits);
      result.predicted = int(std::max_element(raw.begin(), raw.end()) - raw.begin());
      return result;
    }
    act.swap(out);
    c = L.c_out, h = ho, w = wo;
  }
  throw InternalError("integer network ends without a classifier layer");
}

}  // namespace flight::sim
