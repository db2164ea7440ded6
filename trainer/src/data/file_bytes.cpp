#include "file_bytes.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "flight/core/error.hpp"
#include "flight/core/text.hpp"

namespace flight::data::detail {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// zlib's gzip reader does the stream handling (headers, concatenated members, the CRC and length trailer); a stream
// that ends early or fails its check is an InputError naming the file.
std::vector<std::uint8_t> inflate_gzip(const std::filesystem::path& file) {
  std::unique_ptr<gzFile_s, GzCloser> gz(gzopen(file.c_str(), "rb"));
  if (!gz) throw InputError(file.string() + ": cannot open (" + std::strerror(errno) + ")");
  gzbuffer(gz.get(), 1 << 17);
  std::vector<std::uint8_t> out;
  constexpr std::size_t kChunk = std::size_t(1) << 22;
  while (true) {
    const std::size_t at = out.size();
    out.resize(at + kChunk);
    const std::size_t n = gzfread(out.data() + at, 1, kChunk, gz.get());
    out.resize(at + n);
    if (n < kChunk) break;
  }
  int err = Z_OK;
  const char* msg = gzerror(gz.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    throw InputError(describe_input_problem(file.string(), "corrupt or truncated gzip data", "a complete gzip stream",
                                            std::string("zlib: ") + (msg ? msg : "error")));
  }
  return out;
}

}  // namespace

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::vector<std::uint8_t> read_file_raw(const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "rb"));
  if (!f) {
    throw InputError(file.string() + ": cannot open (" + std::strerror(errno) + ")");
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw InputError(file.string() + ": cannot stat (" + ec.message() + ")");
  std::vector<std::uint8_t> bytes(size);
  if (size > 0 && std::fread(bytes.data(), 1, size, f.get()) != size) {
    throw RunError(file.string() + ": read error after " + with_commas(size) + " bytes expected");
  }
  return bytes;
}

std::vector<std::uint8_t> read_file_maybe_gzip(const std::filesystem::path& file) {
  auto bytes = read_file_raw(file);
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return inflate_gzip(file);
  if (file.extension() == ".gz") {
    throw InputError(describe_input_problem(file.string(), "not a gzip file", "gzip magic 1f 8b",
                                            bytes.size() < 2 ? "a file shorter than 2 bytes" : "other bytes"));
  }
  return bytes;
}

}  // namespace flight::data::detail
