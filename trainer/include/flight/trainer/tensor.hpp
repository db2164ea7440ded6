#pragma once
// A dense float32 tensor in NCHW order; fully connected activations are (N, C, 1, 1).
#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace flight::trainer {

struct Tensor {
  std::array<int, 4> shape{0, 0, 0, 0};  // N, C, H, W
  std::vector<float> v;

  Tensor() = default;
  Tensor(int n, int c, int h, int w, float fill = 0.0f) : shape{n, c, h, w}, v(std::size_t(n) * c * h * w, fill) {}

  // Gives the tensor this shape for an output that will be fully overwritten: the buffer is kept when it is large
  // enough, and the values are unspecified (no allocation, no zeroing per training step).
  void reshape(int n, int c, int h, int w) {
    shape = {n, c, h, w};
    v.resize(std::size_t(n) * c * h * w);
  }
  // The same, all zero (for outputs that are accumulated into).
  void zeros(int n, int c, int h, int w) {
    reshape(n, c, h, w);
    std::fill(v.begin(), v.end(), 0.0f);
  }

  int n() const { return shape[0]; }
  int c() const { return shape[1]; }
  int h() const { return shape[2]; }
  int w() const { return shape[3]; }
  std::size_t size() const { return v.size(); }
  std::size_t per_sample() const { return std::size_t(shape[1]) * shape[2] * shape[3]; }
  float* data() { return v.data(); }
  const float* data() const { return v.data(); }
  float& operator[](std::size_t i) { return v[i]; }
  float operator[](std::size_t i) const { return v[i]; }
};

}  // namespace flight::trainer
