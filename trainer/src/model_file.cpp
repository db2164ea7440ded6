#include "flight/trainer/model_file.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "flight/core/error.hpp"

namespace flight::trainer {
namespace json = boost::json;
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
      out[i] = float(a[i].to_number<double>());
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

}  // namespace

void save_model(const std::filesystem::path& file, Model& model, const ModelMeta& meta) {
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
        // (sign, code) of every term: per filter, per weight, k_i codes.
        json::array codes;
        const auto& w = wl->weights();
        const Pow2Window win = q.window();
        for (int f = 0; f < wl->filters(); ++f)
          for (int j = 0; j < wl->fan_in(); ++j) {
            float terms[2];
            const int kf = q.filter_k()[f];
            q.terms(w[std::size_t(f) * wl->fan_in() + j], kf, terms);
            for (int t = 0; t < kf; ++t) codes.push_back(pow2_code(terms[t], win));
          }
        o["codes"] = codes;
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
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << json::serialize(doc) << "\n";
    if (!out) throw RunError("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file);
}

LoadedModel load_model(const std::filesystem::path& file) {
  Reader r{file.string()};
  std::ifstream in(file);
  if (!in) throw InputError(file.string() + ": cannot open model file");
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  const auto doc_value = json::parse(ss.str(), ec);
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
  m.input = {std::size_t(r.integer(input, "input.", "channels")), std::size_t(r.integer(input, "input.", "height")),
             std::size_t(r.integer(input, "input.", "width"))};
  m.classes = int(r.integer(doc, "", "classes"));
  m.seed = unsigned(r.integer(doc, "", "seed"));
  m.network = parse_network(r, r.obj(doc, "", "network"));
  const auto& q = r.obj(doc, "", "quantization");
  const auto method = r.string(q, "quantization.", "method");
  m.quant.fixed_bits = int(r.integer(q, "quantization.", "fixed_bits"));
  m.quant.k = int(r.integer(q, "quantization.", "k"));
  m.quant.e_bits = int(r.integer(q, "quantization.", "e_bits"));
  m.quant.zero_code = r.boolean(q, "quantization.", "zero_code");
  m.quant.auto_base = r.boolean(q, "quantization.", "auto_base");
  m.quant.a_bits = int(r.integer(q, "quantization.", "a_bits"));
  m.quant.lambda = r.number(q, "quantization.", "lambda");
  m.quant.allow_k0 = q.contains("allow_k0") && r.boolean(q, "quantization.", "allow_k0");
  if (q.contains("rounding")) {
    const auto rounding = r.string(q, "quantization.", "rounding");
    if (rounding != "nearest" && rounding != "kones-stochastic") {
      r.fail("quantization.rounding", "nearest or kones-stochastic", rounding);
    }
    m.quant.kones_stochastic = rounding == "kones-stochastic";
  }
  if (method == "fp32") m.quant.method = Method::fp32;
  else if (method.rfind("fixed", 0) == 0) m.quant.method = Method::fixed;
  else if (method.rfind("lightnn", 0) == 0) m.quant.method = Method::lightnn;
  else if (method == "flightnn") m.quant.method = Method::flightnn;
  else r.fail("quantization.method", "fp32, fixedN, lightnnK or flightnn", method);
  if (method_name(m.quant) != method) r.fail("quantization.method", method_name(m.quant), method);
  m.training = r.obj(doc, "", "training");

  lm.model = std::make_unique<Model>(m.network, m.input, m.classes, m.quant, m.seed);
  const auto& layers = r.arr(doc, "", "layers");
  auto model_layers = lm.model->layers();
  if (layers.size() != model_layers.size()) {
    r.fail("layers", std::to_string(model_layers.size()) + " layers (as the network)", std::to_string(layers.size()));
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "layers[" + std::to_string(i) + "].";
    if (!layers[i].is_object()) r.fail(p, "an object", "other");
    const auto& o = layers[i].as_object();
    auto* layer = model_layers[i];
    if (r.string(o, p, "type") != layer->name()) r.fail(p + "type", layer->name(), r.string(o, p, "type"));
    if (auto* wl = dynamic_cast<WeightLayer*>(layer)) {
      r.floats_into(o, p, "weights", wl->weights());
      r.floats_into(o, p, "bias", wl->bias());
      auto& qz = wl->quantizer();
      if (m.quant.method == Method::flightnn) r.floats_into(o, p, "thresholds", qz.thresholds());
      if (m.quant.method == Method::flightnn && m.quant.allow_k0) {
        r.floats_into(o, p, "prune_thresholds", qz.prune_thresholds());
      }
      // Re-derive the quantized weights and check them against the file.
      std::vector<float> stored(wl->weights().size()), fresh;
      r.floats_into(o, p, "quantized", stored);
      qz.forward(wl->weights(), fresh);
      for (std::size_t j = 0; j < stored.size(); ++j)
        if (stored[j] != fresh[j]) {
          r.fail(p + "quantized[" + std::to_string(j) + "]", "the quantization of the stored weights (" +
                 std::to_string(fresh[j]) + ")", std::to_string(stored[j]));
        }
      const auto& k = r.arr(o, p, "filter_k");
      if (k.size() != qz.filter_k().size()) r.fail(p + "filter_k", std::to_string(qz.filter_k().size()) + " entries", std::to_string(k.size()));
      for (std::size_t j = 0; j < k.size(); ++j)
        if (!k[j].is_int64() || k[j].as_int64() != qz.filter_k()[j]) {
          r.fail(p + "filter_k[" + std::to_string(j) + "]", std::to_string(qz.filter_k()[j]), json::serialize(k[j]));
        }
    } else if (auto* bn = dynamic_cast<BatchNorm*>(layer)) {
      r.floats_into(o, p, "gamma", bn->gamma());
      r.floats_into(o, p, "beta", bn->beta());
      r.floats_into(o, p, "running_mean", bn->running_mean());
      r.floats_into(o, p, "running_var", bn->running_var());
    } else if (auto* relu = dynamic_cast<ReLU*>(layer)) {
      if (r.integer(o, p, "a_bits") != relu->a_bits()) r.fail(p + "a_bits", std::to_string(relu->a_bits()), std::to_string(r.integer(o, p, "a_bits")));
      relu->running_max() = float(r.number(o, p, "running_max"));
    }
  }
  return lm;
}

}  // namespace flight::trainer
