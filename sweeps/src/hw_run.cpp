#include "flight/core/parallel.hpp"
#include "flight/sweeps/hw_run.hpp"


#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <optional>

#include "flight/core/error.hpp"
#include "flight/cost_models/devices.hpp"
#include "flight/cost_models/energy.hpp"
#include "flight/sim/asic.hpp"
#include "flight/sim/bitexact.hpp"
#include "flight/sim/fpga.hpp"
#include "flight/sweeps/hw_report.hpp"
#include "flight/sweeps/model_convert.hpp"
#include "flight/trainer/train.hpp"

namespace flight::sweeps {
namespace tr = flight::trainer;
namespace {

struct Agreement {
  std::size_t images = 0, same = 0, hw_correct = 0, fq_correct = 0;
  std::vector<sim::LayerStats> stats;
};

Agreement bit_accurate(tr::Model& model, const ModelMeta& meta, const data::Dataset& d, std::size_t max_test,
                       int acc_bits) {
  auto net = to_int_network(model, meta);
  net.acc_bits = acc_bits;
  const sim::IntInference inf(std::move(net));
  const std::size_t n = max_test ? std::min(max_test, d.test.count) : d.test.count;
  // Fake-quantized predictions of the trainer, in batches.
  std::vector<int> fq(n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t b = 0; b < n; b += 256) {
    const std::size_t cnt = std::min<std::size_t>(256, n - b);
    const auto& logits = model.forward(tr::to_tensor(d.test, order, b, cnt), false);
    for (std::size_t i = 0; i < cnt; ++i) {
      const float* z = logits.data() + i * logits.c();
      fq[b + i] = int(std::max_element(z, z + logits.c()) - z);
    }
  }
  Agreement a;
  a.images = n;
  std::vector<int> hw(n);
  std::mutex mu;
  parallel_blocks(n, 64, [&](std::size_t begin, std::size_t end) {
    std::vector<sim::LayerStats> local;
    for (std::size_t i = begin; i != end; ++i) hw[i] = inf.run(d.test.image(i).data(), &local).predicted;
    std::lock_guard lock(mu);
    if (a.stats.empty()) {
      a.stats = local;
      return;
    }
    for (std::size_t l = 0; l < local.size(); ++l) {
      a.stats[l].max_abs_acc = std::max(a.stats[l].max_abs_acc, local[l].max_abs_acc);
      a.stats[l].compute = a.stats[l].compute || local[l].compute;
      a.stats[l].overflows += local[l].overflows;
    }
  });
  for (std::size_t i = 0; i < n; ++i) {
    a.same += hw[i] == fq[i];
    a.hw_correct += hw[i] == d.test.labels[i];
    a.fq_correct += fq[i] == d.test.labels[i];
  }
  return a;
}

}  // namespace

HardwareResult hardware_results(tr::Model& model, const ModelMeta& meta, const HardwareRequest& o,
                                const data::Dataset* data, bool asic_required) {
  const auto workload = to_workload(model, meta);
  boost::json::object out{{"net", meta.network.name},
                          {"dataset", meta.dataset},
                          {"method", tr::method_name(meta.quant)},
                          {"macs", workload.macs()},
                          {"fraction_k2", workload.fraction_k2()},
                          {"mean_shifts_per_weight", workload.mean_terms_per_weight()}};
  std::string text = fmt::format("{} on {}, {}; {:.1f} % of filters at k=2, {:.3f} shifts per weight\n",
                                 meta.network.name, meta.dataset, tr::method_name(meta.quant),
                                 100 * workload.fraction_k2(), workload.mean_terms_per_weight());
  // The best design on a device, DSP slices for multipliers allowed or not (lut_only: dsp_cap = 0).
  auto search = [&](const cost_models::Device& device, bool lut_only) {
    sim::FpgaLimits lim;
    lim.lut_cap = o.lut_cap;
    if (lut_only) lim.dsp_cap = 0;
    return sim::FpgaModel(workload, device, cost_models::builtin_fpga_costs(), lim).search();
  };
  std::optional<sim::SearchResult> main_search;  // the request's device with DSPs (the sensitivity reuses it)
  if (o.fpga) {
    const auto& device = cost_models::find_device(o.device);
    {
      main_search = search(device, false);
      const auto& r = *main_search;
      out["fpga"] = to_json(r);
      out["device"] = device_json(device);
      if (r.found) {
        const auto& b = r.best;
        text += fmt::format("FPGA {}: {:.1f} images/s, latency {:.3f} ms, LUT {:.1f} %, FF {:.1f} %, DSP {:.1f} %, "
                            "BRAM {:.1f} %\n  {}\n",
                            device.name, b.images_per_s, b.latency_s * 1e3, b.lut_pct, b.ff_pct, b.dsp_pct, b.bram_pct,
                            sim::describe(b.design));
        text += resource_table(b);
        text += layer_table(b);
      } else {
        text += "FPGA " + device.name + ": no design fits: " + r.reason + "\n";
      }
    }
  }
  if (o.fpga && o.sensitivity) {
    boost::json::array rows;
    for (const auto& device : cost_models::builtin_devices()) {
      for (const bool lut_only : {false, true}) {
        const bool same = !lut_only && device.name == cost_models::find_device(o.device).name;
        const auto r = same ? *main_search : search(device, lut_only);
        boost::json::object row{{"device", device.name}, {"policy", lut_only ? "lut-only" : "dsp"}, {"found", r.found}};
        if (r.found) {
          row["images_per_s"] = r.best.images_per_s;
          row["lut_pct"] = r.best.lut_pct;
          row["dsp_pct"] = r.best.dsp_pct;
        } else {
          row["reason"] = r.reason;
        }
        rows.push_back(std::move(row));
      }
    }
    out["sensitivity"] = std::move(rows);
  }
  if (o.asic) {
    const auto& table = cost_models::builtin_energy_table(o.energy_table);  // an unknown table name is bad input
    try {
      const auto asic = sim::asic_energy(workload, table);
      out["asic"] = to_json(asic);
      text += fmt::format("ASIC ({}): computational {:.3f} uJ/image ({:.3g} ops/J), total {:.3f} uJ/image\n", asic.table,
                          asic.compute_pj * 1e-6, asic.compute_ops_per_joule(), asic.total_pj() * 1e-6);
    } catch (const InputError& e) {  // the table lacks an action this format needs: say so, keep the rest
      if (asic_required) throw;
      out["asic"] = {{"error", e.what()}};
      text += std::string("ASIC: no figure: ") + e.what() + "\n";
    }
  }
  if (o.inference && meta.quant.method == tr::Method::fp32) {
    out["inference"] = {{"error", "an fp32 model has no integer form"}};
    text += "bit-accurate inference: not applicable to an fp32 model\n";
  }
  if (o.inference && meta.quant.method != tr::Method::fp32) {
    if (!data) throw InternalError("hardware_results: inference needs the data set");
    const auto& d = *data;
    const auto t0 = std::chrono::steady_clock::now();
    const auto a = bit_accurate(model, meta, d, o.max_test, o.acc_bits);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    boost::json::array acc_bits, overflows;
    for (const auto& s : a.stats)
      if (s.compute) acc_bits.push_back(s.acc_bits()), overflows.push_back(s.overflows);
    out["inference"] = {{"images", a.images},
                        {"hardware_accuracy", double(a.hw_correct) / a.images},
                        {"fake_quant_accuracy", double(a.fq_correct) / a.images},
                        {"agreement", double(a.same) / a.images},
                        {"accumulator_bits_per_layer", acc_bits},
                        {"accumulator_width", o.acc_bits},
                        {"overflows_per_layer", overflows},
                        {"seconds", secs}};
    text += fmt::format("bit-accurate inference on {} test images: hardware accuracy {:.4f}, fake-quantized {:.4f}, same "
                        "prediction on {:.3f} % ({:.1f} s)\n  largest accumulator (signed bits) per layer:",
                        a.images, double(a.hw_correct) / a.images, double(a.fq_correct) / a.images,
                        100.0 * double(a.same) / a.images, secs);
    for (const auto& s : a.stats)
      if (s.compute) {
        text += ' ';
        text += std::to_string(s.acc_bits());
      }
    text += "\n";
  }
  return {out, text};
}

}  // namespace flight::sweeps
