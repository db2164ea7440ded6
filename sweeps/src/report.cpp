#include "flight/sweeps/report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

namespace flight::sweeps {
namespace {

namespace json = boost::json;

struct Entry {
  std::string dataset, data, net, method, name;
  double lambda = 0;
  int seed = 1;
  double acc = NAN, k2 = NAN, shifts = NAN;
  bool fpga = false;
  double ips = NAN, lut = NAN, ff = NAN, dsp = NAN, bram = NAN;
  double asic_compute_j = NAN, asic_total_j = NAN, asic_ops_per_j = NAN;
  double hw_acc = NAN, agreement = NAN;
  // filled per configuration
  double delta_fp32 = NAN, vs_l2 = NAN, vs_f4 = NAN;
};

double num(const json::object& o, std::initializer_list<const char*> path) {
  const json::value* v = nullptr;
  const json::object* cur = &o;
  for (auto it = path.begin(); it != path.end(); ++it) {
    v = cur->if_contains(*it);
    if (!v) return NAN;
    if (std::next(it) != path.end()) {
      if (!v->is_object()) return NAN;
      cur = &v->as_object();
    }
  }
  if (!v || !v->is_number()) return NAN;
  return v->to_number<double>();
}

int method_rank(const std::string& m) {
  if (m == "fp32") return 0;
  if (m.rfind("fixed", 0) == 0) return 1;
  if (m == "lightnn2") return 2;
  if (m == "lightnn1") return 3;
  return 4;
}

std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string method_label(const Entry& e) {
  if (e.method == "flightnn") return "FLightNN λ=" + fmt("%g", e.lambda);
  if (e.method == "fp32") return "FP32";
  if (e.method == "lightnn1") return "LightNN-1";
  if (e.method == "lightnn2") return "LightNN-2";
  if (e.method.rfind("fixed", 0) == 0) return "Fixed-" + e.method.substr(5);
  return e.method;
}

struct Config {
  std::string dataset, data, net;
  int seed = 1;
  std::vector<Entry> rows;
  const Entry* find(const std::string& method) const {
    for (const auto& r : rows)
      if (r.method == method) return &r;
    return nullptr;
  }
  std::string label() const {
    return dataset + (data != dataset ? "→" + data : "") + " / " + net + (seed != 1 ? " / seed " + std::to_string(seed) : "");
  }
};

struct Loaded {
  std::vector<Config> configs;
  std::vector<db::Row> unfinished;
  std::map<std::string, int> counts;
  std::string device, energy_table;
};

Loaded load(db::Repository& repo) {
  Loaded L;
  std::map<std::tuple<std::string, std::string, int>, std::size_t> index;
  for (const auto& r : repo.rows()) {
    ++L.counts[r.status];
    if (r.status != "done") {
      L.unfinished.push_back(r);
      continue;
    }
    const auto c = json::parse(r.config).as_object();
    const auto res = json::parse(r.result).as_object();
    Entry e;
    e.name = r.name;
    e.dataset = std::string(c.at("dataset").as_string());
    e.data = std::string(c.at("data").as_string());
    e.net = std::string(c.at("net").as_string());
    e.method = std::string(c.at("method").as_string());
    e.lambda = c.at("lambda").to_number<double>();
    e.seed = int(c.at("seed").to_number<double>());
    e.acc = num(res, {"train", "test_accuracy"});
    e.k2 = num(res, {"train", "fraction_k2"});
    e.shifts = num(res, {"train", "mean_shifts_per_weight"});
    const auto* hw = res.if_contains("hardware");
    if (hw && hw->is_object()) {
      const auto& h = hw->as_object();
      e.fpga = num(h, {"fpga", "found"}) == 1 || (h.contains("fpga") && h.at("fpga").as_object().contains("best"));
      e.ips = num(h, {"fpga", "best", "images_per_s"});
      e.lut = num(h, {"fpga", "best", "percent", "lut"});
      e.ff = num(h, {"fpga", "best", "percent", "ff"});
      e.dsp = num(h, {"fpga", "best", "percent", "dsp"});
      e.bram = num(h, {"fpga", "best", "percent", "bram36"});
      e.asic_compute_j = num(h, {"asic", "compute_energy_j"});
      e.asic_total_j = num(h, {"asic", "total_energy_j"});
      e.asic_ops_per_j = num(h, {"asic", "compute_ops_per_j"});
      e.hw_acc = num(h, {"inference", "hardware_accuracy"});
      e.agreement = num(h, {"inference", "agreement"});
      if (L.device.empty() && h.contains("device")) {
        L.device = std::string(h.at("device").as_object().at("name").as_string());
      }
      if (L.energy_table.empty() && h.contains("asic") && h.at("asic").as_object().contains("energy_table")) {
        L.energy_table = std::string(h.at("asic").as_object().at("energy_table").as_string());
      }
    }
    const auto k = std::make_tuple(e.dataset, e.net, e.seed);
    if (!index.count(k)) {
      index[k] = L.configs.size();
      L.configs.push_back({e.dataset, e.data, e.net, e.seed, {}});
    }
    L.configs[index[k]].rows.push_back(e);
  }
  for (auto& cfg : L.configs) {
    std::stable_sort(cfg.rows.begin(), cfg.rows.end(), [](const Entry& a, const Entry& b) {
      return std::make_pair(method_rank(a.method), a.lambda) < std::make_pair(method_rank(b.method), b.lambda);
    });
    const auto* fp = cfg.find("fp32");
    const auto* l2 = cfg.find("lightnn2");
    const auto* f4 = cfg.find("fixed4");
    for (auto& e : cfg.rows) {
      if (fp) e.delta_fp32 = e.acc - fp->acc;
      if (l2 && l2->ips > 0) e.vs_l2 = e.ips / l2->ips;
      if (f4 && f4->ips > 0) e.vs_f4 = e.ips / f4->ips;
    }
  }
  return L;
}

const char* kHead =
    "| method | test acc % | Δ vs FP32 (pts) | k=2 filters % | shifts/weight | LUT % | FF % | DSP % | BRAM % | "
    "FPGA images/s | × LightNN-2 | × Fixed-4 | ASIC compute µJ/image | ASIC total µJ/image | compute GOPS/W | "
    "bit-exact agreement % |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

std::string row_md(const Entry& e) {
  std::string s = "| " + method_label(e);
  for (const auto& cell :
       {fmt("%.2f", 100 * e.acc), fmt("%+.2f", 100 * e.delta_fp32), fmt("%.1f", 100 * e.k2), fmt("%.3f", e.shifts),
        fmt("%.1f", e.lut), fmt("%.1f", e.ff), fmt("%.1f", e.dsp), fmt("%.1f", e.bram), fmt("%.0f", e.ips),
        fmt("%.2f", e.vs_l2), fmt("%.2f", e.vs_f4), fmt("%.3f", e.asic_compute_j * 1e6),
        fmt("%.3f", e.asic_total_j * 1e6), fmt("%.1f", e.asic_ops_per_j * 1e-9), fmt("%.2f", 100 * e.agreement)})
    s += " | " + cell;
  return s + " |\n";
}

struct Claim {
  std::string text, paper, ours, holds;
};

std::vector<Claim> claims(const Loaded& L) {
  std::vector<Claim> out;
  // 1. FLightNN vs LightNN-2: the largest speedup among FLightNN runs that lose at most 0.1 points of accuracy.
  {
    int n = 0, yes = 0;
    double best = NAN;
    std::string where;
    std::string per;
    for (const auto& c : L.configs) {
      const auto* l2 = c.find("lightnn2");
      if (!l2) continue;
      double sp = NAN;
      for (const auto& e : c.rows)
        if (e.method == "flightnn" && e.acc >= l2->acc - 0.001 && !std::isnan(e.vs_l2) && !(e.vs_l2 <= sp)) sp = e.vs_l2;
      ++n;
      if (sp >= 2.0) ++yes;
      if (!std::isnan(sp) && !(sp <= best)) best = sp, where = c.label();
    }
    out.push_back({"FLightNN is 2× faster than LightNN-2 with ≤ 0.1 point accuracy loss",
                   "2× at 0.1 % loss",
                   n ? "best " + fmt("%.2f", best) + "× (" + (where.empty() ? "none within 0.1 pt" : where) +
                           "); ≥ 2× within 0.1 pt in " + std::to_string(yes) + " of " + std::to_string(n) +
                           " configurations"
                     : "no configuration has both",
                   n == 0 ? "not measured" : yes == n ? "holds" : yes > 0 ? "holds in part" : "does not hold"});
  }
  // 2a. More accurate than Fixed-4 (the most accurate FLightNN of each configuration vs Fixed-4).
  {
    int n = 0, yes = 0;
    std::string per;
    for (const auto& c : L.configs) {
      const auto* f4 = c.find("fixed4");
      if (!f4) continue;
      double best = NAN;
      for (const auto& e : c.rows)
        if (e.method == "flightnn" && !(e.acc <= best)) best = e.acc;
      if (std::isnan(best)) continue;
      ++n;
      yes += best > f4->acc;
      per += (per.empty() ? "" : ", ") + c.label() + " " + fmt("%+.2f", 100 * (best - f4->acc));
    }
    out.push_back({"FLightNN is more accurate than 4-bit fixed point", "more accurate",
                   n ? "more accurate in " + std::to_string(yes) + " of " + std::to_string(n) +
                           " configurations (best FLightNN − Fixed-4, pts: " + per + ")"
                     : "no configuration has both",
                   n == 0 ? "not measured" : yes == n ? "holds" : yes > 0 ? "holds in part" : "does not hold"});
  }
  // 2b. Up to 2× faster than Fixed-4.
  {
    double best = NAN;
    std::string where;
    for (const auto& c : L.configs)
      for (const auto& e : c.rows)
        if (e.method == "flightnn" && !std::isnan(e.vs_f4) && !(e.vs_f4 <= best)) best = e.vs_f4, where = c.label();
    out.push_back({"FLightNN is up to 2× faster than 4-bit fixed point", "up to 2×",
                   std::isnan(best) ? "not measured" : "up to " + fmt("%.2f", best) + "× (" + where + ")",
                   std::isnan(best) ? "not measured" : best >= 2.0 ? "holds" : "does not hold"});
  }
  // 3. Computational energy efficiency on ASIC above LightNN-2's and Fixed-4's.
  {
    int n = 0, yes = 0;
    double lo = NAN, hi = NAN;
    for (const auto& c : L.configs) {
      const auto* l2 = c.find("lightnn2");
      const auto* f4 = c.find("fixed4");
      for (const auto& e : c.rows) {
        if (e.method != "flightnn" || std::isnan(e.asic_ops_per_j)) continue;
        ++n;
        double base = 0;
        if (l2) base = std::max(base, l2->asic_ops_per_j);
        if (f4) base = std::max(base, f4->asic_ops_per_j);
        if (base <= 0) continue;
        const double ratio = e.asic_ops_per_j / base;
        yes += ratio > 1;
        if (!(ratio >= lo)) lo = ratio;
        if (!(ratio <= hi)) hi = ratio;
      }
    }
    out.push_back({"FLightNN has higher computational energy efficiency on ASIC (than LightNN-2 and Fixed-4)",
                   "higher",
                   n ? "higher in " + std::to_string(yes) + " of " + std::to_string(n) +
                           " FLightNN runs; ratio to the better of LightNN-2 and Fixed-4: " + fmt("%.2f", lo) + "–" +
                           fmt("%.2f", hi) + "×"
                     : "not measured",
                   n == 0 ? "not measured" : yes == n ? "holds" : yes > 0 ? "holds in part" : "does not hold"});
  }
  return out;
}

}  // namespace

std::string report_markdown(db::Repository& repo) {
  const auto meta = repo.all_meta();
  const auto L = load(repo);
  auto m = [&](const char* k) { return meta.count(k) ? meta.at(k) : std::string("?"); };
  std::ostringstream os;
  os << "# FLight DSE report: grid " << m("grid") << ", profile " << m("profile") << "\n\n";
  int total = 0;
  for (const auto& [s, n] : L.counts) total += n;
  auto count = [&](const char* s) { return L.counts.count(s) ? L.counts.at(s) : 0; };
  os << "- Experiments: " << total << " (" << count("done") << " done, " << count("failed") << " failed, "
     << count("skipped") << " skipped, " << count("pending") + count("running") << " not finished)\n";
  os << "- Hardware: FPGA " << (L.device.empty() ? "?" : L.device) << ", best design per experiment; ASIC energy table "
     << (L.energy_table.empty() ? "?" : L.energy_table) << "\n";
  bool substituted = false;
  for (const auto& c : L.configs) substituted = substituted || c.data != c.dataset;
  if (substituted) {
    os << "- **Substituted data sets**: a configuration labelled `A→B` is the paper's data set A run on B, because A "
          "is not on this machine (`--substitute`).\n";
  }
  os << "- Accuracy: top-1 on the test images the profile evaluates; Δ in percentage points; speedups are FPGA "
        "images/s ratios on the same device; GOPS/W counts 2 ops per MAC.\n\n";
  for (const auto& c : L.configs) {
    os << "## " << c.label() << "\n\n" << kHead;
    for (const auto& e : c.rows) os << row_md(e);
    os << "\n";
  }
  os << "## The paper's headline claims (FLightNN, DAC 2019) against this run\n\n";
  os << "| claim | paper | this run | verdict |\n|---|---|---|---|\n";
  for (const auto& cl : claims(L)) os << "| " << cl.text << " | " << cl.paper << " | " << cl.ours << " | " << cl.holds << " |\n";
  os << "\nPaper values are the abstract's statements, quoted as references; every other number is computed from "
        "this database.\n";
  if (!L.unfinished.empty()) {
    os << "\n## Not finished\n\n| experiment | status | reason |\n|---|---|---|\n";
    for (const auto& r : L.unfinished) {
      std::string reason = r.error;
      std::replace(reason.begin(), reason.end(), '|', '/');
      std::replace(reason.begin(), reason.end(), '\n', ' ');
      os << "| " << (r.name.empty() ? r.key : r.name) << " | " << r.status << " | " << reason << " |\n";
    }
  }
  return os.str();
}

std::string report_csv(db::Repository& repo) {
  const auto L = load(repo);
  std::ostringstream os;
  os << "dataset,data,net,seed,method,lambda,test_accuracy,delta_vs_fp32,fraction_k2,shifts_per_weight,lut_pct,ff_pct,"
        "dsp_pct,bram_pct,fpga_images_per_s,speedup_vs_lightnn2,speedup_vs_fixed4,asic_compute_j,asic_total_j,"
        "asic_compute_ops_per_j,bit_agreement\n";
  auto v = [](double x) { return std::isnan(x) ? std::string() : fmt("%.10g", x); };
  for (const auto& c : L.configs) {
    for (const auto& e : c.rows) {
      os << e.dataset << ',' << e.data << ',' << e.net << ',' << e.seed << ',' << e.method << ',' << v(e.lambda)
         << ',' << v(e.acc) << ',' << v(e.delta_fp32) << ',' << v(e.k2) << ',' << v(e.shifts) << ',' << v(e.lut)
         << ',' << v(e.ff) << ',' << v(e.dsp) << ',' << v(e.bram) << ',' << v(e.ips) << ',' << v(e.vs_l2) << ','
         << v(e.vs_f4) << ',' << v(e.asic_compute_j) << ',' << v(e.asic_total_j) << ',' << v(e.asic_ops_per_j)
         << ',' << v(e.agreement) << '\n';
    }
  }
  return os.str();
}

}  // namespace flight::sweeps
