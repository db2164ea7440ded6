#include "flight/sweeps/data_summary.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <cstdio>

#include "flight/core/checksum.hpp"
#include "flight/core/text.hpp"

namespace flight::sweeps {
namespace {

SplitSummary summarize_split(const data::Split& s, int num_classes, int num_coarse) {
  SplitSummary out;
  out.count = s.count;
  out.histogram.assign(num_classes, 0);
  for (auto l : s.labels) ++out.histogram[l];
  if (num_coarse > 0) {
    out.coarse_histogram.assign(num_coarse, 0);
    for (auto l : s.coarse_labels) ++out.coarse_histogram[l];
  }
  Fnv1a64 h;
  h.update(s.pixels);
  out.pixel_checksum = h.hex();
  return out;
}

boost::json::array to_array(const std::vector<std::size_t>& v) {
  boost::json::array a;
  for (auto x : v) a.push_back(static_cast<std::uint64_t>(x));
  return a;
}

boost::json::object split_json(const SplitSummary& s) {
  boost::json::object o;
  o["count"] = static_cast<std::uint64_t>(s.count);
  o["histogram"] = to_array(s.histogram);
  if (!s.coarse_histogram.empty()) o["coarse_histogram"] = to_array(s.coarse_histogram);
  o["pixel_checksum_fnv1a64"] = s.pixel_checksum;
  return o;
}

}  // namespace

DatasetSummary summarize(const data::Dataset& d) {
  DatasetSummary s;
  s.name = std::string(data::dataset_name(d.id));
  s.directory = d.directory.string();
  for (const auto& f : d.files) s.files.push_back(f.filename().string());
  s.shape = d.shape;
  s.num_classes = d.num_classes;
  s.class_names = d.class_names;
  s.num_coarse_classes = d.num_coarse_classes;
  s.coarse_class_names = d.coarse_class_names;
  s.synthetic = d.synthetic;
  s.train = summarize_split(d.train, d.num_classes, d.num_coarse_classes);
  s.test = summarize_split(d.test, d.num_classes, d.num_coarse_classes);
  Fnv1a64 all;
  all.update(d.train.pixels);
  all.update(d.test.pixels);
  s.pixel_checksum = all.hex();
  return s;
}

boost::json::value to_json(const DatasetSummary& s, double load_seconds) {
  boost::json::object o;
  o["dataset"] = s.name;
  o["directory"] = s.directory;
  boost::json::array files;
  for (const auto& f : s.files) files.push_back(boost::json::string(f));
  o["files"] = files;
  o["synthetic"] = s.synthetic;
  o["shape"] = {{"height", s.shape.height}, {"width", s.shape.width}, {"channels", s.shape.channels}};
  o["num_classes"] = s.num_classes;
  boost::json::array names;
  for (const auto& n : s.class_names) names.push_back(boost::json::string(n));
  o["class_names"] = names;
  if (s.num_coarse_classes > 0) {
    o["num_coarse_classes"] = s.num_coarse_classes;
    boost::json::array coarse;
    for (const auto& n : s.coarse_class_names) coarse.push_back(boost::json::string(n));
    o["coarse_class_names"] = coarse;
  }
  o["train"] = split_json(s.train);
  o["test"] = split_json(s.test);
  o["pixel_checksum_fnv1a64"] = s.pixel_checksum;
  o["load_seconds"] = load_seconds;
  return o;
}

std::string to_text(const DatasetSummary& s, double load_seconds) {
  std::string out;
  out += s.name + (s.synthetic ? "  [SYNTHETIC: random pixels, not the real data set]" : "") + "\n";
  out += "  directory   " + s.directory + "\n";
  out += "  train       " + with_commas(s.train.count) + " images\n";
  out += "  test        " + with_commas(s.test.count) + " images\n";
  out += "  image       " + s.shape.str() + " (height x width x channels), uint8\n";
  out += "  classes     " + std::to_string(s.num_classes);
  if (s.num_coarse_classes > 0) out += " fine, " + std::to_string(s.num_coarse_classes) + " coarse";
  out += "\n";
  out += "  checksum    " + s.pixel_checksum + " (FNV-1a 64 of train then test pixels, N×C×H×W order)\n";
  out += "  loaded in   " + format_seconds(load_seconds) + "\n";
  auto histogram = [&](const char* title, const std::vector<std::string>& names, const SplitSummary& tr,
                       const SplitSummary& te, bool coarse) {
    const auto& htr = coarse ? tr.coarse_histogram : tr.histogram;
    const auto& hte = coarse ? te.coarse_histogram : te.histogram;
    out += std::string("  ") + title + "\n";
    out += fmt::format("    {:>5}  {:<22} {:>9} {:>9}\n", "label", "name", "train", "test");
    for (std::size_t c = 0; c < htr.size(); ++c) out += fmt::format("    {:5}  {:<22} {:9} {:9}\n", c, names[c], htr[c], hte[c]);
  };
  histogram("class histogram", s.class_names, s.train, s.test, false);
  if (s.num_coarse_classes > 0) histogram("coarse class histogram", s.coarse_class_names, s.train, s.test, true);
  return out;
}

}  // namespace flight::sweeps
