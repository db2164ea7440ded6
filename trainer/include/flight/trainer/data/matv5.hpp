#pragma once
// A reader for MATLAB level-5 MAT-files (the format of SVHN's train_32x32.mat), numeric arrays only.
// Handles both byte orders, zlib-compressed elements (miCOMPRESSED) and the small-element form of tags.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace flight::data {

struct MatArray {
  std::string name;
  int mx_class = 0;                 // MATLAB array class: 6 double, 7 single, 8 int8, 9 uint8, ... 15 uint64
  std::vector<std::uint32_t> dims;  // column-major, as stored
  std::vector<double> values;       // filled for every class except uint8 (stored in bytes instead)
  std::vector<std::uint8_t> bytes;  // uint8 arrays keep their bytes (column-major)

  std::uint64_t element_count() const;  // UINT64_MAX when the product of the dimensions overflows
};

// Reads every numeric array; non-numeric variables (cells, structs, chars, sparse) are skipped.
// Throws InputError naming the file on any malformed header, element or truncated data.
std::map<std::string, MatArray> read_mat_v5(const std::filesystem::path& file);

}  // namespace flight::data
