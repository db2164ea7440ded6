#pragma once
// What `flight data info` reports about a loaded data set: counts, shape, class histograms, a pixel checksum.
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "flight/trainer/data/dataset.hpp"

namespace flight::sweeps {

struct SplitSummary {
  std::size_t count = 0;
  std::vector<std::size_t> histogram;         // images per class
  std::vector<std::size_t> coarse_histogram;  // CIFAR-100 only
  std::string pixel_checksum;                 // FNV-1a 64 of the split's pixels in (N, C, H, W) order
};

struct DatasetSummary {
  std::string name;
  std::string directory;
  std::vector<std::string> files;
  ImageShape shape;
  int num_classes = 0;
  std::vector<std::string> class_names;
  int num_coarse_classes = 0;
  std::vector<std::string> coarse_class_names;
  bool synthetic = false;
  SplitSummary train, test;
  std::string pixel_checksum;  // FNV-1a 64 of train pixels then test pixels
};

DatasetSummary summarize(const data::Dataset& d);
boost::json::value to_json(const DatasetSummary& s, double load_seconds);
std::string to_text(const DatasetSummary& s, double load_seconds);

}  // namespace flight::sweeps
