#pragma once
// Shared by the libFuzzer targets: the readers take file paths, so each input is written to a file first (in
// /dev/shm when there is one).  An input the reader refuses must throw InputError; any other exception, a crash, a
// sanitizer report or a hang is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "flight/core/error.hpp"

namespace flight::fuzz {

inline std::filesystem::path scratch_file(const char* suffix) {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    const std::filesystem::path shm = "/dev/shm";
    return std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
  }();
  return dir / ("flight-fuzz-" + std::to_string(::getpid()) + suffix);
}

inline void write_input(const std::filesystem::path& p, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// Runs fn: accepting the input or refusing it with InputError are the only outcomes allowed.
template <typename Fn>
void expect_accept_or_input_error(Fn&& fn) {
  try {
    fn();
  } catch (const flight::InputError&) {
  }
}

}  // namespace flight::fuzz
