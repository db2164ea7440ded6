#pragma once
// Data sets in their official on-disk formats (DESIGN.md §6).
//
// Contract: loaders read whole files, validate every header field, record count and label, and either return a
// complete Dataset or throw InputError with one line naming the file, what was expected and what was found.
// Pixels are uint8, stored per image channel-major (C, H, W), row-major inside a channel, whatever the file layout.
// Thread safety: the functions share no state; a loaded Dataset is immutable by convention.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flight/core/shape.hpp"

namespace flight::data {

enum class DatasetId { mnist, fashion_mnist, cifar10, cifar100, svhn };

// The CLI names: "mnist", "fashion-mnist", "cifar10", "cifar100", "svhn".
std::string_view dataset_name(DatasetId id);
std::optional<DatasetId> parse_dataset_id(std::string_view name);
const std::vector<DatasetId>& all_datasets();
// "mnist, fashion-mnist, ..." for error messages.
std::string dataset_names_joined();

struct Split {
  std::size_t count = 0;
  ImageShape shape;
  std::vector<std::uint8_t> pixels;         // count × shape.pixels(): (N, C, H, W)
  std::vector<std::uint16_t> labels;        // count, each in [0, num_classes)
  std::vector<std::uint8_t> coarse_labels;  // CIFAR-100 only (count entries, in [0, 20)); empty otherwise

  std::span<const std::uint8_t> image(std::size_t i) const {
    return {pixels.data() + i * shape.pixels(), shape.pixels()};
  }
};

struct Dataset {
  DatasetId id = DatasetId::mnist;
  ImageShape shape;
  int num_classes = 0;
  std::vector<std::string> class_names;  // num_classes entries
  int num_coarse_classes = 0;            // 20 for CIFAR-100, else 0
  std::vector<std::string> coarse_class_names;
  Split train;
  Split test;
  std::filesystem::path directory;               // the folder the files were read from
  std::vector<std::filesystem::path> files;      // every file read, in order
  bool synthetic = false;                        // a SYNTHETIC-NOT-REAL-DATA.txt marker sits beside the files
};

// What is known of each official data set without reading a file; the one place these facts live.
struct DatasetFacts {
  ImageShape shape;
  int classes = 0;
  std::size_t train_images = 0, test_images = 0;
  bool crop_augment = false;  // random crop with 4-pixel padding in training (the 32×32 data sets)
  bool flip_augment = false;  // horizontal flip in training (CIFAR only: digits must not be mirrored)
};
const DatasetFacts& dataset_facts(DatasetId id);
inline ImageShape official_shape(DatasetId id) { return dataset_facts(id).shape; }
inline int official_classes(DatasetId id) { return dataset_facts(id).classes; }

// Where data lives: --data-dir if given, else $FLIGHT_DATA, else ./data.
std::filesystem::path resolve_data_root(const std::optional<std::string>& cli_data_dir);

// Whether the files of a data set are under root, and if not, a one-line reason that names the files expected and
// where to get them.  Never throws for a missing data set; malformed files are found only by load_dataset.
struct Presence {
  bool present = false;
  std::filesystem::path directory;
  std::string reason;
};
Presence find_dataset(DatasetId id, const std::filesystem::path& root);

// Loads train and test splits.  Throws InputError when the data set is missing or any file is malformed.
Dataset load_dataset(DatasetId id, const std::filesystem::path& root);

// Per-format readers, exposed for tests and for users pointing at single files.
struct IdxImages {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
};
IdxImages read_idx_images(const std::filesystem::path& file);  // magic 0x00000803, plain or gzip
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file);  // magic 0x00000801

// Appends the records of one CIFAR binary file.  fine_classes = 10 (CIFAR-10: label byte) or
// 100 (CIFAR-100: coarse byte, fine byte).
void read_cifar_bin(const std::filesystem::path& file, int fine_classes, Split& out);

// SVHN format 2: MATLAB v5 file with X (32×32×3×N uint8) and y (N labels 1..10, 10 meaning digit 0).
Split read_svhn_mat(const std::filesystem::path& file);

}  // namespace flight::data
