#pragma once
// Whole-file reading for the loaders (private to trainer/data).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace flight::data::detail {

// Reads the whole file.  A file that starts with the gzip magic (1f 8b) is inflated; a corrupt or truncated gzip
// stream is an InputError naming the file.  A missing or unreadable file is an InputError too.
std::vector<std::uint8_t> read_file_maybe_gzip(const std::filesystem::path& file);

// Reads the whole file as it is on disk.
std::vector<std::uint8_t> read_file_raw(const std::filesystem::path& file);

// Big-endian 32-bit read at offset (caller checks the bounds).
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

std::string hex32(std::uint32_t v);

}  // namespace flight::data::detail
