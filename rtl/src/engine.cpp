#include "flight/rtl/engine.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/cost_models/rtl.hpp"

namespace flight::rtl {
namespace cm = flight::cost_models;
using sim::IntLayer;
using cm::Block;

namespace {

int clog2(long n) {
  int b = 0;
  while ((1L << b) < n) ++b;
  return std::max(b, 1);
}

// A little-endian bit vector written as one hex word (most significant digit first).
class Word {
 public:
  explicit Word(int bits) : bits_(bits), v_(std::size_t(bits), false) {}
  void put(int lsb, int width, std::int64_t value) {
    for (int b = 0; b < width; ++b) v_[std::size_t(lsb + b)] = ((std::uint64_t(value) >> b) & 1U) != 0;
  }
  std::string hex() const {
    const int digits = (bits_ + 3) / 4;
    std::string s(std::size_t(digits), '0');
    for (int d = 0; d < digits; ++d) {
      int x = 0;
      for (int b = 0; b < 4; ++b) {
        const int i = d * 4 + b;
        if (i < bits_ && v_[std::size_t(i)]) x |= 1 << b;
      }
      s[std::size_t(digits - 1 - d)] = "0123456789abcdef"[x];
    }
    return s;
  }

 private:
  int bits_;
  std::vector<bool> v_;
};

constexpr int kMultBits = sim::kRequantMultBits;
constexpr int kOffsetBits = sim::kRequantOffsetBits;

std::string slot_name(Block b) { return cm::block_name(b); }

// Adder-tree node name s<level>_<index> (a stream: GCC 12 warns falsely on chained string additions).
std::string fmt_node(int level, int index) {
  std::ostringstream s;
  s << 's' << level << '_' << index;
  return s.str();
}

}  // namespace

std::string not_covered(const sim::FpgaDesign& d) {
  if (d.mapping == sim::Mapping::heterogeneous) {
    return "the heterogeneous mapping is not generated yet (covered: uniform, time-multiplexed; docs/rtl.md)";
  }
  if (d.mapping == sim::Mapping::time_multiplexed && d.slot != Block::shift_k1) {
    return "the time-multiplexed mapping runs on shift_k1 slots, not " + cm::block_name(d.slot);
  }
  if (!d.weights_on_chip || !d.fmap_on_chip) {
    return "DDR streaming is not generated yet: weights and feature maps must stay on chip";
  }
  if (d.slot != Block::shift_k1 && d.slot != Block::shift_k2 && d.slot != Block::mult_lut && d.slot != Block::mult_dsp) {
    return "slot kind " + cm::block_name(d.slot) + " has no engine RTL (covered: shift_k1, shift_k2, mult_lut, mult_dsp)";
  }
  if (d.dsp_lanes != 0 && d.dsp_lanes != d.lanes) return "mixed LUT and DSP multiplier lanes are not generated yet";
  if ((d.slot == Block::mult_dsp) != (d.dsp_lanes > 0)) {
    return "slot " + cm::block_name(d.slot) + " with dsp_lanes = " + std::to_string(d.dsp_lanes) +
           " (DSP multipliers: slot mult_dsp and dsp_lanes = lanes; LUT multipliers: mult_lut and 0)";
  }
  if (d.lanes_k2 != 0) return "k2 lanes belong to the heterogeneous mapping";
  return {};
}

GeneratedEngine generate_engine(const sim::IntInference& inf, const sim::FpgaDesign& d, const EngineOptions& opt) {
  const auto& net = inf.network();
  auto refuse = [](const std::string& why) { throw InputError("rtl: " + why); };
  if (auto why = not_covered(d); !why.empty()) refuse(why);
  const bool mult = d.slot == Block::mult_lut || d.slot == Block::mult_dsp;
  if (d.p_in < 1 || d.lanes < 1) refuse("the design needs p_in ≥ 1 and lanes ≥ 1");
  const int P = d.p_in, L = d.lanes, A = net.a_bits, E = opt.e_bits;
  const int terms = d.slot == Block::shift_k2 ? 2 : 1;
  // Time-multiplexed: a k = 2 filter's lane runs each pixel twice (its first terms, then its second).
  const bool tm = d.mapping == sim::Mapping::time_multiplexed;
  // Unrolled window (unroll=CinK2): pixel-major maps (value i of a map in bank i mod B, B = P / G), each kernel
  // row's K·C_in values B per cycle through a rotator; kernel rows in sequence, or G at once (row groups).
  const bool unr = d.unroll_kernel;
  // Row groups (unrolled): every map in G copies of BK = P / G banks; a pixel reads G kernel rows at once, one per
  // copy.  G = 1: one copy in P banks, the rows in sequence (the input layer may still be read by groups, below).
  if (d.row_groups < 1 || (d.row_groups > 1 && (!unr || P % d.row_groups != 0))) {
    refuse("row_groups = " + std::to_string(d.row_groups) + " needs the unrolled window and p_in a multiple of it");
  }
  const int RGn = d.row_groups;
  const bool allg = RGn > 1;
  const int BK = P / RGn;
  // Kernel-row groups being read: GG groups of GB banks (all layers with row groups; else the input layer when
  // sim::LayerWork::input_row_group_banks says so, set below; 0: rows in sequence).
  int GB = allg ? BK : 0, GG = allg ? RGn : 0;
  const int wbits = mult ? opt.n_bits : terms * (1 + E);

  GeneratedEngine g;
  // The engine wraps its accumulators exactly where sim's integer inference does: one width for both.
  if (opt.acc_bits > 0 && net.acc_bits > 0 && opt.acc_bits != net.acc_bits) {
    refuse("accumulator width " + std::to_string(opt.acc_bits) + " differs from the integer network's " +
           std::to_string(net.acc_bits) + " (the outputs could not agree)");
  }
  g.acc_bits = opt.acc_bits > 0 ? opt.acc_bits : net.acc_bits;
  if (g.acc_bits < 2 || g.acc_bits > 39) {
    refuse("accumulator width " + std::to_string(g.acc_bits) + " outside 2..39 (0: the network states none)");
  }
  // Input pixels are bytes; the feature-map banks hold A-bit words.
  if (A < 8) refuse("A = " + std::to_string(A) + " activation bits: the engine loads 8-bit pixels into A-bit banks (A ≥ 8 is generated)");

  // ---- the compute layers, with their shapes ----
  int c = net.in_c, h = net.in_h, w = net.in_w;
  bool flat = false;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const auto& l = net.layers[i];
    if (l.kind == IntLayer::Kind::flatten) {
      flat = true;
      continue;
    }
    if (l.kind == IntLayer::Kind::maxpool) {
      if (g.layers.empty() || g.layers.back().pool != 1 || g.layers.back().classifier) {
        refuse("layer " + std::to_string(i) + ": a max-pool must follow a conv layer with ReLU (it is fused into its output)");
      }
      if (l.pool_kernel != l.pool_stride) refuse("layer " + std::to_string(i) + ": overlapping max-pool (kernel ≠ stride)");
      auto& e = g.layers.back();
      e.pool = l.pool_kernel;
      e.h_store = (e.h_out - l.pool_kernel) / l.pool_stride + 1;
      e.w_store = (e.w_out - l.pool_kernel) / l.pool_stride + 1;
      h = e.h_store, w = e.w_store;
      continue;
    }
    if (!g.layers.empty() && g.layers.back().classifier) refuse("layers after the classifier");
    EngineLayer e;
    e.net_index = int(i);
    e.name = (l.kind == IntLayer::Kind::conv ? "conv" : "fc") + std::to_string(g.layers.size() + 1);
    e.c_in = c, e.h_in = h, e.w_in = w, e.c_out = l.c_out;
    if (l.kind == IntLayer::Kind::conv) {
      if (flat) refuse("a conv layer after flatten");
      FLIGHT_CHECK(l.c_in == c, "conv input channels");
      e.kh = e.kw = l.kernel, e.stride = l.stride, e.pad = l.pad;
      e.h_out = (h + 2 * l.pad - l.kernel) / l.stride + 1;
      e.w_out = (w + 2 * l.pad - l.kernel) / l.stride + 1;
    } else {
      FLIGHT_CHECK(l.c_in == c * h * w, "fc input size");
      e.kh = h, e.kw = w, e.stride = 1, e.pad = 0, e.h_out = e.w_out = 1;
    }
    if (mult == l.pow2) refuse(std::string("slot kind ") + slot_name(d.slot) + " cannot run " +
                               (l.pow2 ? "power-of-two" : "fixed-point") + " weights");
    e.classifier = !l.relu;
    e.h_store = e.h_out, e.w_store = e.w_out;
    e.channel_groups = (e.c_in + P - 1) / P;
    // Cycles of one kernel row (unrolled: its kw·c_in values P at a time) and of one pass over the kernel.
    e.row_steps = unr ? (e.kw * e.c_in + BK - 1) / BK : e.kw * e.channel_groups;
    e.kernel_steps = (allg ? (e.kh + RGn - 1) / RGn : e.kh) * e.row_steps;
    if (unr && !allg && g.layers.empty() && l.kind == IntLayer::Kind::conv) {
      // The input layer may read its kh kernel rows at once from kh copies of the image, one per group of
      // ⌊P / kh⌋ banks, when that is faster (sim::LayerWork::input_row_group_banks: the model's rule).
      sim::LayerWork lw;
      lw.c_in = e.c_in, lw.kernel = e.kh;
      g.group_banks = GB = lw.input_row_group_banks(P);
      GG = GB > 0 ? e.kh : 0;
      if (g.group_banks > 0) {
        e.row_steps = (e.kw * e.c_in + g.group_banks - 1) / g.group_banks;
        e.kernel_steps = e.row_steps;
      }
    }
    if (unr && long(e.kw) * e.c_in + P >= 65536) refuse(e.name + ": a kernel row of " + std::to_string(e.kw * e.c_in) + " values is too long for the unrolled engine's 16-bit counters");
    e.tiles = (e.c_out + L - 1) / L;
    e.order.resize(std::size_t(e.c_out));
    for (int f = 0; f < e.c_out; ++f) e.order[std::size_t(f)] = f;
    if (tm && l.pow2) {
      // k = 2 filters first: they fill the first ⌈n2 / L⌉ tiles, which run two passes (sim's time-multiplexed
      // mapping counts the same tiles); the lanes they leave take k = 1 filters, idle in the second pass.
      std::stable_sort(e.order.begin(), e.order.end(), [&](int a, int b) {
        return l.filter_k[std::size_t(a)] > l.filter_k[std::size_t(b)];
      });
      const int n2 = int(std::count(l.filter_k.begin(), l.filter_k.end(), 2));
      e.two_pass_tiles = (n2 + L - 1) / L;
    }
    g.layers.push_back(e);
    c = e.c_out, h = e.h_out, w = e.w_out;
    flat = false;
  }
  if (g.layers.empty() || !g.layers.back().classifier) refuse("the network must end in a classifier layer");
  if (g.layers.back().h_out * g.layers.back().w_out != 1) {
    refuse("the classifier must produce one value per class (an fc layer or a convolution to a 1×1 map)");
  }
  const int NL = int(g.layers.size());

  // ---- pipeline: slot 1 stage, adder tree D stages ----
  const cm::BlockParams bp{A, E, opt.n_bits, 0};
  const int sw = cm::block_output_width(d.slot, bp);
  int D = 0;
  for (int n = P; n > 1; n = (n + 1) / 2) ++D;
  g.tree_depth = D;
  const int tw = sw + D;  // tree root width
  // R requantizers: the design's (the model's choice, sim::FpgaDesign::requantizers), or when unset the largest of
  // sim::requantizer_options(): the fewest that keep every pixel from waiting for its drain.  At most BK (a drain cycle
  // writes R banks of each copy; BK = P without row groups) and at most L.
  int R = d.requantizers;
  if (R <= 0) {
    R = 1;
    for (const auto& e : g.layers) {
      if (e.classifier) continue;
      const int pixel = e.kernel_steps;
      R = std::max(R, std::min(BK, (L + pixel - 1) / pixel));
    }
    const int drain = (L + R - 1) / R;
    R = (L + drain - 1) / drain;
  }
  if (R > BK) {
    refuse(std::to_string(R) + " requantizers for " + std::to_string(BK) + " feature-map banks" +
           (allg ? " per row group (at most p_in / row_groups)" : " (at most p_in)"));
  }
  if (R > L) refuse(std::to_string(R) + " requantizers for " + std::to_string(L) + " lanes");
  g.requantizers = R;
  const int drain_groups = (L + R - 1) / R;

  long wbase = 0;
  int rqbase = 0;
  for (auto& e : g.layers) {
    const int drain = e.classifier ? L : drain_groups;
    e.pixel_cycles = std::max(e.kernel_steps, drain);
    e.pixel_cycles_two_pass = std::max(2 * e.kernel_steps, drain);
    e.issue_cycles = long(e.h_out) * e.w_out *
                     (long(e.tiles - e.two_pass_tiles) * e.pixel_cycles + long(e.two_pass_tiles) * e.pixel_cycles_two_pass);
    e.weight_base = wbase;
    e.weight_words = long(e.tiles + e.two_pass_tiles) * e.kernel_steps;
    wbase += e.weight_words;
    e.requant_base = rqbase;
    rqbase += e.tiles;
    if (unr) {
      const int in_banks = g.group_banks > 0 && &e == &g.layers.front() ? g.group_banks : BK;  // a copy per group
      g.fmap_depth = std::max({g.fmap_depth, (e.c_in * e.h_in * e.w_in + in_banks - 1) / in_banks,
                               (e.c_out * e.h_store * e.w_store + BK - 1) / BK});
    } else {
      g.fmap_depth = std::max({g.fmap_depth, e.channel_groups * e.h_in * e.w_in,
                               ((e.c_out + P - 1) / P) * e.h_store * e.w_store});
    }
  }
  g.weight_rom_words = wbase;
  g.weight_rom_width = L * P * wbits;
  g.pipeline_latency = 6 + D;

  // ---- memory images ----
  // Physical channel c of a layer's output holds filter order[c]; the next layer reads its input channel c as the
  // network's channel order[c] (the first layer reads the image in order).
  // The input layer read by kernel-row groups (unrolled designs only).
  auto grouped = [&](const EngineLayer& e) { return allg || (g.group_banks > 0 && &e == &g.layers.front()); };
  {
    std::ostringstream hx;
    const std::vector<int>* in_order = nullptr;
    for (const auto& e : g.layers) {
      const auto& l = net.layers[std::size_t(e.net_index)];
      const int fan_in = e.c_in * e.kh * e.kw;
      for (int t = 0; t < e.tiles; ++t)
        for (int pass = 0; pass < (t < e.two_pass_tiles ? 2 : 1); ++pass)
        for (int kr = 0; kr < (grouped(e) ? (e.kh + GG - 1) / GG : e.kh); ++kr)
          for (int step = 0; step < e.row_steps; ++step) {
              // Slot i's value of this step: kernel row ky, column kx, physical input channel pch (unrolled: the row's
              // value step·P + i, channels fastest; input row groups: row i / B, value step·B + i mod B; else kernel
              // column step / groups, channel group step mod groups).
              auto at = [&](int i, int& ky, int& kx, int& pch) {
                ky = kr;
                if (grouped(e)) {  // pass kr: group i / B reads kernel row kr·GG + i / B
                  const int B = GB, v = step * B + i % B;
                  ky = kr * GG + i / B, kx = v / e.c_in, pch = v % e.c_in;
                  return i / B < GG && ky < e.kh && v < e.kw * e.c_in;
                }
                if (unr) {
                  const int v = step * P + i;
                  kx = v / e.c_in, pch = v % e.c_in;
                  return v < e.kw * e.c_in;
                }
                kx = step / e.channel_groups, pch = (step % e.channel_groups) * P + i;
                return pch < e.c_in;
              };
              Word word(g.weight_rom_width);
              for (int ln = 0; ln < L; ++ln)
                for (int i = 0; i < P; ++i) {
                  const int pf = t * L + ln;
                  int ky = 0, kx = 0, pch = 0;
                  if (pf >= e.c_out || !at(i, ky, kx, pch)) continue;
                  const int f = e.order[std::size_t(pf)], ch = in_order ? (*in_order)[std::size_t(pch)] : pch;
                  const int j = (ch * e.kh + ky) * e.kw + kx;
                  const int lsb = (ln * P + i) * wbits;
                  if (mult) {
                    const std::int32_t v = l.w_int[std::size_t(f) * fan_in + j];
                    if (v < -(1 << (opt.n_bits - 1)) || v >= (1 << (opt.n_bits - 1))) {
                      refuse(e.name + ": weight code " + std::to_string(v) + " does not fit " +
                             std::to_string(opt.n_bits) + " bits");
                    }
                    word.put(lsb, opt.n_bits, v);
                    continue;
                  }
                  const int kf = l.filter_k[std::size_t(f)];
                  if (kf > terms && !tm) {
                    refuse(e.name + ": filter " + std::to_string(f) + " has k = 2 but the slots are shift_k1");
                  }
                  // Uniform: the slot's terms; time-multiplexed: pass p's term (a k = 1 filter's second pass is zero).
                  for (int slot_t = 0; slot_t < (tm ? 1 : kf); ++slot_t) {
                    const int tt = tm ? pass : slot_t;
                    if (tt >= kf) continue;
                    const int sh = l.term_shift[std::size_t(f)][std::size_t(j * kf + tt)];
                    if (sh < 0) continue;
                    if (sh > (1 << E) - 2) {
                      refuse(e.name + ": term shift " + std::to_string(sh) + " needs more than E = " + std::to_string(E) + " code bits");
                    }
                    const int tb = lsb + slot_t * (1 + E);
                    word.put(tb, E, sh + 1);
                    word.put(tb + E, 1, l.term_sign[std::size_t(f)][std::size_t(j * kf + tt)] ? 1 : 0);
                  }
                }
              hx << word.hex() << "\n";
            }
      in_order = &e.order;
    }
    g.weights_hex = hx.str();
  }
  {
    std::ostringstream hx;
    for (const auto& e : g.layers) {
      const auto& rq = inf.requant(std::size_t(e.net_index));
      for (int t = 0; t < e.tiles; ++t) {
        Word word(L * (kMultBits + kOffsetBits));
        for (int ln = 0; ln < L; ++ln) {
          if (t * L + ln >= e.c_out) continue;
          const int f = e.order[std::size_t(t * L + ln)];
          const auto m = rq.mult[std::size_t(f)], o = rq.offset[std::size_t(f)];
          if (m >= (1LL << (kMultBits - 1)) || m < -(1LL << (kMultBits - 1)) || o >= (1LL << (kOffsetBits - 1)) ||
              o < -(1LL << (kOffsetBits - 1))) {
            refuse(e.name + ": channel " + std::to_string(f) + "'s requantizer constants do not fit " +
                   std::to_string(kMultBits) + " / " + std::to_string(kOffsetBits) + " bits");
          }
          word.put(ln * (kMultBits + kOffsetBits), kMultBits, rq.mult[std::size_t(f)]);
          word.put(ln * (kMultBits + kOffsetBits) + kMultBits, kOffsetBits, rq.offset[std::size_t(f)]);
        }
        hx << word.hex() << "\n";
      }
    }
    g.requant_hex = hx.str();
  }

  // ---- Verilog ----
  const int AW = clog2(g.fmap_depth), WAW = clog2(g.weight_rom_words), RAW = clog2(rqbase);
  const int LB = clog2(NL + 1), BB = clog2(P), CB = clog2(g.layers.back().c_out + L);
  const int VW = cm::requant_value_width(g.acc_bits);  // requant product + offset
  const int ACC = g.acc_bits;
  std::ostringstream v;
  v << "// Generated by flight rtl (FLight DSE): layer-sequential engine, " << sim::describe(d) << "\n"
    << "// " << NL << " compute layers; A = " << A << ", accumulator " << ACC << " bits, adder tree depth " << D
    << ".  Schedule and ports: docs/rtl.md.\n"
    << "/* verilator lint_off DECLFILENAME */\n";
  v << cm::block_verilog(d.slot, bp, "flight_slot");
  // One lane: p_in slots, a registered adder tree and the accumulator; `res` holds a pixel's finished sum.
  v << "module flight_lane (\n  input clk, input [" << P * A - 1 << ":0] acts, input [" << P * wbits - 1
    << ":0] wts,\n  input acc_en, input acc_first, input acc_last, output reg signed [" << ACC - 1 << ":0] res);\n";
  for (int i = 0; i < P; ++i) {
    std::ostringstream act_s;
    act_s << "acts[" << (i + 1) * A - 1 << ":" << i * A << "]";
    const std::string act = act_s.str();
    const int base = i * wbits;
    v << "  wire signed [" << sw - 1 << ":0] s0_" << i << ";\n";
    if (mult) {
      v << "  flight_slot u" << i << " (.clk(clk), .act(" << act << "), .wt(wts[" << base + wbits - 1 << ":" << base
        << "]), .y(s0_" << i << "));\n";
    } else {
      auto term = [&](int t) {
        const int tb = base + t * (1 + E);
        std::ostringstream ts;
        ts << ".sgn_" << t << "(wts[" << tb + E << "]), .code_" << t << "(wts[" << tb + E - 1 << ":" << tb << "])";
        return ts.str();
      };
      v << "  flight_slot u" << i << " (.clk(clk), .act(" << act << "), " << term(0)
        << (terms == 2 ? ", " + term(1) : std::string()) << ", .y(s0_" << i << "));\n";
    }
  }
  {
    int count = P, width = sw, level = 0;
    while (count > 1) {
      const int next = (count + 1) / 2;
      for (int j = 0; j < next; ++j) {
        const std::string a0 = fmt_node(level, 2 * j), a1 = fmt_node(level, 2 * j + 1);
        v << "  reg signed [" << width << ":0] s" << level + 1 << "_" << j << ";\n";
        if (2 * j + 1 < count) {
          v << "  always @(posedge clk) s" << level + 1 << "_" << j << " <= {" << a0 << "[" << width - 1 << "], " << a0
            << "} + {" << a1 << "[" << width - 1 << "], " << a1 << "};\n";
        } else {
          v << "  always @(posedge clk) s" << level + 1 << "_" << j << " <= {" << a0 << "[" << width - 1 << "], " << a0
            << "};\n";
        }
      }
      count = next;
      ++width;
      ++level;
    }
    const std::string root = fmt_node(level, 0);
    v << "  wire signed [" << ACC - 1 << ":0] addend = ";
    if (tw >= ACC) v << root << "[" << ACC - 1 << ":0];\n";
    else v << "{{" << ACC - tw << "{" << root << "[" << tw - 1 << "]}}, " << root << "};\n";
  }
  v << "  reg signed [" << ACC - 1 << ":0] acc;\n"
    << "  wire signed [" << ACC - 1 << ":0] nxt = acc_first ? addend : acc + addend;\n"
    << "  always @(posedge clk) begin\n"
    << "    if (acc_en) acc <= nxt;\n"
    << "    if (acc_en && acc_last) res <= nxt;\n"
    << "  end\nendmodule\n";

  // The requantizer (sim::Requant), cost_models' requant block: the model prices exactly this module.
  v << cm::block_verilog(d.slot == Block::mult_dsp ? Block::requant_dsp : Block::requant, {A, 0, 0, ACC},
                         "flight_requant");

  // The engine.
  v << "module flight_engine (\n"
    << "  input clk, input rst, input start,\n"
    << "  input load_en, input [" << BB - 1 << ":0] load_bank, input [" << AW - 1 << ":0] load_addr, input ["
    << A - 1 << ":0] load_data,\n"
    << "  output reg busy, output reg [" << LB - 1 << ":0] layer,\n"
    << "  output reg out_valid, output reg [" << CB - 1 << ":0] out_class, output reg signed [63:0] out_data);\n";
  // Per-layer constants, as one case table on the layer index.  Addresses are 32-bit two's complement sums of
  // running offsets (no multipliers in the control): X = 32-bit values.  Unrolled, a map position is a pair (Q, R):
  // the word address Q and the bank R of a value's index Q·P + R, advanced by pair constants (QX, RX) etc.
  struct K {
    std::string name;
    int bits;
    long value;
  };
  auto u32 = [](long x) { return long(std::uint32_t(std::int32_t(x))); };
  auto layer_consts = [&](const EngineLayer& e) {
    const int drain = e.classifier ? L : drain_groups;
    const long hpwp = long(e.h_store) * e.w_store, unit = unr ? 1 : hpwp;  // address step of one channel group
    const int frac = inf.requant(std::size_t(e.net_index)).frac_bits;
    std::vector<K> k;
    auto add = [&](const char* n, int bits, long value, bool on = true) {
      if (on) k.push_back({n, bits, value});
    };
    add("HIN", 16, e.h_in);
    add("WIN", 16, e.w_in, !unr);
    add("CG", 16, e.channel_groups, !unr);
    add("KW", 16, unr ? e.row_steps : e.kw);
    add("KH", 16, grouped(e) ? (e.kh + GG - 1) / GG : e.kh);
    add("KHR", 16, e.kh, allg);  // the kernel rows: group r of pass p reads row p·G + r when it is below KHR
    add("S", 16, e.stride);
    add("HOUT", 16, e.h_out);
    add("WOUT", 16, e.w_out);
    add("T", 16, e.tiles);
    add("KK", 16, e.kernel_steps);
    add("PLEN", 16, e.pixel_cycles);
    add("PS", 16, e.pool);
    add("HP", 16, e.h_store);
    add("WP", 16, e.w_store);
    add("COUT", 16, e.c_out);
    add("FLUSH", 16, 6 + D + drain);
    add("FRAC", 6, frac);
    add("CLS", 1, e.classifier ? 1 : 0);
    add("HW", 32, long(e.h_in) * e.w_in, !unr);
    add("KROW", 32, u32(e.w_in - (e.kw - 1)), !unr);
    add("SW", 32, long(e.stride) * e.w_in, !unr);
    add("NPAD", 32, u32(-e.pad));
    add("ROW0", 32, u32(-long(e.pad) * e.w_in), !unr);
    add("HPWP", 32, unit);
    add("TCG0", 32, (L / BK) * unit);
    add("TCG1", 32, (L / BK + 1) * unit);
    add("WBASE", 32, e.weight_base);
    add("RQBASE", 32, e.requant_base);
    if (unr) {
      // Value index of (channel c, row y, column x) in a map of C channels and width W: (y·W + x)·C + c.
      // The input map's pairs count in the layer's banks per row (M: B for the input row groups, else P).
      const long M = grouped(e) ? GB : P;
      auto pair = [&](const std::string& n, long val, long m) {
        const long q = val >= 0 ? val / m : -((-val + m - 1) / m);
        k.push_back({"Q" + n, 32, u32(q)});
        k.push_back({"R" + n, 16, val - q * m});
      };
      const long ci = e.c_in;
      add("M", 16, M, g.group_banks > 0);
      pair("0", -(long(e.pad) * e.w_in + e.pad) * ci, M);  // the first window's top-left value
      pair("X", long(e.stride) * ci, M);                   // next output column
      pair("Y", long(e.w_in) * ci * (allg ? RGn : 1), M);  // next kernel row (row groups: next pass)
      pair("OY", long(e.stride) * e.w_in * ci, M);         // next output row
      pair("PX", e.c_out, BK);                             // next stored (pooled) output column
      pair("PY", long(e.w_store) * e.c_out, BK);           // next stored output row
      for (int r = 1; allg && r < RGn; ++r) {  // group r's kernel row
        std::string n = std::to_string(r);
        n.insert(0, 1, 'G');
        pair(n, long(r) * e.w_in * ci, M);
      }
      // A kernel row's values v = step·P + slot are in the map where lo ≤ v < hi: lo = C·max(0, pad − ox·S),
      // hi = min(K·C, C·(W + pad − ox·S)), kept as running values.
      add("CPAD", 16, ci * e.pad);
      add("SC", 16, long(e.stride) * ci);
      add("KC", 16, long(e.kw) * ci);
      add("REM0", 32, ci * (e.w_in + e.pad));
    }
    if (tm) k.insert(k.end(), {{"T2", 16, e.two_pass_tiles}, {"KK2", 16, 2L * e.kernel_steps}, {"PLEN2", 16, e.pixel_cycles_two_pass}});
    return k;
  };
  const auto decl = layer_consts(g.layers.front());
  for (const auto& k : decl) v << "  reg [" << k.bits - 1 << ":0] L_" << k.name << ";\n";
  v << "  reg [" << VW << ":0] L_SAT;\n";
  v << "  always @* begin\n    case (layer)\n";
  for (int i = 0; i < NL; ++i) {
    const auto& e = g.layers[std::size_t(i)];
    const auto ks = layer_consts(e);
    const int frac = inf.requant(std::size_t(e.net_index)).frac_bits;
    if (frac > 63) refuse(e.name + ": requantizer fraction " + std::to_string(frac) + " bits");
    v << "      " << LB << "'d" << i << ": begin";
    for (const auto& k : ks) {
      if (k.bits < 32 && (k.value < 0 || k.value >= (1L << k.bits))) refuse(e.name + ": " + k.name + " too large for the engine");
      if (k.bits == 32 && (k.value < 0 || k.value > 0xffffffffL)) refuse(e.name + ": " + k.name + " out of range");
      v << " L_" << k.name << " = " << k.bits << "'d" << k.value << ";";
    }
    // The clamp threshold 2^(frac + A), or 2^VW (out of reach) when v cannot get there.
    v << " L_SAT = " << VW + 1 << "'d1 << " << std::min(frac + A, VW) << "; end\n";
  }
  v << "      default: begin";
  for (const auto& k : decl) v << " L_" << k.name << " = " << k.bits << "'d1;";
  v << " L_SAT = " << VW + 1 << "'d1; end\n    endcase\n  end\n";

  // Memories.
  v << "  reg [" << g.weight_rom_width - 1 << ":0] wrom [0:" << g.weight_rom_words - 1 << "];\n"
    << "  reg [" << L * (kMultBits + kOffsetBits) - 1 << ":0] rqrom [0:" << rqbase - 1 << "];\n"
    << "  initial begin\n    $readmemh(\"weights.hex\", wrom);\n    $readmemh(\"requant.hex\", rqrom);\n  end\n";
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < P; ++i) v << "  reg [" << A - 1 << ":0] fm" << b << "_" << i << " [0:" << g.fmap_depth - 1 << "];\n";

  // Controller.  Loops, outermost first: tile t, output row oy, column ox, kernel row ky, column kx, channel group
  // cg (one cycle each), then idle cycles up to PLEN.  Running offsets instead of products:
  //   fmap address = cgo + rowb + colb + kb  with cgo = cg·HW, rowb = (oy·S − pad)·W_in, colb = ox·S − pad,
  //                  kb = ky·W_in + kx;  bounds from iy = iy0 + ky (iy0 = oy·S − pad) and ix = colb + kx;
  //   weight address = wtb + pc with wtb = WBASE + t·KK;
  //   output: pooled pixel (py, px) with py = oy / PS (pyr = oy mod PS), pix = py·WP + px; the tile's first filter
  //           t·L = tcg·P + trem, tcgo = tcg·HP·WP, tl = t·L.
  //   Unrolled: kx counts a kernel row's steps (no channel groups) and es = kx·P; the pairs (qo, ro), (qp, rp),
  //   (qw, rw) are the value indices of the output row's, the pixel's and the kernel row's first value; bank b reads
  //   word qw + kx (+1 when b < rw) and slot i takes bank (rw + i) mod P (a rotator after the read); (qpr, rpr) and
  //   (qpl, rpl) are the stored output row's and pixel's index (pix·C_out).
  v << "  localparam IDLE = 2'd0, RUN = 2'd1, FLUSH = 2'd2, INIT = 2'd3;\n"
    << "  reg [1:0] state;\n";
  if (unr) {
    v << "  reg [15:0] t, oy, ox, pc, ky, kx, py, pyr, px, pxr, trem, tl, fcnt" << (allg ? ", kyg" : "") << ";\n"
      << "  reg [31:0] iy0, wtb, tcgo, qo, qp, qw, qpr, qpl, rem;\n"
      << "  reg [15:0] ro, rp, rw, rpr, rpl, es, elo;\n";
    // Pair sums: (q, r) + (dq, dr) with r, dr < m (the input map's M, or P for the output map).
    auto pair_add = [&](const std::string& n, const std::string& q, const std::string& r, const std::string& k,
                        const std::string& m) {
      v << "  wire [15:0] " << n << "_s = " << r << " + L_R" << k << ";\n"
        << "  wire " << n << "_c = " << n << "_s >= " << m << ";\n"
        << "  wire [31:0] " << n << "_q = " << q << " + L_Q" << k << " + {31'd0, " << n << "_c};\n"
        << "  wire [15:0] " << n << "_r = " << n << "_c ? " << n << "_s - " << m << " : " << n << "_s;\n";
    };
    const std::string TPm = "16'd" + std::to_string(BK), IM = allg ? TPm : g.group_banks > 0 ? "L_M" : TPm;
    pair_add("nx", "qp", "rp", "X", IM);
    pair_add("ny", "qw", "rw", "Y", IM);
    pair_add("noy", "qo", "ro", "OY", IM);
    pair_add("npx", "qpl", "rpl", "PX", TPm);
    pair_add("npy", "qpr", "rpr", "PY", TPm);
  } else {
    v << "  reg [15:0] t, oy, ox, pc, ky, kx, cg, py, pyr, px, pxr, trem, tl, fcnt;\n"
      << "  reg [31:0] cgo, rowb, colb, kb, iy0, wtb, prow, tcgo;\n";
  }
  // Time-multiplexed: tiles t < T2 run every pixel twice (pass 0: the filters' first terms, pass 1: their second);
  // the kernel loop restarts for pass 1 and the accumulator finishes at the end of the tile's last pass.
  const std::string KKX = tm ? "kk" : "L_KK", PLENX = tm ? "plen" : "L_PLEN";
  if (tm) {
    v << "  reg pass;\n"
      << "  wire two = t < L_T2;\n"
      << "  wire [15:0] kk = two ? L_KK2 : L_KK, plen = two ? L_PLEN2 : L_PLEN;\n";
  }
  v << "  wire issue = state == RUN && pc < " << KKX << ";\n";
  if (unr) {
    v << "  wire kx_last = kx == L_KW - 16'd1, ky_last = ky == L_KH - 16'd1;\n"
      << "  wire klast = ky_last && kx_last;\n";
  } else {
    v << "  wire cg_last = cg == L_CG - 16'd1, kx_last = kx == L_KW - 16'd1, ky_last = ky == L_KH - 16'd1;\n"
      << "  wire klast = ky_last && kx_last && cg_last;\n";
  }
  v << (tm ? "  wire alast = klast && pass == two;  // the accumulator's last step\n" : "")
    << "  wire pend = pc == " << PLENX << " - 16'd1;\n";
  if (unr) {
    if (!allg) {
      v << "  wire [31:0] iy = iy0 + {16'd0, ky};\n"
        << "  wire rowin = iy < {16'd0, L_HIN};\n";
    }
    v << "  wire [15:0] ehi = rem < {16'd0, L_KC} ? rem[15:0] : L_KC;\n"
      << "  wire [" << P - 1 << ":0] inb;\n";
    auto in_row = [](const std::string& ok, int i) {
      std::ostringstream m;
      m << ok << " && es + 16'd" << i << " >= elo && es + 16'd" << i << " < ehi";
      return m.str();
    };
    // With one bank per group, a group's bank offset g<r>_r is always 0 and goes unused.
    if (GB == 1) v << "  /* verilator lint_off UNUSEDSIGNAL */\n";
    if (allg) {
      // Row groups: copy r (banks r·BK …) serves kernel row kyg + r of the pass (kyg = ky·G), whose first value is
      // the pass's (qw, rw) + r·W·C (constants L_QG<r>, L_RG<r> of the layer).
      for (int r = 0; r < GG; ++r) {
        if (r == 0) {
          v << "  wire [31:0] g0_q = qw;\n  wire [15:0] g0_r = rw;\n";
        } else {
          v << "  wire [15:0] g" << r << "_s = rw + L_RG" << r << ";\n"
            << "  wire g" << r << "_c = g" << r << "_s >= 16'd" << GB << ";\n"
            << "  wire [31:0] g" << r << "_q = qw + L_QG" << r << " + {31'd0, g" << r << "_c};\n"
            << "  wire [15:0] g" << r << "_r = g" << r << "_c ? g" << r << "_s - 16'd" << GB << " : g" << r << "_s;\n";
        }
        v << "  wire [31:0] g" << r << "_y = iy0 + {16'd0, kyg} + 32'd" << r << ";\n"
          << "  wire g" << r << "_in = g" << r << "_y < {16'd0, L_HIN} && kyg + 16'd" << r << " < L_KHR;\n";
      }
    } else if (GB > 0) {
      // Input row groups: group r holds a copy of the image (value index mod B, word index div B) and serves kernel
      // row r, whose first value is the window's + r·W·C: the pair (qw, rw) + that offset, constants of this layer.
      const auto& e0 = g.layers.front();
      v << "  wire grp = layer == " << LB << "'d0;  // the input layer, read by kernel-row groups\n";
      for (int r = 0; r < GG; ++r) {
        const long off = long(r) * e0.w_in * e0.c_in;
        v << "  wire [15:0] g" << r << "_s = rw + 16'd" << off % GB << ";\n"
          << "  wire g" << r << "_c = g" << r << "_s >= 16'd" << GB << ";\n"
          << "  wire [31:0] g" << r << "_q = qw + 32'd" << off / GB << " + {31'd0, g" << r << "_c};\n"
          << "  wire [15:0] g" << r << "_r = g" << r << "_c ? g" << r << "_s - 16'd" << GB << " : g" << r << "_s;\n"
          << "  wire [31:0] g" << r << "_y = iy0 + 32'd" << r << ";\n"
          << "  wire g" << r << "_in = g" << r << "_y < {16'd0, L_HIN};\n";
      }
    }
    if (GB == 1) v << "  /* verilator lint_on UNUSEDSIGNAL */\n";
    for (int i = 0; i < P; ++i) {
      v << "  assign inb[" << i << "] = ";
      if (allg) {
        v << in_row("g" + std::to_string(i / GB) + "_in", i % GB) << ";\n";
        continue;
      }
      if (GB > 0) v << "grp ? " << (i < GG * GB ? "(" + in_row("g" + std::to_string(i / GB) + "_in", i % GB) + ")" : "1'b0") << " : ";
      v << in_row("rowin", i) << ";\n";
    }
    v << "  /* verilator lint_off UNUSEDSIGNAL */  // addresses are summed in 32 bits and used in their low bits\n";
    for (int b = 0; b < P; ++b) {
      v << "  wire [31:0] fa" << b << " = ";
      if (GB > 0 && b < GG * GB) {
        const int r = b / GB, j = b % GB;
        v << (allg ? "" : "grp ? ") << "g" << r << "_q + {16'd0, kx}"
          << (j + 1 < GB ? " + {31'd0, 16'd" + std::to_string(j) + " < g" + std::to_string(r) + "_r}" : std::string())
          << (allg ? ";\n" : " : ");
        if (allg) continue;
      }
      v << "qw + {16'd0, kx}" << (b + 1 < P ? " + {31'd0, 16'd" + std::to_string(b) + " < rw}" : std::string())
        << ";\n";  // rw < P
    }
    v << "  wire [31:0] waddr = wtb + {16'd0, pc};\n"
      << "  /* verilator lint_on UNUSEDSIGNAL */\n";
  } else {
    v << "  wire [31:0] iy = iy0 + {16'd0, ky}, ix = colb + {16'd0, kx};\n"
      << "  wire inb = iy < {16'd0, L_HIN} && ix < {16'd0, L_WIN};\n"
      << "  /* verilator lint_off UNUSEDSIGNAL */  // addresses are summed in 32 bits and used in their low bits\n"
      << "  wire [31:0] faddr = cgo + rowb + colb + kb;\n"
      << "  wire [31:0] waddr = wtb + {16'd0, pc};\n"
      << "  /* verilator lint_on UNUSEDSIGNAL */\n";
  }
  v << "  wire src = layer[0];\n"
    << "  wire [15:0] trem_n = trem + 16'd" << L % BK << ";\n"
    << "  task layer_start;\n"
    << "    begin\n";
  if (unr) {
    v << "      t <= 16'd0; oy <= 16'd0; ox <= 16'd0; pc <= 16'd0; ky <= 16'd0; kx <= 16'd0; es <= 16'd0;"
      << (allg ? " kyg <= 16'd0;" : "") << "\n"
      << "      py <= 16'd0; pyr <= 16'd0; px <= 16'd0; pxr <= 16'd0; trem <= 16'd0; tl <= 16'd0; tcgo <= 32'd0;\n"
      << "      qpr <= 32'd0; rpr <= 16'd0; qpl <= 32'd0; rpl <= 16'd0;" << (tm ? " pass <= 1'b0;" : "") << "\n";
  } else {
    v << "      t <= 16'd0; oy <= 16'd0; ox <= 16'd0; pc <= 16'd0; ky <= 16'd0; kx <= 16'd0; cg <= 16'd0;\n"
      << "      py <= 16'd0; pyr <= 16'd0; px <= 16'd0; pxr <= 16'd0; trem <= 16'd0; tl <= 16'd0;\n"
      << "      cgo <= 32'd0; kb <= 32'd0; prow <= 32'd0; tcgo <= 32'd0;" << (tm ? " pass <= 1'b0;" : "") << "\n";
  }
  v << "    end\n"
    << "  endtask\n";
  // The end of a layer's last output row, shared by both unrollings: the next tile (its first filter t·L = tcg·BK +
  // trem) or the flush.
  std::ostringstream ta;
  ta << "                if (t != L_T - 16'd1) begin\n"
     << "                  t <= t + 16'd1; tl <= tl + 16'd" << L << "; wtb <= wtb + {16'd0, " << KKX << "};\n"
     << "                  if (trem_n >= 16'd" << BK << ") begin trem <= trem_n - 16'd" << BK << "; tcgo <= tcgo + L_TCG1; end\n"
     << "                  else begin trem <= trem_n; tcgo <= tcgo + L_TCG0; end\n"
     << "                end else begin\n"
     << "                  state <= FLUSH; fcnt <= L_FLUSH;\n"
     << "                end\n"
     << "              end\n"
     << "            end\n"
     << "          end\n"
     << "        end\n";
  const std::string tile_advance = ta.str();
  if (unr) {
    const std::string TP = "16'd" + std::to_string(BK);  // the banks of one copy (P without row groups)
    v << "  always @(posedge clk) begin\n"
      << "    if (rst) begin\n      state <= IDLE; busy <= 1'b0; layer <= " << LB << "'d0; fcnt <= 16'd0; layer_start;\n"
      << "      iy0 <= 32'd0; wtb <= 32'd0; qo <= 32'd0; qp <= 32'd0; qw <= 32'd0; ro <= 16'd0; rp <= 16'd0; rw <= 16'd0;\n"
      << "      elo <= 16'd0; rem <= 32'd0;\n"
      << "    end else begin\n"
      << "      case (state)\n"
      << "        IDLE: if (start) begin state <= INIT; busy <= 1'b1; layer <= " << LB << "'d0; end\n"
      << "        INIT: begin  // one cycle: the layer's constants are selected\n"
      << "          state <= RUN; layer_start;\n"
      << "          iy0 <= L_NPAD; wtb <= L_WBASE; elo <= L_CPAD; rem <= L_REM0;\n"
      << "          qo <= L_Q0; ro <= L_R0; qp <= L_Q0; rp <= L_R0; qw <= L_Q0; rw <= L_R0;\n"
      << "        end\n"
      << "        RUN: begin\n"
      << "          if (issue) begin\n"
      << "            if (!kx_last) begin kx <= kx + 16'd1; es <= es + "
      << (GB > 0 && !allg ? "(grp ? 16'd" + std::to_string(GB) + " : " + TP + ")" : TP) << "; end\n"
      << "            else begin kx <= 16'd0; es <= 16'd0; ky <= ky + 16'd1; qw <= ny_q; rw <= ny_r;"
      << (allg ? " kyg <= kyg + 16'd" + std::to_string(RGn) + ";" : "") << " end\n"
      << "          end\n"
      << (tm ? "          if (issue && klast && two && !pass) begin  // pass 1 restarts the kernel loop\n"
               "            pass <= 1'b1; ky <= 16'd0; kx <= 16'd0; es <= 16'd0; qw <= qp; rw <= rp;" +
                   std::string(allg ? " kyg <= 16'd0;" : "") + "\n"
               "          end\n"
             : "")
      << "          if (!pend) pc <= pc + 16'd1;\n"
      << "          else begin\n"
      << "            pc <= 16'd0; ky <= 16'd0; kx <= 16'd0; es <= 16'd0;" << (tm ? " pass <= 1'b0;" : "")
      << (allg ? " kyg <= 16'd0;" : "") << "\n"
      << "            if (ox != L_WOUT - 16'd1) begin\n"
      << "              ox <= ox + 16'd1; qp <= nx_q; rp <= nx_r; qw <= nx_q; rw <= nx_r;\n"
      << "              elo <= elo > L_SC ? elo - L_SC : 16'd0; rem <= rem - {16'd0, L_SC};\n"
      << "              if (pxr != L_PS - 16'd1) pxr <= pxr + 16'd1;\n"
      << "              else begin pxr <= 16'd0; px <= px + 16'd1; qpl <= npx_q; rpl <= npx_r; end\n"
      << "            end else begin\n"
      << "              ox <= 16'd0; pxr <= 16'd0; px <= 16'd0; elo <= L_CPAD; rem <= L_REM0;\n"
      << "              if (oy != L_HOUT - 16'd1) begin\n"
      << "                oy <= oy + 16'd1; iy0 <= iy0 + {16'd0, L_S};\n"
      << "                qo <= noy_q; ro <= noy_r; qp <= noy_q; rp <= noy_r; qw <= noy_q; rw <= noy_r;\n"
      << "                if (pyr != L_PS - 16'd1) begin pyr <= pyr + 16'd1; qpl <= qpr; rpl <= rpr; end\n"
      << "                else begin\n"
      << "                  pyr <= 16'd0; py <= py + 16'd1; qpr <= npy_q; rpr <= npy_r; qpl <= npy_q; rpl <= npy_r;\n"
      << "                end\n"
      << "              end else begin\n"
      << "                oy <= 16'd0; pyr <= 16'd0; py <= 16'd0; iy0 <= L_NPAD;\n"
      << "                qo <= L_Q0; ro <= L_R0; qp <= L_Q0; rp <= L_R0; qw <= L_Q0; rw <= L_R0;\n"
      << "                qpr <= 32'd0; rpr <= 16'd0; qpl <= 32'd0; rpl <= 16'd0;\n"
      << tile_advance;
  } else {
    v << "  always @(posedge clk) begin\n"
      << "    if (rst) begin\n      state <= IDLE; busy <= 1'b0; layer <= " << LB << "'d0; fcnt <= 16'd0; layer_start;\n"
      << "      rowb <= 32'd0; colb <= 32'd0; iy0 <= 32'd0; wtb <= 32'd0;\n"
      << "    end else begin\n"
      << "      case (state)\n"
      << "        IDLE: if (start) begin state <= INIT; busy <= 1'b1; layer <= " << LB << "'d0; end\n"
      << "        INIT: begin  // one cycle: the layer's constants are selected\n"
      << "          state <= RUN; layer_start;\n"
      << "          rowb <= L_ROW0; colb <= L_NPAD; iy0 <= L_NPAD; wtb <= L_WBASE;\n"
      << "        end\n"
      << "        RUN: begin\n"
      << "          if (issue) begin\n"
      << "            if (!cg_last) begin cg <= cg + 16'd1; cgo <= cgo + L_HW; end\n"
      << "            else begin\n"
      << "              cg <= 16'd0; cgo <= 32'd0;\n"
      << "              if (!kx_last) begin kx <= kx + 16'd1; kb <= kb + 32'd1; end\n"
      << "              else begin kx <= 16'd0; ky <= ky + 16'd1; kb <= kb + L_KROW; end\n"
      << "            end\n"
      << "          end\n"
      << (tm ? "          if (issue && klast && two && !pass) begin  // pass 1 restarts the kernel loop\n"
               "            pass <= 1'b1; ky <= 16'd0; kx <= 16'd0; cg <= 16'd0; cgo <= 32'd0; kb <= 32'd0;\n"
               "          end\n"
             : "")
      << "          if (!pend) pc <= pc + 16'd1;\n"
      << "          else begin\n"
      << "            pc <= 16'd0; ky <= 16'd0; kx <= 16'd0; cg <= 16'd0; cgo <= 32'd0; kb <= 32'd0;"
      << (tm ? " pass <= 1'b0;" : "") << "\n"
      << "            if (ox != L_WOUT - 16'd1) begin\n"
      << "              ox <= ox + 16'd1; colb <= colb + {16'd0, L_S};\n"
      << "              if (pxr != L_PS - 16'd1) pxr <= pxr + 16'd1; else begin pxr <= 16'd0; px <= px + 16'd1; end\n"
      << "            end else begin\n"
      << "              ox <= 16'd0; pxr <= 16'd0; px <= 16'd0; colb <= L_NPAD;\n"
      << "              if (oy != L_HOUT - 16'd1) begin\n"
      << "                oy <= oy + 16'd1; rowb <= rowb + L_SW; iy0 <= iy0 + {16'd0, L_S};\n"
      << "                if (pyr != L_PS - 16'd1) pyr <= pyr + 16'd1;\n"
      << "                else begin pyr <= 16'd0; py <= py + 16'd1; prow <= prow + {16'd0, L_WP}; end\n"
      << "              end else begin\n"
      << "                oy <= 16'd0; pyr <= 16'd0; py <= 16'd0; prow <= 32'd0; rowb <= L_ROW0; iy0 <= L_NPAD;\n"
      << tile_advance;
  }
  v << "        FLUSH: begin\n"
    << "          if (fcnt != 16'd1) fcnt <= fcnt - 16'd1;\n"
    << "          else if (layer == " << LB << "'d" << NL - 1 << ") begin state <= IDLE; busy <= 1'b0; end\n"
    << "          else begin layer <= layer + " << LB << "'d1; state <= INIT; end\n"
    << "        end\n"
    << "      endcase\n"
    << "    end\n"
    << "  end\n";

  // The input row groups' rotations, one cycle after the read.
  std::string group_regs;
  for (int r = 0; GB > 1 && r < GG; ++r) {
    group_regs += "  reg [" + std::to_string(clog2(GB) - 1) + ":0] p1_g" + std::to_string(r) + ";\n";
  }
  // Stage 1: memory reads of the issued cycle, and its descriptor down a shift register.
  // desc = {t, tl, tcgo, pix, trem, pfirst, pwrite}
  const int DW = 16 + 16 + 32 + 32 + 16 + 2;
  v << "  reg [" << g.weight_rom_width - 1 << ":0] wq;\n"
    << "  always @(posedge clk) wq <= wrom[waddr[" << WAW - 1 << ":0]];\n";
  v << "  wire [" << AW - 1 << ":0] dra [0:" << P - 1 << "];  // drain read addresses (below)\n";
  // Bank i's compute read address (unrolled: its own, fa<i>).
  auto fa = [&](int i) { return (unr ? "fa" + std::to_string(i) : std::string("faddr")) + "[" + std::to_string(AW - 1) + ":0]"; };
  for (int i = 0; i < P; ++i) {
    v << "  reg [" << A - 1 << ":0] q0_" << i << ", q1_" << i << ";\n"
      << "  wire [" << AW - 1 << ":0] ra0_" << i << " = src ? dra[" << i << "] : " << fa(i) << ";\n"
      << "  wire [" << AW - 1 << ":0] ra1_" << i << " = src ? " << fa(i) << " : dra[" << i << "];\n"
      << "  always @(posedge clk) begin q0_" << i << " <= fm0_" << i << "[ra0_" << i << "]; q1_" << i << " <= fm1_"
      << i << "[ra1_" << i << "]; end\n";
  }
  const int at = D + 1;  // the tree root of the cycle issued D+2 cycles ago meets index D+1 of the shift registers
  v << "  reg [" << at << ":0] pv, pfirst, plast;\n"
    << (unr ? "  reg [" + std::to_string(P - 1) + ":0] p1_inb;\n  reg p1_src;\n" +
                  (P > 1 && !allg ? "  reg [" + std::to_string(BB - 1) + ":0] p1_rw;\n" : std::string())
            : std::string("  reg p1_inb, p1_src;\n"))
    << (GB > 0 && !allg ? "  reg p1_grp;\n" : "") << group_regs
    << "  reg [" << DW - 1 << ":0] pdesc [0:" << at << "];\n"
    << "  wire first = ky == 16'd0 && kx == 16'd0" << (unr ? "" : " && cg == 16'd0") << (tm ? " && !pass" : "") << ";\n"
    << "  wire pw = py < L_HP && px < L_WP;\n";
  if (unr) {
    // The drain's first bank and word: value index qpl·P + rpl + t·L of the stored pixel's tile.
    v << "  wire [15:0] db_s = trem + rpl;\n"
      << "  wire db_c = db_s >= 16'd" << BK << ";\n"
      << "  wire [31:0] pix = qpl + {31'd0, db_c};\n"
      << "  wire [15:0] db = db_c ? db_s - 16'd" << BK << " : db_s;\n"
      << "  wire [" << DW - 1 << ":0] desc = {t, tl, tcgo, pix, db, pyr == 16'd0 && pxr == 16'd0, pw};\n";
  } else {
    v << "  wire [31:0] pix = prow + {16'd0, px};\n"
      << "  wire [" << DW - 1 << ":0] desc = {t, tl, tcgo, pix, trem, pyr == 16'd0 && pxr == 16'd0, pw};\n";
  }
  v << "  integer k;\n"
    << "  always @(posedge clk) begin\n"
    << "    if (rst) begin pv <= 0; pfirst <= 0; plast <= 0; end\n"
    << "    else begin\n"
    << "      pv <= {pv[" << at - 1 << ":0], issue}; pfirst <= {pfirst[" << at - 1 << ":0], first};"
    << " plast <= {plast[" << at - 1 << ":0], issue && " << (tm ? "alast" : "klast") << "};\n"
    << "    end\n"
    << "    p1_inb <= inb; p1_src <= src;" << (unr && !allg && P > 1 ? " p1_rw <= rw[" + std::to_string(BB - 1) + ":0];" : "")
    << (GB > 0 && !allg ? " p1_grp <= grp;" : "") << "\n";
  for (int r = 0; GB > 1 && r < GG; ++r) v << "    p1_g" << r << " <= g" << r << "_r[" << clog2(GB) - 1 << ":0];\n";
  v
    << "    pdesc[0] <= desc;\n"
    << "    for (k = 1; k <= " << at << "; k = k + 1) pdesc[k] <= pdesc[k - 1];\n"
    << "  end\n";
  // Stage 2 on: lanes.
  if (unr) {
    // Slot i takes bank (rw + i) mod P: the banks' words rotated right by rw words (a barrel rotator, one stage per
    // bit of rw), then each slot's value outside the map is zero.
    v << "  wire [" << P * A - 1 << ":0] rot0 = {";
    for (int i = P - 1; i >= 0; --i) v << "(p1_src ? q1_" << i << " : q0_" << i << ")" << (i ? ", " : "");
    v << "};\n";
    int stage = 0;
    if (P > 1 && !allg) {
      for (; stage < BB; ++stage) {
        const int m = (1 << stage) % P;  // words rotated by this stage
        v << "  wire [" << P * A - 1 << ":0] rot" << stage + 1 << " = p1_rw[" << stage << "] ? {rot" << stage << "["
          << m * A - 1 << ":0], rot" << stage << "[" << P * A - 1 << ":" << m * A << "]} : rot" << stage << ";\n";
      }
    }
    // Input row groups: group r's B words (banks r·B …) rotated right by its own p1_g<r> words.
    for (int r = 0; r < GG; ++r) {
      const int W = GB * A, lo = r * GB * A;
      v << "  wire [" << W - 1 << ":0] g" << r << "_0 = rot0[" << lo + W - 1 << ":" << lo << "];\n";
      int gs = 0;
      if (GB > 1) {
        for (; gs < clog2(GB); ++gs) {
          const int m = (1 << gs) % GB;
          v << "  wire [" << W - 1 << ":0] g" << r << "_" << gs + 1 << " = p1_g" << r << "[" << gs << "] ? {g" << r << "_"
            << gs << "[" << m * A - 1 << ":0], g" << r << "_" << gs << "[" << W - 1 << ":" << m * A << "]} : g" << r
            << "_" << gs << ";\n";
        }
      }
      v << "  wire [" << W - 1 << ":0] gw" << r << " = g" << r << "_" << gs << ";\n";
    }
    v << "  wire [" << P * A - 1 << ":0] acts;\n";
    for (int i = 0; i < P; ++i) {
      std::ostringstream word;
      word << "rot" << stage << "[" << (i + 1) * A - 1 << ":" << i * A << "]";
      if (allg) {
        word.str("");
        word << "gw" << i / GB << "[" << (i % GB + 1) * A - 1 << ":" << (i % GB) * A << "]";
      } else if (i < GG * GB) {
        const int r = i / GB, j = i % GB;
        word.str("");
        word << "(p1_grp ? gw" << r << "[" << (j + 1) * A - 1 << ":" << j * A << "] : rot" << stage << "["
             << (i + 1) * A - 1 << ":" << i * A << "])";
      }
      v << "  assign acts[" << (i + 1) * A - 1 << ":" << i * A << "] = p1_inb[" << i << "] ? " << word.str() << " : "
        << A << "'d0;\n";
    }
  } else {
    v << "  wire [" << P * A - 1 << ":0] acts = p1_inb ? {";
    for (int i = P - 1; i >= 0; --i) v << "(p1_src ? q1_" << i << " : q0_" << i << ")" << (i ? ", " : "");
    v << "} : " << P * A << "'d0;\n";
  }
  v << "  wire [" << L * ACC - 1 << ":0] res;\n"
    << "  genvar gl;\n"
    << "  generate for (gl = 0; gl < " << L << "; gl = gl + 1) begin : lanes\n"
    << "    flight_lane u (.clk(clk), .acts(acts), .wts(wq[(gl + 1) * " << P * wbits << " - 1 : gl * " << P * wbits
    << "]),\n      .acc_en(pv[" << at << "]), .acc_first(pfirst[" << at << "]), .acc_last(plast[" << at << "]),"
    << " .res(res[(gl + 1) * " << ACC << " - 1 : gl * " << ACC << "]));\n"
    << "  end endgenerate\n";
  // A finished pixel: its L sums and its tile's requantizer constants are latched, then drained R lanes per cycle
  // (the latches shift down by R lanes, so requantizer j always reads lane j: no lane multiplexer).  Drain group dg
  // holds lanes dg·R … dg·R + R − 1; lane dg·R + j lands in bank (rb + j) mod P, where rb = (trem + dg·R) mod P is
  // kept as a running value with dgo, the address offset of rb's channel group (+HPWP when the group wraps past
  // bank P − 1).  The classifier shifts by one lane per cycle and streams one class through requantizer 0.
  v << "  reg [" << L * (kMultBits + kOffsetBits) - 1 << ":0] rq;\n"
    << "  /* verilator lint_off UNUSEDSIGNAL */\n"
    << "  wire [31:0] rq_a = L_RQBASE + {16'd0, pdesc[" << at << "][" << DW - 1 << ":" << DW - 16 << "]};\n"
    << "  /* verilator lint_on UNUSEDSIGNAL */\n"
    << "  reg res_v;\n  reg [" << DW - 1 << ":0] res_desc;\n"
    << "  always @(posedge clk) begin\n"
    << "    rq <= rqrom[rq_a[" << RAW - 1 << ":0]];\n"
    << "    res_v <= !rst && pv[" << at << "] && plast[" << at << "]; res_desc <= pdesc[" << at << "];\n"
    << "  end\n"
    << "  reg [" << L * ACC - 1 << ":0] d_res;\n  reg [" << L * (kMultBits + kOffsetBits) - 1 << ":0] d_rq;\n"
    << "  reg [15:0] dg, dgr, rb;\n  reg [31:0] dgo;\n  reg drain;\n"
    << "  /* verilator lint_off UNUSEDSIGNAL */\n"
    << "  reg [" << DW - 1 << ":0] d_desc;\n"
    << "  /* verilator lint_on UNUSEDSIGNAL */\n"
    << "  wire [15:0] d_tl = d_desc[" << DW - 17 << ":" << DW - 32 << "];\n"
    << "  wire [31:0] d_tcgo = d_desc[" << DW - 33 << ":" << DW - 64 << "], d_pix = d_desc[" << DW - 65 << ":"
    << DW - 96 << "];\n"
    << "  wire d_first = d_desc[1], d_pw = d_desc[0];\n"
    << "  wire [15:0] rb_next = rb + 16'd" << R << ";\n"
    << "  always @(posedge clk) begin\n"
    << "    if (rst) begin drain <= 1'b0; dg <= 16'd0; dgr <= 16'd0; rb <= 16'd0; dgo <= 32'd0; end\n"
    << "    else if (res_v) begin\n"
    << "      drain <= 1'b1; dg <= 16'd0; dgr <= 16'd0; rb <= res_desc[17:2]; dgo <= 32'd0;\n"
    << "      d_desc <= res_desc; d_res <= res; d_rq <= rq;\n"
    << "    end else if (drain) begin\n"
    << "      if (dg == (L_CLS ? 16'd" << L - 1 << " : 16'd" << drain_groups - 1 << ")) drain <= 1'b0;\n"
    << "      dg <= dg + 16'd1; dgr <= dgr + 16'd" << R << ";\n"
    << "      if (rb_next >= 16'd" << BK << ") begin rb <= rb_next - 16'd" << BK << "; dgo <= dgo + L_HPWP; end\n"
    << "      else rb <= rb_next;\n"
    << "      d_res <= L_CLS ? d_res >> " << ACC << " : d_res >> " << R * ACC << ";\n"
    << "      d_rq <= L_CLS ? d_rq >> " << kMultBits + kOffsetBits << " : d_rq >> "
    << R * (kMultBits + kOffsetBits) << ";\n"
    << "    end\n"
    << "  end\n";
  // The R requantizers on lanes 0 … R − 1 of the shifting latches.
  v << "  wire [" << A - 1 << ":0] qr [0:" << R - 1 << "];\n"
    << "  wire signed [" << VW - 1 << ":0] v0;\n";
  for (int j = 0; j < R; ++j) {
    const int rqw = kMultBits + kOffsetBits;
    if (j > 0) {
      v << "  /* verilator lint_off UNUSEDSIGNAL */\n  wire signed [" << VW - 1 << ":0] v" << j
        << ";\n  /* verilator lint_on UNUSEDSIGNAL */\n";
    }
    v << "  flight_requant r" << j << " (.clk(clk), .x(d_res[" << j * ACC << " +: " << ACC << "]), .m(d_rq[" << j * rqw
      << " +: " << kMultBits << "]), .o(d_rq[" << j * rqw + kMultBits << " +: " << kOffsetBits << "]),\n"
      << "    .frac(L_FRAC), .sat(L_SAT), .v(v" << j << "), .q(qr[" << j << "]));\n";
  }
  // Per bank: S1 the requantizers multiply-add (bank b's value comes from requantizer (b mod BK − rb) mod BK; every
  // copy's bank b mod BK takes the same value), S2 they
  // shift/clamp and the bank reads the old value (pooling), S3 write the maximum (forwarding the previous write).
  const int JB = clog2(R);
  v << "  reg [" << AW - 1 << ":0] s1_addr [0:" << P - 1 << "], s2_addr [0:" << P - 1 << "], f_addr [0:" << P - 1
    << "];\n"
    << (R == 1 ? std::string()
               : "  reg [" + std::to_string(JB - 1) + ":0] s1_j [0:" + std::to_string(P - 1) + "], s2_j [0:" +
                     std::to_string(P - 1) + "];\n")
    << "  reg [" << P - 1 << ":0] s1_en, s1_first, s2_en, s2_first, f_en;\n"
    << "  reg [" << A - 1 << ":0] f_data [0:" << P - 1 << "];\n"
    << "  reg s1_cls;\n  reg [" << CB - 1 << ":0] s1_class;\n"
    << "  wire dst = !src;\n";
  for (int b = 0; b < P; ++b) {
    const int bj = b % BK;  // the bank's place in its copy (row groups: every copy takes the same writes)
    v << "  // bank " << b << "\n"
      << "  wire below" << b << " = 16'd" << bj << " < rb;\n"
      << "  wire [15:0] j" << b << " = below" << b << " ? 16'd" << bj + BK << " - rb : 16'd" << bj << " - rb;\n"
      << "  wire [15:0] lane" << b << " = dgr + j" << b << ";\n"
      << "  wire [15:0] ch" << b << " = d_tl + lane" << b << ";\n"
      << "  /* verilator lint_off UNUSEDSIGNAL */\n"
      << "  wire [31:0] wa" << b << " = d_tcgo + dgo + (below" << b << " ? L_HPWP : 32'd0) + d_pix;\n"
      << "  /* verilator lint_on UNUSEDSIGNAL */\n"
      << "  wire ok" << b << " = drain && !L_CLS && d_pw && j" << b << " < 16'd" << R << " && lane" << b << " < 16'd" << L
      << " && ch" << b << " < L_COUT;\n"
      << "  wire [" << A - 1 << ":0] q" << b << " = qr[" << (R == 1 ? std::string("0") : "s2_j[" + std::to_string(b) + "]")
      << "];\n"
      << "  assign dra[" << b << "] = s1_addr[" << b << "];\n"
      << "  wire [" << A - 1 << ":0] old" << b << " = (f_en[" << b << "] && f_addr[" << b << "] == s2_addr[" << b
      << "]) ? f_data[" << b << "] : (dst ? q1_" << b << " : q0_" << b << ");\n"
      << "  wire [" << A - 1 << ":0] new" << b << " = (s2_first[" << b << "] || q" << b << " > old" << b << ") ? q" << b
      << " : old" << b << ";\n"
      << "  always @(posedge clk) begin\n"
      << "    s1_addr[" << b << "] <= wa" << b << "[" << AW - 1 << ":0]; s1_en[" << b << "] <= !rst && ok" << b
      << "; s1_first[" << b << "] <= d_first;\n"
      << (R == 1 ? std::string()
                 : "    s1_j[" + std::to_string(b) + "] <= j" + std::to_string(b) + "[" + std::to_string(JB - 1) +
                       ":0]; s2_j[" + std::to_string(b) + "] <= s1_j[" + std::to_string(b) + "];\n")
      << "    s2_addr[" << b << "] <= s1_addr[" << b << "]; s2_en[" << b << "] <= !rst && s1_en[" << b << "]; s2_first["
      << b << "] <= s1_first[" << b << "];\n"
      << "    f_en[" << b << "] <= !rst && s2_en[" << b << "]; f_addr[" << b << "] <= s2_addr[" << b << "]; f_data["
      << b << "] <= new" << b << ";\n"
      << "    if (load_en && load_bank == " << BB << "'d" << b << ") fm0_" << b << "[load_addr] <= load_data;\n"
      << "    else if (s2_en[" << b << "] && !dst) fm0_" << b << "[s2_addr[" << b << "]] <= new" << b << ";\n"
      << "    if (s2_en[" << b << "] && dst) fm1_" << b << "[s2_addr[" << b << "]] <= new" << b << ";\n"
      << "  end\n";
  }
  // Classifier output: requantizer 0's v, one class per cycle; a reordered classifier (time-multiplexed) names the
  // network's class of each physical channel.
  const auto& cls_order = g.layers.back().order;
  const bool reordered = !std::is_sorted(cls_order.begin(), cls_order.end());
  v << "  wire [15:0] oc = d_tl + dg;\n";
  if (reordered) {
    v << "  reg [" << CB - 1 << ":0] net_class;\n  always @* begin\n    case (s1_class)\n";
    for (std::size_t pc = 0; pc < cls_order.size(); ++pc) {
      v << "      " << CB << "'d" << pc << ": net_class = " << CB << "'d" << cls_order[pc] << ";\n";
    }
    v << "      default: net_class = s1_class;\n    endcase\n  end\n";
  }
  v << "  always @(posedge clk) begin\n"
    << "    s1_cls <= !rst && drain && L_CLS && oc < L_COUT; s1_class <= oc[" << CB - 1 << ":0];\n"
    << "    out_valid <= !rst && s1_cls;\n"
    << "    out_class <= " << (reordered ? "net_class" : "s1_class") << ";\n"
    << "    out_data <= " << (VW == 64 ? std::string("v0") : "{{" + std::to_string(64 - VW) + "{v0[" + std::to_string(VW - 1) + "]}}, v0}") << ";\n"
    << "  end\n";
  v << "endmodule\n";
  g.verilog = v.str();

  // ---- Yosys script ----
  {
    std::ostringstream y;
    y << "# Whole-engine synthesis (flight rtl): yosys -q -s synth.ys in this folder\n"
      << "read_verilog engine.v\n"
      << "synth_xilinx -family xc7 -top flight_engine" << (d.slot == Block::mult_dsp ? "" : " -nodsp") << "\n"
      << "tee -o stat.txt stat\n";
    g.yosys_script = y.str();
  }

  // ---- Verilator testbench ----
  {
    std::ostringstream t;
    t << "// Generated by flight rtl: streams images through flight_engine and prints, per image, the cycles of\n"
      << "// each layer and the classifier outputs.  Input: images.bin (N images of C·H·W bytes, (C, H, W) order).\n"
      << "// Usage: ./Vflight_engine images.bin N > sim.txt\n"
      << "#include <cstdio>\n#include <cstdlib>\n#include <vector>\n"
      << "#include \"Vflight_engine.h\"\n#include \"verilated.h\"\n\n"
      << "int main(int argc, char** argv) {\n"
      << "  Verilated::commandArgs(argc, argv);\n"
      << "  if (argc < 3) { std::fprintf(stderr, \"usage: %s images.bin N\\n\", argv[0]); return 2; }\n"
      << "  const int C = " << net.in_c << ", H = " << net.in_h << ", W = " << net.in_w << ", P = " << P << ";\n"
      << "  const long n = std::atol(argv[2]);\n"
      << "  std::FILE* f = std::fopen(argv[1], \"rb\");\n"
      << "  if (!f) { std::fprintf(stderr, \"cannot open %s\\n\", argv[1]); return 2; }\n"
      << "  std::vector<unsigned char> img(std::size_t(C) * H * W);\n"
      << "  Vflight_engine* m = new Vflight_engine;\n"
      << "  auto tick = [&] { m->clk = 0; m->eval(); m->clk = 1; m->eval(); };\n"
      << "  m->rst = 1; m->start = 0; m->load_en = 0; tick(); tick(); m->rst = 0;\n"
      << "  for (long i = 0; i < n; ++i) {\n"
      << "    if (std::fread(img.data(), 1, img.size(), f) != img.size()) { std::fprintf(stderr, \"short read\\n\"); return 2; }\n"
      << "    for (int c = 0; c < C; ++c) for (int y = 0; y < H; ++y) for (int x = 0; x < W; ++x) {\n"
      << (GB > 0 ? "      const long v = (long(y) * W + x) * C + c;  // a copy per row group of " +
                       std::to_string(GB) + " banks\n      for (int r = 0; r < " + std::to_string(GG) +
                       "; ++r) {\n        m->load_en = 1; m->load_bank = int(r * " + std::to_string(GB) + " + v % " +
                       std::to_string(GB) + "); m->load_addr = int(v / " + std::to_string(GB) +
                       ");\n        m->load_data = img[(std::size_t(c) * H + y) * W + x]; tick();\n      }\n"
          : unr ? "      const long v = (long(y) * W + x) * C + c;  // pixel-major (unrolled window)\n"
                  "      m->load_en = 1; m->load_bank = int(v % P); m->load_addr = int(v / P);\n"
                  "      m->load_data = img[(std::size_t(c) * H + y) * W + x]; tick();\n"
                : "      m->load_en = 1; m->load_bank = c % P; m->load_addr = ((c / P) * H + y) * W + x;\n"
                  "      m->load_data = img[(std::size_t(c) * H + y) * W + x]; tick();\n")
      << "    }\n"
      << "    m->load_en = 0; m->start = 1; tick(); m->start = 0;\n"
      << "    long cyc = 0, layer_start = 0; int layer = 0;\n"
      << "    std::printf(\"image %ld\\n\", i);\n"
      << "    while (m->busy) {\n"
      << "      if (m->out_valid) std::printf(\"out %d %lld\\n\", int(m->out_class), (long long)m->out_data);\n"
      << "      if (int(m->layer) != layer) { std::printf(\"layer %d %ld\\n\", layer, cyc - layer_start); layer_start = cyc; layer = int(m->layer); }\n"
      << "      tick(); ++cyc;\n"
      << "      if (cyc > 2000000000L) { std::fprintf(stderr, \"engine did not finish\\n\"); return 1; }\n"
      << "    }\n"
      << "    if (m->out_valid) std::printf(\"out %d %lld\\n\", int(m->out_class), (long long)m->out_data);\n"
      << "    std::printf(\"layer %d %ld\\ncycles %ld\\n\", layer, cyc - layer_start, cyc);\n"
      << "  }\n"
      << "  m->final();\n  delete m;\n  std::fclose(f);\n  return 0;\n}\n";
    g.testbench = t.str();
  }
  return g;
}

}  // namespace flight::rtl
