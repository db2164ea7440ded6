#pragma once
// Content checksums for reporting ("the pixels you loaded are the pixels I loaded").
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace flight {

// 64-bit FNV-1a over the bytes, in order.  Not cryptographic; stable across platforms and releases.
class Fnv1a64 {
 public:
  void update(std::span<const std::uint8_t> bytes);
  std::uint64_t value() const { return state_; }
  std::string hex() const;  // 16 lowercase hex digits

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

std::string to_hex64(std::uint64_t v);

}  // namespace flight
