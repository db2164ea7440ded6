#include "flight/cost_models/rtl.hpp"

#include <sstream>

#include "flight/core/error.hpp"

namespace flight::cost_models {
namespace {

std::string shift_term(const std::string& n, int a, int e, int w) {
  // code 0 is the zero weight; codes 1..2^E−1 shift the activation left by code−1.
  std::ostringstream v;
  v << "  wire [" << w - 1 << ":0] ext_" << n << " = {" << w - a << "'d0, act};\n"
    << "  wire [" << w - 1 << ":0] mag_" << n << " = (code_" << n << " == 0) ? " << w << "'d0 : (ext_" << n
    << " << (code_" << n << " - 1'b1));\n"
    << "  wire signed [" << w << ":0] term_" << n << " = sgn_" << n << " ? -$signed({1'b0, mag_" << n
    << "}) : $signed({1'b0, mag_" << n << "});\n";
  (void)e;
  return v.str();
}

}  // namespace

std::string block_verilog(Block b, const BlockParams& p, const std::string& name) {
  std::ostringstream v;
  const int a = p.a_bits, e = p.e_bits, n = p.n_bits;
  switch (b) {
    case Block::shift_k1: {
      FLIGHT_CHECK(e >= 2 && a >= 2, "shift blocks need E >= 2, A >= 2");
      const int w = shift_magnitude_width(a, e);
      v << "module " << name << " (input clk, input [" << a - 1 << ":0] act, input sgn_0, input [" << e - 1
        << ":0] code_0, output reg signed [" << w << ":0] y);\n"
        << shift_term("0", a, e, w) << "  always @(posedge clk) y <= term_0;\nendmodule\n";
      break;
    }
    case Block::shift_k2: {
      FLIGHT_CHECK(e >= 2 && a >= 2, "shift blocks need E >= 2, A >= 2");
      const int w = shift_magnitude_width(a, e);
      v << "module " << name << " (input clk, input [" << a - 1 << ":0] act, input sgn_0, input [" << e - 1
        << ":0] code_0, input sgn_1, input [" << e - 1 << ":0] code_1, output reg signed [" << w + 1 << ":0] y);\n"
        << shift_term("0", a, e, w) << shift_term("1", a, e, w)
        << "  always @(posedge clk) y <= term_0 + term_1;\nendmodule\n";
      break;
    }
    case Block::mult_lut:
    case Block::mult_dsp:
      FLIGHT_CHECK(n >= 2 && a >= 2, "multiplier widths >= 2");
      v << "module " << name << " (input clk, input [" << a - 1 << ":0] act, input signed [" << n - 1
        << ":0] wt, output reg signed [" << n + a - 1 << ":0] y);\n"
        << "  always @(posedge clk) y <= $signed({1'b0, act}) * wt;\nendmodule\n";
      break;
    case Block::adder:
      FLIGHT_CHECK(p.width >= 2, "adder width >= 2");
      v << "module " << name << " (input clk, input signed [" << p.width - 1 << ":0] a, input signed ["
        << p.width - 1 << ":0] b, output reg signed [" << p.width << ":0] y);\n"
        << "  always @(posedge clk) y <= a + b;\nendmodule\n";
      break;
    case Block::requant:
    case Block::requant_dsp: {
      // sim::Requant: v = x·m + o (one stage; o includes the rounding half), then v >> frac clamped to A bits (one
      // stage; the clamp compares v with the layer's sat = 2^(frac + A) instead of shifting all of v).  frac and sat
      // are per-layer constants of the engine; here they are ports like the operands.
      const int w = p.width, vw = requant_value_width(w);
      FLIGHT_CHECK(w > a && a >= 2, "requant: accumulator wider than the activation");
      v << "module " << name << " (input clk, input signed [" << w - 1 << ":0] x, input signed ["
        << kRequantMultBits - 1 << ":0] m,\n  input signed [" << kRequantOffsetBits - 1
        << ":0] o, input [5:0] frac, input [" << vw << ":0] sat, output reg signed [" << vw - 1
        << ":0] v, output reg [" << a - 1 << ":0] q);\n"
        << "  wire signed [" << w + kRequantMultBits - 1 << ":0] prod = x * m;\n"
        << "  /* verilator lint_off UNUSEDSIGNAL */\n"
        << "  wire [" << vw - 1 << ":0] shr = v >> frac;  // only its low A bits are used\n"
        << "  /* verilator lint_on UNUSEDSIGNAL */\n"
        << "  always @(posedge clk) begin\n"
        << "    v <= {{" << vw - w - kRequantMultBits << "{prod[" << w + kRequantMultBits - 1 << "]}}, prod} + {{"
        << vw - kRequantOffsetBits << "{o[" << kRequantOffsetBits - 1 << "]}}, o};\n"
        << "    q <= v[" << vw - 1 << "] ? " << a << "'d0 : {1'b0, v} >= sat ? " << a << "'d" << ((1L << a) - 1)
        << " : shr[" << a - 1 << ":0];\n"
        << "  end\nendmodule\n";
      break;
    }
    case Block::fp32_mult:
      v << "module " << name << " (input clk, input [31:0] a, input [31:0] b, output reg [31:0] y);\n"
        << "  wire [7:0] ea = a[30:23], eb = b[30:23];\n"
        << "  wire [23:0] ma = {|ea, a[22:0]}, mb = {|eb, b[22:0]};\n"
        << "  wire [47:0] p = ma * mb;\n"
        << "  wire [9:0] e = {2'b0, ea} + {2'b0, eb} - 10'd127 + {9'b0, p[47]};\n"
        << "  wire [22:0] m = p[47] ? p[46:24] : p[45:23];\n"
        << "  wire zero = (ea == 0) | (eb == 0) | e[9];\n"
        << "  always @(posedge clk) y <= zero ? 32'd0 : {a[31] ^ b[31], e[7:0], m};\nendmodule\n";
      break;
    case Block::fp32_add:
      v << "module " << name << " (input clk, input [31:0] a, input [31:0] b, output reg [31:0] y);\n"
        << "  wire a_big = a[30:0] >= b[30:0];\n"
        << "  wire [31:0] x = a_big ? a : b, z = a_big ? b : a;\n"
        << "  wire [7:0] ex = x[30:23], ez = z[30:23];\n"
        << "  wire [23:0] mx = {|ex, x[22:0]}, mz = {|ez, z[22:0]};\n"
        << "  wire [7:0] d = ex - ez;\n"
        << "  wire [23:0] mzs = (d > 8'd24) ? 24'd0 : (mz >> d);\n"
        << "  wire [24:0] s = (x[31] ^ z[31]) ? {1'b0, mx} - {1'b0, mzs} : {1'b0, mx} + {1'b0, mzs};\n"
        << "  reg [4:0] lz;\n  integer i;\n"
        << "  always @* begin lz = 5'd24; for (i = 0; i < 25; i = i + 1) if (s[i]) lz = 24 - i; end\n"
        << "  wire [24:0] sn = s << lz;\n"
        << "  wire [8:0] en = {1'b0, ex} + 9'd1 - {4'b0, lz};\n"
        << "  always @(posedge clk) y <= (s == 0 || en[8]) ? 32'd0 : {x[31], en[7:0], sn[23:1]};\nendmodule\n";
      break;
  }
  return v.str();
}

std::string lane_verilog(Block slot, const BlockParams& p, int p_in, int acc_bits, const std::string& name) {
  FLIGHT_CHECK(p_in >= 1 && (slot == Block::shift_k1 || slot == Block::shift_k2 || slot == Block::mult_lut ||
                             slot == Block::mult_dsp),
               "lane of shift or multiplier slots");
  std::ostringstream v;
  v << block_verilog(slot, p, name + "_slot");
  const int sw = block_output_width(slot, p);
  const bool two_terms = slot == Block::shift_k2;
  const bool mult = slot == Block::mult_lut || slot == Block::mult_dsp;
  const int wbits = mult ? p.n_bits : (two_terms ? 2 : 1) * (1 + p.e_bits);
  v << "module " << name << " (input clk, input clr, input [" << p_in * p.a_bits - 1 << ":0] acts, input ["
    << p_in * wbits - 1 << ":0] wts, output reg signed [" << acc_bits - 1 << ":0] acc);\n";
  for (int i = 0; i < p_in; ++i) {
    v << "  wire signed [" << sw - 1 << ":0] s0_" << i << ";\n";
    const std::string act = "acts[" + std::to_string((i + 1) * p.a_bits - 1) + ":" + std::to_string(i * p.a_bits) + "]";
    const int base = i * wbits;
    if (mult) {
      v << "  " << name << "_slot u" << i << " (.clk(clk), .act(" << act << "), .wt(wts[" << base + wbits - 1 << ":"
        << base << "]), .y(s0_" << i << "));\n";
    } else {
      auto term = [&](int t) {
        const int tb = base + t * (1 + p.e_bits);
        return ".sgn_" + std::to_string(t) + "(wts[" + std::to_string(tb + p.e_bits) + "]), .code_" +
               std::to_string(t) + "(wts[" + std::to_string(tb + p.e_bits - 1) + ":" + std::to_string(tb) + "])";
      };
      v << "  " << name << "_slot u" << i << " (.clk(clk), .act(" << act << "), " << term(0)
        << (two_terms ? ", " + term(1) : std::string()) << ", .y(s0_" << i << "));\n";
    }
  }
  // Registered adder tree: level l has ceil(count/2) nodes, one bit wider than the level below.
  int count = p_in, width = sw, level = 0;
  while (count > 1) {
    const int next = (count + 1) / 2;
    for (int j = 0; j < next; ++j) {
      v << "  reg signed [" << width << ":0] s" << level + 1 << "_" << j << ";\n";
      if (2 * j + 1 < count) {
        v << "  always @(posedge clk) s" << level + 1 << "_" << j << " <= s" << level << "_" << 2 * j << " + s"
          << level << "_" << 2 * j + 1 << ";\n";
      } else {
        v << "  always @(posedge clk) s" << level + 1 << "_" << j << " <= s" << level << "_" << 2 * j << ";\n";
      }
    }
    count = next;
    ++width;
    ++level;
  }
  v << "  always @(posedge clk) acc <= clr ? " << acc_bits << "'sd0 : acc + s" << level << "_0;\nendmodule\n";
  return v.str();
}

}  // namespace flight::cost_models
