#pragma once
// Text files compiled into the binary (shipped networks, cost and device tables); see cmake/EmbedFiles.cmake.
#include <string_view>
#include <vector>

namespace flight {

struct EmbeddedFile {
  std::string_view name;      // file name without directory, e.g. "lenet-l.toml"
  std::string_view contents;
};

}  // namespace flight
