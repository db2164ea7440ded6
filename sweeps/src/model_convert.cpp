#include "flight/sweeps/model_convert.hpp"

#include <algorithm>
#include <cmath>

#include "flight/core/error.hpp"
#include "flight/sweeps/workload_builder.hpp"

namespace flight::sweeps {
namespace tr = flight::trainer;

sim::IntNetwork to_int_network(tr::Model& model, const ModelMeta& meta) {
  if (meta.quant.method == tr::Method::fp32) {
    throw InputError("--model: an fp32 model has no integer form (bit-accurate inference needs a quantized method)");
  }
  sim::IntNetwork net;
  net.in_c = int(meta.input.channels), net.in_h = int(meta.input.height), net.in_w = int(meta.input.width);
  net.a_bits = meta.quant.a_bits;
  for (auto* layer : model.layers()) {
    if (auto* wl = dynamic_cast<tr::WeightLayer*>(layer)) {
      sim::IntLayer L;
      auto* conv = dynamic_cast<tr::Conv2d*>(layer);
      L.kind = conv ? sim::IntLayer::Kind::conv : sim::IntLayer::Kind::fc;
      L.c_in = conv ? conv->c_in() : wl->fan_in();
      L.c_out = wl->filters();
      if (conv) L.kernel = conv->kernel(), L.stride = conv->stride(), L.pad = conv->pad();
      auto& q = wl->quantizer();
      std::vector<float> quantized;
      q.forward(wl->weights(), quantized);  // refresh the window / scale / per-filter k
      const int fan_in = wl->fan_in();
      if (meta.quant.method == tr::Method::fixed) {
        L.pow2 = false;
        L.weight_quantum = q.fixed_scale_value();
        L.w_int.resize(quantized.size());
        for (std::size_t i = 0; i < quantized.size(); ++i) {
          L.w_int[i] = std::int32_t(std::lround(quantized[i] / q.fixed_scale_value()));
        }
      } else {
        const auto win = q.window();
        L.weight_quantum = std::ldexp(1.0, win.min_exp());
        L.filter_k = q.filter_k();
        L.term_shift.resize(L.c_out);
        L.term_sign.resize(L.c_out);
        for (int f = 0; f < L.c_out; ++f) {
          const int kf = L.filter_k[f];
          for (int j = 0; j < fan_in; ++j) {
            float terms[2];
            q.terms(wl->weights()[std::size_t(f) * fan_in + j], kf, terms);
            for (int t = 0; t < kf; ++t) {
              L.term_sign[f].push_back(terms[t] < 0 ? 1 : 0);
              L.term_shift[f].push_back(terms[t] == 0 ? std::int8_t(-1)
                                                      : std::int8_t(std::ilogb(std::fabs(terms[t])) - win.min_exp()));
            }
          }
        }
      }
      L.bias.assign(L.c_out, 0.0);
      for (std::size_t i = 0; i < wl->bias().size(); ++i) L.bias[i] = wl->bias()[i];
      L.affine_scale.assign(L.c_out, 1.0);
      L.affine_shift.assign(L.c_out, 0.0);
      L.relu = false;
      net.layers.push_back(std::move(L));
    } else if (auto* bn = dynamic_cast<tr::BatchNorm*>(layer)) {
      FLIGHT_CHECK(!net.layers.empty(), "batch norm after a weight layer");
      auto& L = net.layers.back();
      for (int c = 0; c < L.c_out; ++c) {
        const double inv = 1.0 / std::sqrt(double(bn->running_var()[c]) + 1e-5);
        L.affine_scale[c] = bn->gamma()[c] * inv;
        L.affine_shift[c] = bn->beta()[c] - bn->gamma()[c] * inv * bn->running_mean()[c];
      }
    } else if (auto* relu = dynamic_cast<tr::ReLU*>(layer)) {
      FLIGHT_CHECK(!net.layers.empty(), "relu after a weight layer");
      net.layers.back().relu = true;
      net.layers.back().out_scale = relu->eval_scale();
    } else if (dynamic_cast<tr::MaxPool*>(layer)) {
      sim::IntLayer L;
      L.kind = sim::IntLayer::Kind::maxpool;
      net.layers.push_back(L);
    } else if (dynamic_cast<tr::Flatten*>(layer)) {
      sim::IntLayer L;
      L.kind = sim::IntLayer::Kind::flatten;
      net.layers.push_back(L);
    }
  }
  // Pool sizes come from the network spec, in order.
  std::size_t pool = 0;
  for (const auto& l : meta.network.layers) {
    if (l.type != LayerType::maxpool) continue;
    while (pool < net.layers.size() && net.layers[pool].kind != sim::IntLayer::Kind::maxpool) ++pool;
    FLIGHT_CHECK(pool < net.layers.size(), "maxpool layers match the spec");
    net.layers[pool].pool_kernel = int(l.kernel);
    net.layers[pool].pool_stride = int(l.stride);
    ++pool;
  }
  return net;
}

sim::Workload to_workload(tr::Model& model, const ModelMeta& meta) {
  sim::KProfile p;
  p.text = tr::method_name(meta.quant);
  if (meta.quant.method == tr::Method::fixed) p.kind = sim::KProfile::Kind::fixed, p.n_bits = meta.quant.fixed_bits;
  else if (meta.quant.method == tr::Method::fp32) p.kind = sim::KProfile::Kind::fp32;
  else p.kind = sim::KProfile::Kind::uniform, p.k = 1;
  auto w = sim::build_workload(meta.network, meta.input, std::size_t(meta.classes), p, {meta.quant.a_bits, meta.quant.e_bits});
  w.name = meta.network.name + " " + p.text + " (trained)";
  if (w.format == sim::WeightFormat::pow2) {
    auto wls = model.weight_layers();
    FLIGHT_CHECK(wls.size() == w.layers.size(), "weight layers match the workload");
    for (std::size_t i = 0; i < wls.size(); ++i) {
      std::vector<float> q;
      wls[i]->quantizer().forward(wls[i]->weights(), q);
      std::array<int, 3> by_k{0, 0, 0};
      for (int k : wls[i]->quantizer().filter_k()) ++by_k[std::size_t(std::clamp(k, 0, 2))];
      w.layers[i].filters_by_k = by_k;
    }
  }
  sim::validate(w);
  return w;
}

}  // namespace flight::sweeps
