// MATLAB level-5 MAT-file reader (numeric arrays).  Layout, from MathWorks' "MAT-File Format" (matfile_format.pdf):
//   128-byte header: 116 bytes text ("MATLAB 5.0 MAT-file..."), 8 bytes subsystem offset, uint16 version 0x0100,
//   2 bytes endian indicator "IM" when written little-endian ("MI" read back means big-endian).
//   Then data elements: an 8-byte tag (uint32 type, uint32 byte count) + data padded to 8 bytes, or the small form
//   (uint16 byte count in the high half of the first word, type in the low half, ≤ 4 data bytes in the second word).
//   miMATRIX (14) holds sub-elements: array flags, dimensions, name, real part [, imaginary part].
//   miCOMPRESSED (15) holds one zlib-compressed element and is not padded.
#include "flight/trainer/data/matv5.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "file_bytes.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"

namespace flight::data {
namespace {

enum : std::uint32_t {
  miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6, miSINGLE = 7, miDOUBLE = 9,
  miINT64 = 12, miUINT64 = 13, miMATRIX = 14, miCOMPRESSED = 15, miUTF8 = 16, miUTF16 = 17, miUTF32 = 18
};

constexpr int mxDOUBLE = 6, mxUINT64 = 15, mxUINT8 = 9;

std::size_t element_size(std::uint32_t type) {
  switch (type) {
    case miINT8: case miUINT8: return 1;
    case miINT16: case miUINT16: return 2;
    case miINT32: case miUINT32: case miSINGLE: return 4;
    case miDOUBLE: case miINT64: case miUINT64: return 8;
    default: return 0;
  }
}

class Reader {
 public:
  Reader(const std::filesystem::path& file, const std::uint8_t* data, std::size_t size, bool swap)
      : file_(file), data_(data), size_(size), swap_(swap) {}

  bool at_end() const { return pos_ >= size_; }
  std::size_t pos() const { return pos_; }

  [[noreturn]] void fail(const std::string& what, const std::string& expected, const std::string& found) const {
    throw InputError(describe_input_problem(file_.string(), "malformed MAT-file: " + what, expected, found));
  }

  void need(std::size_t n, const char* what) const {
    if (size_ - pos_ < n) {
      fail(std::string("truncated ") + what, std::to_string(n) + " more bytes at offset " + std::to_string(pos_),
           std::to_string(size_ - pos_));
    }
  }

  std::uint32_t u32() {
    need(4, "element");
    std::uint32_t v;
    std::memcpy(&v, data_ + pos_, 4);
    if (swap_) v = __builtin_bswap32(v);
    pos_ += 4;
    return v;
  }

  struct Tag {
    std::uint32_t type;
    std::uint32_t nbytes;
    std::size_t data_pos;
    bool small;
  };

  Tag tag() {
    need(8, "element tag");
    const std::uint32_t first = u32();
    if ((first >> 16) != 0) {  // small data element: data sits in the next 4 bytes
      Tag t{first & 0xffffu, first >> 16, pos_, true};
      if (t.nbytes > 4) fail("small data element", "at most 4 bytes", std::to_string(t.nbytes));
      pos_ += 4;
      return t;
    }
    Tag t{first, u32(), 0, false};
    t.data_pos = pos_;
    need(t.nbytes, "element data");
    return t;
  }

  // Moves past a normal element's data and its padding to 8 bytes.
  void skip_data(const Tag& t) {
    if (t.small) return;
    std::size_t padded = (static_cast<std::size_t>(t.nbytes) + 7) & ~std::size_t(7);
    pos_ = std::min(size_, t.data_pos + padded);
  }

  void skip_unpadded(const Tag& t) { pos_ = t.data_pos + t.nbytes; }

  const std::uint8_t* at(std::size_t p) const { return data_ + p; }
  bool swap() const { return swap_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  const std::filesystem::path& file_;
  const std::uint8_t* data_;
  std::size_t size_;
  bool swap_;
  std::size_t pos_ = 0;
};

double load_value(const std::uint8_t* p, std::uint32_t type, bool swap) {
  std::uint8_t buf[8];
  const std::size_t n = element_size(type);
  std::memcpy(buf, p, n);
  if (swap) std::reverse(buf, buf + n);
  switch (type) {
    case miINT8: { std::int8_t v; std::memcpy(&v, buf, 1); return v; }
    case miUINT8: return buf[0];
    case miINT16: { std::int16_t v; std::memcpy(&v, buf, 2); return v; }
    case miUINT16: { std::uint16_t v; std::memcpy(&v, buf, 2); return v; }
    case miINT32: { std::int32_t v; std::memcpy(&v, buf, 4); return v; }
    case miUINT32: { std::uint32_t v; std::memcpy(&v, buf, 4); return v; }
    case miSINGLE: { float v; std::memcpy(&v, buf, 4); return v; }
    case miDOUBLE: { double v; std::memcpy(&v, buf, 8); return v; }
    case miINT64: { std::int64_t v; std::memcpy(&v, buf, 8); return static_cast<double>(v); }
    case miUINT64: { std::uint64_t v; std::memcpy(&v, buf, 8); return static_cast<double>(v); }
    default: return 0;
  }
}

std::vector<std::uint8_t> inflate_element(const std::filesystem::path& file, const std::uint8_t* data,
                                          std::size_t n) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) throw RunError(file.string() + ": zlib inflateInit failed");
  std::vector<std::uint8_t> out(std::max<std::size_t>(n * 4, 4096));
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(n);
  std::size_t produced = 0;
  int rc;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = out.data() + produced;
    const uInt room = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    zs.avail_out = room;
    rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in != 0) continue;
    break;
  }
  std::string msg = zs.msg ? zs.msg : "the stream ends early";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    throw InputError(describe_input_problem(file.string(), "corrupt compressed MAT-file element",
                                            "a complete zlib stream", msg));
  }
  out.resize(produced);
  return out;
}

// Parses one miMATRIX body (the bytes after its tag).  Returns false for arrays we skip (non-numeric).
bool parse_matrix(Reader& r, MatArray& out) {
  if (r.at_end()) return false;  // empty placeholder element
  auto flags_tag = r.tag();
  if (flags_tag.type != miUINT32 || flags_tag.nbytes != 8) {
    r.fail("array flags", "miUINT32 of 8 bytes", "type " + std::to_string(flags_tag.type) + " of " +
                                                     std::to_string(flags_tag.nbytes) + " bytes");
  }
  const std::uint32_t flags = r.u32();
  r.u32();  // nzmax
  out.mx_class = static_cast<int>(flags & 0xffu);
  const bool complex = (flags & 0x0800u) != 0;

  auto dims_tag = r.tag();
  if (dims_tag.type != miINT32 || dims_tag.nbytes % 4 != 0 || dims_tag.nbytes < 8) {
    r.fail("dimensions", "miINT32 with at least 2 dimensions", "type " + std::to_string(dims_tag.type) + " of " +
                                                                   std::to_string(dims_tag.nbytes) + " bytes");
  }
  out.dims.clear();
  for (std::uint32_t i = 0; i < dims_tag.nbytes / 4; ++i) {
    const double d = load_value(r.at(dims_tag.data_pos + 4 * i), miINT32, r.swap());
    if (d < 0) r.fail("dimension " + std::to_string(i + 1), "a non-negative size", std::to_string(std::int64_t(d)));
    out.dims.push_back(static_cast<std::uint32_t>(d));
  }
  r.skip_data(dims_tag);

  auto name_tag = r.tag();
  if (name_tag.type != miINT8) r.fail("array name", "miINT8", "type " + std::to_string(name_tag.type));
  out.name.assign(reinterpret_cast<const char*>(r.at(name_tag.data_pos)), name_tag.nbytes);
  r.skip_data(name_tag);

  if (out.mx_class < mxDOUBLE || out.mx_class > mxUINT64) return false;  // cell, struct, char, sparse...
  if (complex) r.fail("variable '" + out.name + "'", "a real array", "a complex array");

  auto real_tag = r.tag();
  const std::size_t esize = element_size(real_tag.type);
  if (esize == 0) r.fail("data of '" + out.name + "'", "a numeric element type", "type " + std::to_string(real_tag.type));
  const std::uint64_t count = out.element_count();
  std::uint64_t want = 0;
  if (count == UINT64_MAX || __builtin_mul_overflow(count, std::uint64_t(esize), &want)) {
    r.fail("dimensions of '" + out.name + "'", "a product below 2^64", "dimensions that overflow it");
  }
  if (real_tag.nbytes != want) {
    r.fail("data of '" + out.name + "'", with_commas(want) + " bytes for its dimensions",
           with_commas(real_tag.nbytes) + " bytes");
  }
  const std::uint8_t* p = r.at(real_tag.data_pos);
  if (out.mx_class == mxUINT8 && real_tag.type == miUINT8) {
    out.bytes.assign(p, p + count);
  } else {
    out.values.resize(count);
    for (std::uint64_t i = 0; i < count; ++i) out.values[i] = load_value(p + i * esize, real_tag.type, r.swap());
  }
  r.skip_data(real_tag);
  return true;
}

void read_elements(Reader& r, std::map<std::string, MatArray>& vars) {
  while (!r.at_end()) {
    auto t = r.tag();
    if (t.type == miCOMPRESSED) {
      if (t.small) r.fail("compressed element", "a normal tag", "a small tag");
      auto inner = inflate_element(r.file(), r.at(t.data_pos), t.nbytes);
      Reader sub(r.file(), inner.data(), inner.size(), r.swap());
      read_elements(sub, vars);
      r.skip_unpadded(t);  // miCOMPRESSED elements are not padded
      continue;
    }
    if (t.type == miMATRIX && !t.small) {
      Reader body(r.file(), r.at(t.data_pos), t.nbytes, r.swap());
      MatArray a;
      if (parse_matrix(body, a)) vars[a.name] = std::move(a);
    }
    r.skip_data(t);
  }
}

}  // namespace

std::uint64_t MatArray::element_count() const {
  std::uint64_t n = 1;
  for (auto d : dims)
    if (__builtin_mul_overflow(n, std::uint64_t(d), &n)) return UINT64_MAX;  // saturates: never a valid count
  return n;
}

std::map<std::string, MatArray> read_mat_v5(const std::filesystem::path& file) {
  const auto bytes = detail::read_file_raw(file);
  const std::string where = file.string();
  if (bytes.size() < 128) {
    throw InputError(describe_input_problem(where, "not a MATLAB v5 MAT-file", "a 128-byte header",
                                            std::to_string(bytes.size()) + " bytes"));
  }
  if (std::memcmp(bytes.data(), "MATLAB", 6) != 0) {
    throw InputError(describe_input_problem(where, "not a MATLAB MAT-file", "header text starting 'MATLAB'",
                                            "other bytes"));
  }
  bool swap;
  if (bytes[126] == 'I' && bytes[127] == 'M') {
    swap = false;
  } else if (bytes[126] == 'M' && bytes[127] == 'I') {
    swap = true;
  } else {
    throw InputError(describe_input_problem(where, "bad MAT-file endian indicator", "'IM' or 'MI'", "other bytes"));
  }
  std::uint16_t version;
  std::memcpy(&version, bytes.data() + 124, 2);
  if (swap) version = __builtin_bswap16(version);
  if (version == 0x0200) {
    throw InputError(describe_input_problem(where, "MATLAB v7.3 (HDF5) MAT-file is not supported",
                                            "a level-5 MAT-file (save with -v7)", "version 0x0200"));
  }
  if (version != 0x0100) {
    throw InputError(describe_input_problem(where, "unknown MAT-file version", "0x0100", detail::hex32(version)));
  }
  std::map<std::string, MatArray> vars;
  Reader r(file, bytes.data() + 128, bytes.size() - 128, swap);
  read_elements(r, vars);
  return vars;
}

}  // namespace flight::data
