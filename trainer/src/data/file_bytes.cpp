#include "file_bytes.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <memory>

#include "flight/core/error.hpp"
#include "flight/core/text.hpp"

namespace flight::data::detail {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::vector<std::uint8_t> inflate_gzip(const std::filesystem::path& file, const std::vector<std::uint8_t>& packed) {
  z_stream zs{};
  // 15 + 16: zlib window with gzip header decoding only.
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw RunError(file.string() + ": zlib inflateInit2 failed");
  std::vector<std::uint8_t> out;
  // The gzip trailer stores the uncompressed size mod 2^32: a good first guess for the buffer.
  std::size_t guess = packed.size() >= 4 ? (std::size_t(packed[packed.size() - 1]) << 24 |
                                            std::size_t(packed[packed.size() - 2]) << 16 |
                                            std::size_t(packed[packed.size() - 3]) << 8 | packed[packed.size() - 4])
                                         : 0;
  // Deflate cannot expand data more than ~1032:1, so a larger "size" means a truncated or corrupt trailer.
  guess = std::min(guess, packed.size() * 1032);
  out.resize(std::max<std::size_t>(guess + 1, packed.size() * 2 + 1024));
  zs.next_in = const_cast<Bytef*>(packed.data());
  std::size_t in_left = packed.size();
  std::size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    const uInt in_chunk = static_cast<uInt>(std::min<std::size_t>(in_left, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    zs.avail_in = in_chunk;
    zs.next_out = out.data() + produced;
    zs.avail_out = out_chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    in_left -= in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && in_left == 0 && zs.avail_out != 0) break;  // input ended mid-stream
  }
  std::string msg = zs.msg ? zs.msg : "";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    throw InputError(describe_input_problem(file.string(), "corrupt or truncated gzip data",
                                            "a complete gzip stream",
                                            msg.empty() ? "the stream ends early" : "zlib error '" + msg + "'"));
  }
  out.resize(produced);
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
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return inflate_gzip(file, bytes);
  if (file.extension() == ".gz") {
    throw InputError(describe_input_problem(file.string(), "not a gzip file", "gzip magic 1f 8b",
                                            bytes.size() < 2 ? "a file shorter than 2 bytes" : "other bytes"));
  }
  return bytes;
}

}  // namespace flight::data::detail
