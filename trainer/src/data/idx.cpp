// IDX files (MNIST, Fashion-MNIST): a big-endian header — magic 0x00000800 | type << 8 | ndims, one uint32 per
// dimension — then the data.  Images are type 0x08 (uint8) with 3 dims, labels uint8 with 1 dim.
#include "file_bytes.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/trainer/data/dataset.hpp"

namespace flight::data {
namespace {

struct IdxHeader {
  std::vector<std::size_t> dims;
  std::size_t data_offset = 0;
};

IdxHeader parse_idx(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes, std::uint32_t magic,
                    const char* what) {
  const std::size_t ndims = magic & 0xffu;
  const std::size_t header_bytes = 4 + 4 * ndims;
  if (bytes.size() < 4) {
    throw InputError(describe_input_problem(file.string(), std::string("not an IDX ") + what + " file",
                                            "magic " + detail::hex32(magic),
                                            "only " + std::to_string(bytes.size()) + " bytes"));
  }
  const std::uint32_t found = detail::load_be32(bytes.data());
  if (found != magic) {
    throw InputError(describe_input_problem(file.string(), std::string("wrong IDX magic number for ") + what,
                                            detail::hex32(magic), detail::hex32(found)));
  }
  if (bytes.size() < header_bytes) {
    throw InputError(describe_input_problem(file.string(), "truncated IDX header",
                                            std::to_string(header_bytes) + " header bytes",
                                            std::to_string(bytes.size()) + " bytes"));
  }
  IdxHeader h;
  // The product of the dimensions is checked as it grows: three 32-bit dimensions can exceed 64 bits, and no
  // product larger than the file can be right anyway.
  std::uint64_t total = 1;
  bool overflow = false;
  for (std::size_t d = 0; d < ndims; ++d) {
    h.dims.push_back(detail::load_be32(bytes.data() + 4 + 4 * d));
    overflow = overflow || __builtin_mul_overflow(total, std::uint64_t(h.dims.back()), &total);
  }
  if (overflow) {
    std::string dims;
    for (auto v : h.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(v);
    throw InputError(describe_input_problem(file.string(), "IDX dimensions too large", "a product below 2^64",
                                            dims));
  }
  h.data_offset = header_bytes;
  if (h.dims[0] == 0) {
    throw InputError(describe_input_problem(file.string(), "empty IDX file", "at least one record", "count 0"));
  }
  const std::size_t have = bytes.size() - header_bytes;
  if (have != total) {
    throw InputError(describe_input_problem(
        file.string(), have < total ? "truncated IDX data" : "trailing bytes after IDX data",
        with_commas(total) + " data bytes for the header's dimensions", with_commas(have)));
  }
  return h;
}

}  // namespace

IdxImages read_idx_images(const std::filesystem::path& file) {
  auto bytes = detail::read_file_maybe_gzip(file);
  const auto h = parse_idx(file, bytes, 0x00000803u, "images");
  if (h.dims[1] == 0 || h.dims[2] == 0) {
    throw InputError(describe_input_problem(file.string(), "bad IDX image size", "rows and columns > 0",
                                            std::to_string(h.dims[1]) + "x" + std::to_string(h.dims[2])));
  }
  IdxImages out;
  out.count = h.dims[0];
  out.rows = h.dims[1];
  out.cols = h.dims[2];
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset));
  out.pixels = std::move(bytes);
  return out;
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file) {
  auto bytes = detail::read_file_maybe_gzip(file);
  const auto h = parse_idx(file, bytes, 0x00000801u, "labels");
  return {bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset), bytes.end()};
}

}  // namespace flight::data
