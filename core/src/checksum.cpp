#include "flight/core/checksum.hpp"

#include <cstdio>

namespace flight {

void Fnv1a64::update(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = state_;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  state_ = h;
}

std::string to_hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Fnv1a64::hex() const { return to_hex64(state_); }

}  // namespace flight
