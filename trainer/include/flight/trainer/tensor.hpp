#pragma once
// A dense float32 tensor in NCHW order; fully connected activations are (N, C, 1, 1).
//
// Channel-blocked layout (`blocked`): the channels in blocks of kChannelBlock, the block's channels innermost —
// (N, C/16, H, W, 16), oneDNN's nChw16c — so that a convolution's output reaches the next convolution without a
// reorder on CPUs whose oneDNN kernels use it (AVX-512; Model picks the layout, issue 14).  Only with C a multiple of
// 16.  shape stays (N, C, H, W) in both layouts.
#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace flight::trainer {

inline constexpr int kChannelBlock = 16;

struct Tensor {
  std::array<int, 4> shape{0, 0, 0, 0};  // N, C, H, W
  std::vector<float> v;
  bool blocked = false;  // channel-blocked layout (above)

  Tensor() = default;
  Tensor(int n, int c, int h, int w, float fill = 0.0f) : shape{n, c, h, w}, v(std::size_t(n) * c * h * w, fill) {}

  // Gives the tensor this shape for an output that will be fully overwritten: the buffer is kept when it is large
  // enough, and the values are unspecified (no allocation, no zeroing per training step).  The layout is set too.
  void reshape(int n, int c, int h, int w, bool channel_blocked = false) {
    shape = {n, c, h, w};
    blocked = channel_blocked;
    v.resize(std::size_t(n) * c * h * w);
  }
  // The same, all zero (for outputs that are accumulated into).
  void zeros(int n, int c, int h, int w, bool channel_blocked = false) {
    reshape(n, c, h, w, channel_blocked);
    std::fill(v.begin(), v.end(), 0.0f);
  }

  int n() const { return shape[0]; }
  int c() const { return shape[1]; }
  int h() const { return shape[2]; }
  int w() const { return shape[3]; }
  std::size_t size() const { return v.size(); }
  std::size_t per_sample() const { return std::size_t(shape[1]) * shape[2] * shape[3]; }
  std::size_t plane() const { return std::size_t(shape[2]) * shape[3]; }
  // Blocked layout: the channel blocks of one image, and block `cb` of image `n` (plane() × 16 floats).
  int channel_blocks() const { return shape[1] / kChannelBlock; }
  float* block(int n, int cb) { return v.data() + (std::size_t(n) * channel_blocks() + cb) * plane() * kChannelBlock; }
  const float* block(int n, int cb) const {
    return v.data() + (std::size_t(n) * channel_blocks() + cb) * plane() * kChannelBlock;
  }
  float* data() { return v.data(); }
  const float* data() const { return v.data(); }
  float& operator[](std::size_t i) { return v[i]; }
  float operator[](std::size_t i) const { return v[i]; }
};

}  // namespace flight::trainer
