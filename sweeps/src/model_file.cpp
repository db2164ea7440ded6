#include "flight/sweeps/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "flight/core/error.hpp"
#include "flight/core/text.hpp"
#include "flight/sweeps/train_run.hpp"

namespace flight::sweeps {
namespace json = boost::json;
using namespace flight::trainer;
namespace {

constexpr const char* kFormat = "flight-model";
constexpr int kVersion = 1;

json::array floats(const std::vector<float>& v) {
  json::array a;
  a.reserve(v.size());
  for (float x : v) a.push_back(double(x));
  return a;
}

json::object network_json(const NetworkSpec& n) {
  json::array layers;
  for (const auto& l : n.layers) {
    json::object o{{"type", layer_type_name(l.type)}};
    if (l.type == LayerType::conv) {
      o["out"] = l.out, o["kernel"] = l.kernel, o["stride"] = l.stride, o["pad"] = l.pad, o["bias"] = l.bias;
    } else if (l.type == LayerType::fc) {
      if (l.out_is_classes) o["out"] = "classes";
      else o["out"] = l.out;
      o["bias"] = l.bias;
    } else if (l.type == LayerType::maxpool) {
      o["kernel"] = l.kernel, o["stride"] = l.stride;
    }
    layers.push_back(o);
  }
  return {{"name", n.name}, {"description", n.description}, {"default_dataset", n.default_dataset},
          {"layers", layers}};
}

json::object quant_json(const QuantConfig& q) {
  json::object o{{"method", method_name(q)}, {"fixed_bits", q.fixed_bits}, {"k", q.k},         {"e_bits", q.e_bits},
                 {"zero_code", q.zero_code}, {"auto_base", q.auto_base},   {"a_bits", q.a_bits}, {"lambda", q.lambda}};
  if (q.allow_k0) o["allow_k0"] = true;  // optional keys: absent means false (files before they existed)
  if (q.kones_stochastic) o["rounding"] = "kones-stochastic";
  return o;
}

// Reader helpers: every failure names the file and the key.
struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& found) const {
    throw InputError(describe_input_problem(file, "key '" + key + "'", expected, found));
  }
  const json::value& get(const json::object& o, const std::string& path, const char* key) const {
    auto it = o.find(key);
    if (it == o.end()) fail(path + key, "present", "nothing");
    return it->value();
  }
  const json::object& obj(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_object()) fail(path + key, "an object", json::serialize(v).substr(0, 40));
    return v.as_object();
  }
  const json::array& arr(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_array()) fail(path + key, "an array", json::serialize(v).substr(0, 40));
    return v.as_array();
  }
  std::int64_t integer(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_int64() && !v.is_uint64()) fail(path + key, "an integer", json::serialize(v).substr(0, 40));
    return v.is_int64() ? v.as_int64() : std::int64_t(v.as_uint64());
  }
  double number(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_number()) fail(path + key, "a number", json::serialize(v).substr(0, 40));
    return v.to_number<double>();
  }
  std::string string(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_string()) fail(path + key, "a string", json::serialize(v).substr(0, 40));
    return std::string(v.as_string());
  }
  std::int64_t integer_in(const json::object& o, const std::string& path, const char* key, std::int64_t lo,
                          std::int64_t hi) const {
    const auto v = integer(o, path, key);
    if (v < lo || v > hi) fail(path + key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                               std::to_string(v));
    return v;
  }
  bool boolean(const json::object& o, const std::string& path, const char* key) const {
    const auto& v = get(o, path, key);
    if (!v.is_bool()) fail(path + key, "true or false", json::serialize(v).substr(0, 40));
    return v.as_bool();
  }
  void floats_into(const json::object& o, const std::string& path, const char* key, std::vector<float>& out) const {
    const auto& a = arr(o, path, key);
    if (a.size() != out.size()) {
      fail(path + key, std::to_string(out.size()) + " numbers", std::to_string(a.size()) + " numbers");
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number()) fail(path + key + "[" + std::to_string(i) + "]", "a number", json::serialize(a[i]));
      const double v = a[i].to_number<double>();
      if (!std::isfinite(float(v))) {
        fail(path + key + "[" + std::to_string(i) + "]", "a finite float32 number", json::serialize(a[i]));
      }
      out[i] = float(v);
    }
  }
};

NetworkSpec parse_network(const Reader& r, const json::object& o) {
  NetworkSpec n;
  n.name = r.string(o, "network.", "name");
  n.description = r.string(o, "network.", "description");
  n.default_dataset = r.string(o, "network.", "default_dataset");
  const auto& layers = r.arr(o, "network.", "layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "network.layers[" + std::to_string(i) + "].";
    if (!layers[i].is_object()) r.fail(p, "an object", "other");
    const auto& l = layers[i].as_object();
    LayerSpec s;
    const auto type = r.string(l, p, "type");
    if (type == "conv") {
      s.type = LayerType::conv;
      s.out = std::size_t(r.integer(l, p, "out"));
      s.kernel = std::size_t(r.integer(l, p, "kernel"));
      s.stride = std::size_t(r.integer(l, p, "stride"));
      s.pad = std::size_t(r.integer(l, p, "pad"));
      s.bias = r.boolean(l, p, "bias");
    } else if (type == "fc") {
      s.type = LayerType::fc;
      const auto& out = r.get(l, p, "out");
      if (out.is_string() && out.as_string() == "classes") s.out_is_classes = true;
      else s.out = std::size_t(r.integer(l, p, "out"));
      s.bias = r.boolean(l, p, "bias");
    } else if (type == "maxpool") {
      s.type = LayerType::maxpool;
      s.kernel = std::size_t(r.integer(l, p, "kernel"));
      s.stride = std::size_t(r.integer(l, p, "stride"));
    } else if (type == "batchnorm") {
      s.type = LayerType::batchnorm;
    } else if (type == "relu") {
      s.type = LayerType::relu;
    } else if (type == "flatten") {
      s.type = LayerType::flatten;
    } else {
      r.fail(p + "type", "conv, fc, maxpool, batchnorm, relu or flatten", type);
    }
    n.layers.push_back(s);
  }
  return n;
}

QuantConfig parse_quant(const Reader& r, const json::object& q) {
  const auto method = r.string(q, "quantization.", "method");
  QuantConfig c = parse_method(method, 0.0, r.file + ": key 'quantization.method'");
  // Every field is range-checked: they size shifts (1 << e_bits, 1 << a_bits) and fixed-size term arrays.
  const int fixed_bits = int(r.integer_in(q, "quantization.", "fixed_bits", 2, 8));
  const int k = int(r.integer_in(q, "quantization.", "k", 1, 2));
  if (c.method == Method::fixed && fixed_bits != c.fixed_bits) {
    r.fail("quantization.fixed_bits", std::to_string(c.fixed_bits) + " (as the method " + method + ")",
           std::to_string(fixed_bits));
  }
  if (c.method == Method::lightnn && k != c.k) {
    r.fail("quantization.k", std::to_string(c.k) + " (as the method " + method + ")", std::to_string(k));
  }
  c.fixed_bits = fixed_bits;
  c.k = k;
  c.e_bits = int(r.integer_in(q, "quantization.", "e_bits", 2, 4));
  c.zero_code = r.boolean(q, "quantization.", "zero_code");
  c.auto_base = r.boolean(q, "quantization.", "auto_base");
  c.a_bits = int(r.integer_in(q, "quantization.", "a_bits", 2, 16));
  c.lambda = r.number(q, "quantization.", "lambda");
  if (!(c.lambda >= 0) || !std::isfinite(c.lambda)) {
    r.fail("quantization.lambda", "a finite number ≥ 0", json::serialize(q.at("lambda")));
  }
  c.allow_k0 = q.contains("allow_k0") && r.boolean(q, "quantization.", "allow_k0");
  if (c.allow_k0 && c.method != Method::flightnn) r.fail("quantization.allow_k0", "false unless flightnn", "true");
  if (q.contains("rounding")) {
    const auto rounding = r.string(q, "quantization.", "rounding");
    if (rounding != "nearest" && rounding != "kones-stochastic") {
      r.fail("quantization.rounding", "nearest or kones-stochastic", rounding);
    }
    c.kones_stochastic = rounding == "kones-stochastic";
    if (c.kones_stochastic && c.method != Method::lightnn) {
      r.fail("quantization.rounding", "nearest unless lightnn1 or lightnn2", rounding);
    }
  }
  return c;
}

// (sign, code) of every term: per filter, per weight, k_i codes.
std::vector<int> codes_of(WeightLayer& wl) {
  auto& q = wl.quantizer();
  std::vector<int> codes;
  const auto& w = wl.weights();
  const Pow2Window win = q.window();
  for (int f = 0; f < wl.filters(); ++f)
    for (int j = 0; j < wl.fan_in(); ++j) {
      float terms[2];
      const int kf = q.filter_k()[f];
      q.terms(w[std::size_t(f) * wl.fan_in() + j], kf, terms);
      for (int t = 0; t < kf; ++t) codes.push_back(pow2_code(terms[t], win));
    }
  return codes;
}

// Reads a conv or fc layer and re-derives everything derivable from its shadow weights and thresholds.
void read_weight_layer(const Reader& r, const json::object& o, const std::string& p, WeightLayer& wl,
                       const QuantConfig& quant) {
  if (r.integer(o, p, "filters") != wl.filters()) {
    r.fail(p + "filters", std::to_string(wl.filters()), std::to_string(r.integer(o, p, "filters")));
  }
  if (r.integer(o, p, "fan_in") != wl.fan_in()) {
    r.fail(p + "fan_in", std::to_string(wl.fan_in()), std::to_string(r.integer(o, p, "fan_in")));
  }
  r.floats_into(o, p, "weights", wl.weights());
  r.floats_into(o, p, "bias", wl.bias());
  auto& qz = wl.quantizer();
  if (quant.method == Method::flightnn) r.floats_into(o, p, "thresholds", qz.thresholds());
  if (quant.method == Method::flightnn && quant.allow_k0) r.floats_into(o, p, "prune_thresholds", qz.prune_thresholds());
  // Re-derive the quantized weights and check them against the file.
  std::vector<float> stored(wl.weights().size()), fresh;
  r.floats_into(o, p, "quantized", stored);
  qz.forward(wl.weights(), fresh);
  for (std::size_t j = 0; j < stored.size(); ++j)
    if (stored[j] != fresh[j]) {
      r.fail(p + "quantized[" + std::to_string(j) + "]",
             "the quantization of the stored weights (" + std::to_string(fresh[j]) + ")", std::to_string(stored[j]));
    }
  const auto& k = r.arr(o, p, "filter_k");
  if (k.size() != qz.filter_k().size()) {
    r.fail(p + "filter_k", std::to_string(qz.filter_k().size()) + " entries", std::to_string(k.size()));
  }
  for (std::size_t j = 0; j < k.size(); ++j)
    if (!k[j].is_int64() || k[j].as_int64() != qz.filter_k()[j]) {
      r.fail(p + "filter_k[" + std::to_string(j) + "]", std::to_string(qz.filter_k()[j]), json::serialize(k[j]));
    }
  if (quant.method == Method::lightnn || quant.method == Method::flightnn) {
    if (r.integer(o, p, "exp_base") != qz.window().base) {
      r.fail(p + "exp_base", std::to_string(qz.window().base) + " (the window of the stored weights)",
             std::to_string(r.integer(o, p, "exp_base")));
    }
    if (r.integer(o, p, "min_exp") != qz.window().min_exp()) {
      r.fail(p + "min_exp", std::to_string(qz.window().min_exp()), std::to_string(r.integer(o, p, "min_exp")));
    }
    const auto& codes = r.arr(o, p, "codes");
    const auto expected = codes_of(wl);
    if (codes.size() != expected.size()) {
      r.fail(p + "codes", std::to_string(expected.size()) + " codes", std::to_string(codes.size()));
    }
    for (std::size_t j = 0; j < codes.size(); ++j)
      if (!codes[j].is_int64() || codes[j].as_int64() != expected[j]) {
        r.fail(p + "codes[" + std::to_string(j) + "]", std::to_string(expected[j]) + " (the stored weights' code)",
               json::serialize(codes[j]));
      }
  }
  if (quant.method == Method::fixed && r.number(o, p, "fixed_scale") != double(qz.fixed_scale_value())) {
    r.fail(p + "fixed_scale", std::to_string(qz.fixed_scale_value()) + " (the scale of the stored weights)",
           json::serialize(o.at("fixed_scale")));
  }
}

}  // namespace

namespace {
void fsync_folder_of(const std::filesystem::path& file) {
  auto dir = file.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}
}  // namespace

void write_file_atomically(const std::filesystem::path& file, const std::string& text) {
  const auto tmp = file.string() + ".tmp";
  const auto fail = [&](const std::string& what) {
    throw RunError("cannot write " + tmp + ": " + what + " (" + std::strerror(errno) + ")");
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open");
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("write");
    }
    done += std::size_t(n);
  }
  // The data reaches the disk before the rename makes it visible under its final name, so a power cut leaves the
  // old file or the new one, never an empty file under the final name.
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  if (::close(fd) != 0) fail("close");
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) throw RunError("cannot rename " + tmp + " to " + file.string() + ": " + ec.message());
  fsync_folder_of(file);  // the rename itself is durable once the folder is
}

void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw RunError("cannot flush " + from.string() + " to disk (" + why + ")");
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) throw RunError("cannot rename " + from.string() + " to " + to.string() + ": " + ec.message());
  fsync_folder_of(to);
}

namespace {

json::object checkpoint_json(const Checkpoint& c) {
  json::array m_arr, v_arr, hist;
  for (const auto& v : c.state.m) m_arr.push_back(floats(v));
  for (const auto& v : c.state.v) v_arr.push_back(floats(v));
  for (const auto& h : c.state.history) hist.push_back(epoch_json(h));
  json::object o{{"run", c.run},       {"epochs_done", c.state.epochs_done}, {"step", c.state.step},
                 {"rng", c.state.rng}, {"m", m_arr},                         {"v", v_arr},
                 {"history", hist}};
  if (!c.aim.empty()) o["aim"] = c.aim;
  return o;
}

Checkpoint read_checkpoint(const Reader& r, const json::object& c, const std::vector<ParamRef>& params) {
  Checkpoint out;
  out.run = r.obj(c, "checkpoint.", "run");
  auto& st = out.state;
  st.epochs_done = int(r.integer(c, "checkpoint.", "epochs_done"));
  if (st.epochs_done < 1) r.fail("checkpoint.epochs_done", "at least 1", std::to_string(st.epochs_done));
  st.step = long(r.integer(c, "checkpoint.", "step"));
  if (st.step < 0) r.fail("checkpoint.step", "0 or more", std::to_string(st.step));
  st.rng = r.string(c, "checkpoint.", "rng");
  // Optimizer moments: one array per parameter, each empty or as long as the parameter.
  for (const char* which : {"m", "v"}) {
    auto& dst = std::string(which) == "m" ? st.m : st.v;
    const auto& arrs = r.arr(c, "checkpoint.", which);
    if (arrs.size() != params.size()) {
      r.fail(std::string("checkpoint.") + which, std::to_string(params.size()) + " arrays (one per parameter)",
             std::to_string(arrs.size()));
    }
    for (std::size_t i = 0; i < arrs.size(); ++i) {
      const std::string key = std::string("checkpoint.") + which + "[" + std::to_string(i) + "]";
      if (!arrs[i].is_array()) r.fail(key, "an array", "other JSON");
      const auto& a = arrs[i].as_array();
      if (!a.empty() && a.size() != params[i].value->size()) {
        r.fail(key, std::to_string(params[i].value->size()) + " numbers or none", std::to_string(a.size()));
      }
      std::vector<float> v(a.size());
      for (std::size_t j = 0; j < a.size(); ++j) {
        if (!a[j].is_number()) r.fail(key + "[" + std::to_string(j) + "]", "a number", json::serialize(a[j]));
        v[j] = float(a[j].to_number<double>());
      }
      dst.push_back(std::move(v));
    }
  }
  const auto& hist = r.arr(c, "checkpoint.", "history");
  for (std::size_t i = 0; i < hist.size(); ++i) {
    const std::string p = "checkpoint.history[" + std::to_string(i) + "].";
    if (!hist[i].is_object()) r.fail(p, "an object", "other JSON");
    const auto& e = hist[i].as_object();
    EpochStats es;
    es.epoch = int(r.integer(e, p, "epoch"));
    es.train_loss = r.number(e, p, "train_loss");
    es.train_acc = r.number(e, p, "train_acc");
    es.test_acc = r.number(e, p, "test_acc");
    es.images_per_s = r.number(e, p, "images_per_s");
    es.seconds = r.number(e, p, "seconds");
    if (e.contains("fraction_k2")) es.fraction_k2 = r.number(e, p, "fraction_k2");
    st.history.push_back(es);
  }
  if (c.contains("aim")) out.aim = r.obj(c, "checkpoint.", "aim");  // checked by AimController::restore
  return out;
}

}  // namespace

void save_model(const std::filesystem::path& file, Model& model, const ModelMeta& meta, const Checkpoint* checkpoint) {
  json::array layers;
  for (auto* layer : model.layers()) {
    json::object o{{"type", layer->name()}};
    if (auto* wl = dynamic_cast<WeightLayer*>(layer)) {
      auto& q = wl->quantizer();
      o["filters"] = wl->filters();
      o["fan_in"] = wl->fan_in();
      o["weights"] = floats(wl->weights());
      o["bias"] = floats(wl->bias());
      o["quantized"] = floats(wl->quantized_weights());
      json::array k;
      for (int v : q.filter_k()) k.push_back(v);
      o["filter_k"] = k;
      const auto method = q.config().method;
      if (method == Method::lightnn || method == Method::flightnn) {
        o["exp_base"] = q.window().base;
        o["min_exp"] = q.window().min_exp();
        const auto codes = codes_of(*wl);
        o["codes"] = json::array(codes.begin(), codes.end());
      }
      if (method == Method::fixed) o["fixed_scale"] = double(q.fixed_scale_value());
      if (method == Method::flightnn) o["thresholds"] = floats(q.thresholds());
      if (method == Method::flightnn && q.config().allow_k0) o["prune_thresholds"] = floats(q.prune_thresholds());
    } else if (auto* bn = dynamic_cast<BatchNorm*>(layer)) {
      o["gamma"] = floats(bn->gamma());
      o["beta"] = floats(bn->beta());
      o["running_mean"] = floats(bn->running_mean());
      o["running_var"] = floats(bn->running_var());
    } else if (auto* relu = dynamic_cast<ReLU*>(layer)) {
      o["a_bits"] = relu->a_bits();
      o["running_max"] = double(relu->running_max());
      o["scale"] = double(relu->scale());
    }
    layers.push_back(o);
  }
  json::object doc{{"format", kFormat},
                   {"version", kVersion},
                   {"dataset", meta.dataset},
                   {"input", {{"channels", meta.input.channels}, {"height", meta.input.height}, {"width", meta.input.width}}},
                   {"classes", meta.classes},
                   {"seed", meta.seed},
                   {"network", network_json(meta.network)},
                   {"quantization", quant_json(meta.quant)},
                   {"training", meta.training},
                   {"layers", layers}};
  if (checkpoint) doc["checkpoint"] = checkpoint_json(*checkpoint);
  write_file_atomically(file, json::serialize(doc) + "\n");
}

LoadedModel load_model(const std::filesystem::path& file) {
  Reader r{file.string()};
  const std::string text = read_text_file(file.string(), "model file");
  boost::system::error_code ec;
  const auto doc_value = json::parse(text, ec);
  if (ec) throw InputError(describe_input_problem(file.string(), "not a JSON model file", "JSON", ec.message()));
  if (!doc_value.is_object()) r.fail("", "a JSON object", "other JSON");
  const auto& doc = doc_value.as_object();
  if (r.string(doc, "", "format") != kFormat) r.fail("format", kFormat, r.string(doc, "", "format"));
  const auto version = r.integer(doc, "", "version");
  if (version != kVersion) r.fail("version", std::to_string(kVersion), std::to_string(version));

  LoadedModel lm;
  auto& m = lm.meta;
  m.dataset = r.string(doc, "", "dataset");
  const auto& input = r.obj(doc, "", "input");
  m.input = {std::size_t(r.integer_in(input, "input.", "channels", 1, 16)),
             std::size_t(r.integer_in(input, "input.", "height", 1, 4096)),
             std::size_t(r.integer_in(input, "input.", "width", 1, 4096))};
  m.classes = int(r.integer_in(doc, "", "classes", 2, 100000));
  m.seed = unsigned(r.integer_in(doc, "", "seed", 0, 0xffffffffLL));
  m.network = parse_network(r, r.obj(doc, "", "network"));
  m.quant = parse_quant(r, r.obj(doc, "", "quantization"));
  m.training = r.obj(doc, "", "training");

  // The network must fit the stored input (shape inference names the layer that does not).
  try {
    (void)infer_shapes(m.network, m.input, std::size_t(m.classes));
  } catch (const InputError& e) {
    r.fail("network", "a network that fits the stored input", e.what());
  }
  lm.model = std::make_unique<Model>(m.network, m.input, m.classes, m.quant, m.seed);
  const auto& layers = r.arr(doc, "", "layers");
  auto model_layers = lm.model->layers();
  if (layers.size() != model_layers.size()) {
    r.fail("layers", std::to_string(model_layers.size()) + " layers (as the network)", std::to_string(layers.size()));
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "layers[" + std::to_string(i) + "].";
    if (!layers[i].is_object()) r.fail(p, "an object", "other JSON");
    const auto& o = layers[i].as_object();
    auto* layer = model_layers[i];
    if (r.string(o, p, "type") != layer->name()) r.fail(p + "type", layer->name(), r.string(o, p, "type"));
    if (auto* wl = dynamic_cast<WeightLayer*>(layer)) {
      read_weight_layer(r, o, p, *wl, m.quant);
    } else if (auto* bn = dynamic_cast<BatchNorm*>(layer)) {
      r.floats_into(o, p, "gamma", bn->gamma());
      r.floats_into(o, p, "beta", bn->beta());
      r.floats_into(o, p, "running_mean", bn->running_mean());
      r.floats_into(o, p, "running_var", bn->running_var());
      for (std::size_t j = 0; j < bn->running_var().size(); ++j)
        if (!(bn->running_var()[j] >= 0)) {
          r.fail(p + "running_var[" + std::to_string(j) + "]", "a variance ≥ 0", std::to_string(bn->running_var()[j]));
        }
    } else if (auto* relu = dynamic_cast<ReLU*>(layer)) {
      if (r.integer(o, p, "a_bits") != relu->a_bits()) {
        r.fail(p + "a_bits", std::to_string(relu->a_bits()), std::to_string(r.integer(o, p, "a_bits")));
      }
      const double running_max = r.number(o, p, "running_max");
      if (!(running_max >= 0) || !std::isfinite(running_max)) {
        r.fail(p + "running_max", "a finite number ≥ 0", json::serialize(o.at("running_max")));
      }
      relu->running_max() = float(running_max);
      const double scale = r.number(o, p, "scale");
      if (relu->a_bits() > 0 && scale != double(relu->eval_scale())) {
        r.fail(p + "scale", "the scale of running_max (" + std::to_string(relu->eval_scale()) + ")",
               json::serialize(o.at("scale")));
      }
    }
  }
  if (const auto it = doc.find("checkpoint"); it != doc.end()) {
    if (!it->value().is_object()) r.fail("checkpoint", "an object", "other JSON");
    lm.checkpoint = read_checkpoint(r, it->value().as_object(), lm.model->params());
  }
  return lm;
}

}  // namespace flight::sweeps
