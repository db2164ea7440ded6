#include "conv_engine.hpp"


#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "flight/core/error.hpp"

// The two OpenMP runtime calls we make (standard C API, linked from GNU libgomp, the runtime Debian's oneDNN uses).
// Declared here rather than through <omp.h>: clang without LLVM's libomp-dev has no omp.h, and we need no other part
// of OpenMP.
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}

namespace flight::trainer {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// oneDNN runs on the calling thread only: its OpenMP regions get a team of one (see conv_engine.hpp).
void one_thread_here() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

const dnnl::engine& cpu() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

// A tensor as the caller holds it (plain layout, pointer given per call) and as a primitive wants it (the layout
// oneDNN chose); when the two differ, a buffer of the inner layout and the reorder between them.
struct Port {
  memory user, inner;
  dnnl::reorder reorder;  // user → inner for inputs, inner → user for outputs
  bool same = true;
  std::size_t scratch_bytes = 0;  // the reorder's scratchpad

  Port() = default;
  Port(const memory::desc& user_md, const memory::desc& inner_md, bool is_input)
      : user(user_md, cpu(), DNNL_MEMORY_NONE), same(user_md == inner_md) {
    inner = same ? user : memory(inner_md, cpu());
    if (!same) {
      const auto pd = is_input ? dnnl::reorder::primitive_desc(cpu(), user_md, cpu(), inner_md, user_scratchpad())
                               : dnnl::reorder::primitive_desc(cpu(), inner_md, cpu(), user_md, user_scratchpad());
      reorder = dnnl::reorder(pd);
      scratch_bytes = pd.scratchpad_desc().get_size();
    }
  }
  // Inputs: point at the caller's data and bring it into the inner layout.
  const memory& in(const float* p, dnnl::stream& s, const memory& scratch) {
    user.set_data_handle(const_cast<float*>(p));
    if (!same) reorder.execute(s, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, inner}, {DNNL_ARG_SCRATCHPAD, scratch}});
    return inner;
  }
  // Outputs: where the primitive writes (the caller's buffer when the layouts agree).
  const memory& out(float* p) {
    user.set_data_handle(p);
    return inner;
  }
  void finish(dnnl::stream& s, const memory& scratch) {
    if (!same) reorder.execute(s, {{DNNL_ARG_FROM, inner}, {DNNL_ARG_TO, user}, {DNNL_ARG_SCRATCHPAD, scratch}});
  }
};

}  // namespace

struct ConvEngine::Impl {
  dnnl::stream stream{cpu()};
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_weights;
  // forward: x, w → y.  backward weights: x, gy → gw.  backward data: gy, w → gx.
  Port f_x, f_w, f_y, bw_x, bw_gy, bw_gw, bd_gy, bd_w, bd_gx;
  memory scratch;
  // The input of the last forward pass: a backward pass on the same input whose weight-gradient primitive wants
  // the forward's layout reads the forward's reordered copy instead of reordering again.
  const float* forward_x = nullptr;
  bool backward_reads_forward_x = false;
};

namespace {

// The three primitive descriptors of one shape.  bf16: the operands each pass reads (x, w; gy) in bf16, what it
// writes (y; gx; gw) in fp32.  Throws dnnl::error when oneDNN has no implementation.
struct Descs {
  dnnl::convolution_forward::primitive_desc fwd;
  dnnl::convolution_backward_data::primitive_desc bwd_data;
  dnnl::convolution_backward_weights::primitive_desc bwd_weights;
};

Descs make_descs(const ConvShape& s, bool bf16) {
  const memory::dims x_dims{s.n, s.c_in, s.h, s.w}, w_dims{s.c_out, s.c_in, s.k, s.k},
      y_dims{s.n, s.c_out, s.ho(), s.wo()}, strides{s.stride, s.stride}, pads{s.pad, s.pad};
  const dt in = bf16 ? dt::bf16 : dt::f32;
  const memory::desc x_in(x_dims, in, tag::any), w_in(w_dims, in, tag::any), y_in(y_dims, in, tag::any),
      x_out(x_dims, dt::f32, tag::any), w_out(w_dims, dt::f32, tag::any), y_out(y_dims, dt::f32, tag::any);
  const auto attr = user_scratchpad();
  Descs d;
  d.fwd = {{dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, x_in, w_in, y_out, strides, pads,
            pads},
           attr, cpu()};
  d.bwd_data = {{dnnl::algorithm::convolution_direct, x_out, w_in, y_in, strides, pads, pads}, attr, cpu(), d.fwd};
  d.bwd_weights = {{dnnl::algorithm::convolution_direct, x_in, w_out, y_in, strides, pads, pads}, attr, cpu(),
                   d.fwd};
  return d;
}

// A bf16 engine only where every pass has a native kernel: oneDNN's reference ("ref") implementations would run,
// but far slower than fp32.
bool native(const Descs& d) {
  for (const std::string& impl : {std::string(d.fwd.impl_info_str()), std::string(d.bwd_data.impl_info_str()),
                                  std::string(d.bwd_weights.impl_info_str())})
    if (impl.find("ref") != std::string::npos) return false;
  return true;
}

// Whether oneDNN's instruction set here includes `feature` (oneDNN's ISA values are sets of feature bits: each
// includes the ones it extends, e.g. avx512_core_bf16 ⊃ avx512_core, while avx2_vnni does not include avx512_core).
bool isa_has(dnnl::cpu_isa feature) {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa()), want = static_cast<unsigned>(feature);
  return (isa & want) == want;
}

struct Bf16Probe {
  std::string unavailable, implementation;
};

const Bf16Probe& bf16_probe() {
  static const Bf16Probe probe = [] {
    Bf16Probe p;
    one_thread_here();
    try {
      const Descs d = make_descs(ConvShape{4, 16, 8, 8, 16, 3, 1, 1}, true);
      p.implementation = d.fwd.impl_info_str();
      if (!isa_has(dnnl::cpu_isa::avx512_core_bf16)) {
        p.unavailable = "oneDNN would only emulate bf16 here (" + p.implementation + ")";
      } else if (!native(d)) {
        p.unavailable = "oneDNN has only reference bf16 convolutions for this CPU (" + p.implementation + " / " +
                        d.bwd_data.impl_info_str() + " / " + d.bwd_weights.impl_info_str() + ")";
      }
    } catch (const dnnl::error&) {
      p.unavailable = "oneDNN has no bf16 convolution here";
    }
    if (!p.unavailable.empty()) {
      p.unavailable += "; native bf16 needs AVX512_BF16 (oneDNN's best instruction set here: ";
      switch (dnnl::get_effective_cpu_isa()) {
        case dnnl::cpu_isa::avx2: p.unavailable += "avx2"; break;
        case dnnl::cpu_isa::avx512_core: p.unavailable += "avx512_core"; break;
        case dnnl::cpu_isa::avx512_core_vnni: p.unavailable += "avx512_core_vnni"; break;
        default: p.unavailable += "another"; break;
      }
      p.unavailable += ")";
    }
    return p;
  }();
  return probe;
}

}  // namespace

bool onednn_has_avx512() {
  static const bool yes = isa_has(dnnl::cpu_isa::avx512_core);
  return yes;
}

void onednn_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc) {
  one_thread_here();
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                                      c, ldc);
  FLIGHT_CHECK(st == dnnl_success, "dnnl_sgemm");
}

const std::string& bf16_unavailable_reason() { return bf16_probe().unavailable; }
const std::string& bf16_implementation() { return bf16_probe().implementation; }

ConvEngine::ConvEngine(const ConvShape& s, bool bf16) : shape_(s), impl_(std::make_unique<Impl>()) {
  FLIGHT_CHECK(s.n > 0 && s.c_in > 0 && s.c_out > 0 && s.k > 0 && s.stride > 0 && s.pad >= 0 && s.ho() > 0 &&
                   s.wo() > 0 && (!s.blocked_in || s.c_in % 16 == 0) && (!s.blocked_out || s.c_out % 16 == 0),
               "convolution shape");
  one_thread_here();
  Impl& m = *impl_;
  const memory::dims x_dims{s.n, s.c_in, s.h, s.w}, w_dims{s.c_out, s.c_in, s.k, s.k},
      y_dims{s.n, s.c_out, s.ho(), s.wo()};
  const memory::desc x_user(x_dims, dt::f32, s.blocked_in ? tag::nChw16c : tag::nchw),
      w_user(w_dims, dt::f32, tag::oihw), y_user(y_dims, dt::f32, s.blocked_out ? tag::nChw16c : tag::nchw);
  Descs d;
  bf16_ = false;
  if (bf16 && bf16_unavailable_reason().empty()) {
    try {
      d = make_descs(s, true);
      bf16_ = native(d);
    } catch (const dnnl::error&) {
    }
  }
  if (!bf16_) d = make_descs(s, false);
  m.fwd_pd = d.fwd;
  m.bwd_data_pd = d.bwd_data;
  m.bwd_weights_pd = d.bwd_weights;
  m.fwd = dnnl::convolution_forward(m.fwd_pd);
  m.bwd_data = dnnl::convolution_backward_data(m.bwd_data_pd);
  m.bwd_weights = dnnl::convolution_backward_weights(m.bwd_weights_pd);

  m.f_x = Port(x_user, m.fwd_pd.src_desc(), true);
  m.f_w = Port(w_user, m.fwd_pd.weights_desc(), true);
  m.f_y = Port(y_user, m.fwd_pd.dst_desc(), false);
  m.bw_x = Port(x_user, m.bwd_weights_pd.src_desc(), true);
  m.backward_reads_forward_x = !m.f_x.same && m.bwd_weights_pd.src_desc() == m.fwd_pd.src_desc();
  m.bw_gy = Port(y_user, m.bwd_weights_pd.diff_dst_desc(), true);
  m.bw_gw = Port(w_user, m.bwd_weights_pd.diff_weights_desc(), false);
  if (!(m.bwd_data_pd.diff_dst_desc() == m.bwd_weights_pd.diff_dst_desc()))
    m.bd_gy = Port(y_user, m.bwd_data_pd.diff_dst_desc(), true);
  m.bd_w = Port(w_user, m.bwd_data_pd.weights_desc(), true);
  m.bd_gx = Port(x_user, m.bwd_data_pd.diff_src_desc(), false);

  std::size_t bytes = std::max({m.fwd_pd.scratchpad_desc().get_size(), m.bwd_data_pd.scratchpad_desc().get_size(),
                                m.bwd_weights_pd.scratchpad_desc().get_size()});
  for (const Port* p : {&m.f_x, &m.f_w, &m.f_y, &m.bw_x, &m.bw_gy, &m.bw_gw, &m.bd_gy, &m.bd_w, &m.bd_gx})
    bytes = std::max(bytes, p->scratch_bytes);
  m.scratch = memory(memory::desc({memory::dim(std::max<std::size_t>(bytes, 1))}, dt::u8, tag::x), cpu());
}

ConvEngine::~ConvEngine() = default;

void ConvEngine::forward(const float* x, const float* w, float* y) {
  one_thread_here();
  Impl& m = *impl_;
  m.forward_x = x;
  m.fwd.execute(m.stream, {{DNNL_ARG_SRC, m.f_x.in(x, m.stream, m.scratch)},
                           {DNNL_ARG_WEIGHTS, m.f_w.in(w, m.stream, m.scratch)},
                           {DNNL_ARG_DST, m.f_y.out(y)},
                           {DNNL_ARG_SCRATCHPAD, m.scratch}});
  m.f_y.finish(m.stream, m.scratch);
  m.stream.wait();
}

void ConvEngine::backward(const float* x, const float* w, const float* gy, float* gw, float* gx) {
  one_thread_here();
  Impl& m = *impl_;
  const memory& gy_w = m.bw_gy.in(gy, m.stream, m.scratch);
  const bool reuse_x = m.backward_reads_forward_x && x == m.forward_x;
  m.bwd_weights.execute(m.stream, {{DNNL_ARG_SRC, reuse_x ? m.f_x.inner : m.bw_x.in(x, m.stream, m.scratch)},
                                   {DNNL_ARG_DIFF_DST, gy_w},
                                   {DNNL_ARG_DIFF_WEIGHTS, m.bw_gw.out(gw)},
                                   {DNNL_ARG_SCRATCHPAD, m.scratch}});
  m.bw_gw.finish(m.stream, m.scratch);
  if (gx) {
    // The data gradient usually wants gy in the same layout as the weight gradient: reorder it once.
    const bool shared = m.bwd_data_pd.diff_dst_desc() == m.bwd_weights_pd.diff_dst_desc();
    const memory& gy_d = shared ? gy_w : m.bd_gy.in(gy, m.stream, m.scratch);
    m.bwd_data.execute(m.stream, {{DNNL_ARG_DIFF_DST, gy_d},
                                  {DNNL_ARG_WEIGHTS, m.bd_w.in(w, m.stream, m.scratch)},
                                  {DNNL_ARG_DIFF_SRC, m.bd_gx.out(gx)},
                                  {DNNL_ARG_SCRATCHPAD, m.scratch}});
    m.bd_gx.finish(m.stream, m.scratch);
  }
  m.stream.wait();
}

std::string ConvEngine::implementation() const {
  std::string s = impl_->fwd_pd.impl_info_str();
  s += " / ";
  s += impl_->bwd_data_pd.impl_info_str();
  s += " / ";
  s += impl_->bwd_weights_pd.impl_info_str();
  return s;
}

}  // namespace flight::trainer
