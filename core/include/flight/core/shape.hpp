#pragma once
// Image and tensor shapes.  Images are stored channel-major (C, H, W), row-major within a channel.
#include <cstddef>
#include <string>

namespace flight {

struct ImageShape {
  std::size_t channels = 0;
  std::size_t height = 0;
  std::size_t width = 0;

  std::size_t pixels() const { return channels * height * width; }
  // "28x28x1" — height x width x channels, the order people quote data sets in.
  std::string str() const;
  friend bool operator==(const ImageShape&, const ImageShape&) = default;
};

}  // namespace flight
