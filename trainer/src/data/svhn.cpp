// SVHN format 2 ("cropped digits"): train_32x32.mat / test_32x32.mat, MATLAB v5 (official files are compressed).
//   X: uint8, dims 32×32×3×N, column-major, so pixel (row r, column c, channel ch, image n) sits at
//      r + 32·c + 1024·ch + 3072·n;
//   y: N×1 (or 1×N), labels 1..10 where 10 stands for the digit 0.
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/trainer/data/dataset.hpp"
#include "flight/trainer/data/matv5.hpp"

#include <cmath>

namespace flight::data {

namespace {
std::string dims_str(const std::vector<std::uint32_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}
}  // namespace

Split read_svhn_mat(const std::filesystem::path& file) {
  auto vars = read_mat_v5(file);
  const std::string where = file.string();
  auto xi = vars.find("X");
  if (xi == vars.end()) {
    throw InputError(describe_input_problem(where, "no variable 'X' in SVHN MAT-file", "variables X and y",
                                            vars.empty() ? "no numeric variables" : std::to_string(vars.size()) +
                                                                                    " other variable(s)"));
  }
  auto yi = vars.find("y");
  if (yi == vars.end()) {
    throw InputError(describe_input_problem(where, "no variable 'y' in SVHN MAT-file", "variables X and y",
                                            "X only"));
  }
  const MatArray& x = xi->second;
  const MatArray& y = yi->second;
  if (x.dims.size() != 4 || x.dims[0] != 32 || x.dims[1] != 32 || x.dims[2] != 3 || x.dims[3] == 0) {
    throw InputError(describe_input_problem(where, "bad shape of SVHN variable 'X'", "32x32x3xN with N > 0",
                                            dims_str(x.dims)));
  }
  if (x.bytes.empty()) {
    throw InputError(describe_input_problem(where, "bad type of SVHN variable 'X'", "uint8 (mxUINT8_CLASS)",
                                            "MATLAB class " + std::to_string(x.mx_class)));
  }
  const std::size_t n = x.dims[3];
  if (y.element_count() != n || y.dims.size() != 2 || (y.dims[0] != 1 && y.dims[1] != 1)) {
    throw InputError(describe_input_problem(where, "SVHN variable 'y' does not match 'X'",
                                            std::to_string(n) + "x1 labels", dims_str(y.dims)));
  }
  Split s;
  s.count = n;
  s.shape = ImageShape{3, 32, 32};
  s.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = y.bytes.empty() ? y.values[i] : y.bytes[i];
    if (!(v >= 1 && v <= 10) || v != std::floor(v)) {
      throw InputError(describe_input_problem(where, "SVHN label out of range at index " + std::to_string(i),
                                              "an integer 1..10 (10 = digit 0)", std::to_string(v)));
    }
    s.labels[i] = static_cast<std::uint16_t>(static_cast<int>(v) % 10);
  }
  // Column-major (r, c, ch, n) → our (n, ch, r, c).
  s.pixels.resize(n * 3072);
  for (std::size_t img = 0; img < n; ++img) {
    const std::uint8_t* src = x.bytes.data() + img * 3072;
    std::uint8_t* dst = s.pixels.data() + img * 3072;
    for (std::size_t ch = 0; ch < 3; ++ch)
      for (std::size_t c = 0; c < 32; ++c)
        for (std::size_t r = 0; r < 32; ++r) dst[ch * 1024 + r * 32 + c] = src[ch * 1024 + c * 32 + r];
  }
  return s;
}

}  // namespace flight::data
