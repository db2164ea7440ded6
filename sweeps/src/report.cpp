#include "flight/sweeps/report.hpp"

#include "flight/sweeps/claims.hpp"

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

struct Sens {
  std::string device, policy;
  bool found = false;
  double ips = NAN;
};

struct Entry {
  std::string dataset, data, net, method, name;
  double lambda = 0;
  double target_fps = 0;  // FLightNN trained to a throughput target (0: a fixed λ)
  int seed = 1;
  double acc = NAN, k2 = NAN, shifts = NAN;
  bool fpga = false;
  double ips = NAN, lut = NAN, ff = NAN, dsp = NAN, bram = NAN;
  double asic_compute_j = NAN, asic_total_j = NAN, asic_ops_per_j = NAN;
  double hw_acc = NAN, agreement = NAN;
  // filled per configuration
  double delta_fp32 = NAN, vs_l2 = NAN, vs_f4 = NAN;
  std::vector<Sens> sens;
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

// The claims judge the paper's method: FLightNN at a fixed λ (runs trained to a throughput target are shown, not
// judged).
bool paper_flightnn(const Entry& e) { return e.method == "flightnn" && !(e.target_fps > 0); }

std::string method_label(const Entry& e) {
  if (e.method == "flightnn" && e.target_fps > 0) return "FLightNN → " + fmt("%.0f", e.target_fps) + "/s";
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
    if (const auto* t = c.if_contains("target_fps")) e.target_fps = t->to_number<double>();
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
      if (const auto* sv = h.if_contains("sensitivity"); sv && sv->is_array()) {
        for (const auto& x : sv->as_array()) {
          const auto& o = x.as_object();
          e.sens.push_back({std::string(o.at("device").as_string()), std::string(o.at("policy").as_string()),
                            o.at("found").as_bool(), num(o, {"images_per_s"})});
        }
      }
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
      return std::make_tuple(method_rank(a.method), a.target_fps, a.lambda) <
             std::make_tuple(method_rank(b.method), b.target_fps, b.lambda);
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

// The seeds of one configuration (data set, network): per method (and λ), its runs in seed order.
struct Group {
  std::string dataset, data, net;
  std::vector<int> seeds;
  std::vector<std::pair<std::string, std::vector<const Entry*>>> methods;  // key: label; in table order
  const std::vector<const Entry*>* find(const std::string& label) const {
    for (const auto& [k, v] : methods)
      if (k == label) return &v;
    return nullptr;
  }
  std::string label() const { return dataset + (data != dataset ? "→" + data : "") + " / " + net; }
};

std::vector<Group> groups(const Loaded& L) {
  std::vector<Group> out;
  for (const auto& c : L.configs) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Group& g) { return g.dataset == c.dataset && g.net == c.net; });
    if (it == out.end()) {
      out.push_back({c.dataset, c.data, c.net, {}, {}});
      it = std::prev(out.end());
    }
    it->seeds.push_back(c.seed);
    for (const auto& e : c.rows) {
      const auto label = method_label(e);
      auto m = std::find_if(it->methods.begin(), it->methods.end(), [&](const auto& p) { return p.first == label; });
      if (m == it->methods.end()) {
        it->methods.push_back({label, {}});
        m = std::prev(it->methods.end());
      }
      m->second.push_back(&e);
    }
  }
  for (auto& g : out) {
    std::sort(g.seeds.begin(), g.seeds.end());
    std::stable_sort(g.methods.begin(), g.methods.end(), [](const auto& a, const auto& b) {
      const Entry& x = *a.second.front();
      const Entry& y = *b.second.front();
      return std::make_tuple(method_rank(x.method), x.target_fps, x.lambda) <
             std::make_tuple(method_rank(y.method), y.target_fps, y.lambda);
    });
    for (auto& [k, v] : g.methods)
      std::sort(v.begin(), v.end(), [](const Entry* a, const Entry* b) { return a->seed < b->seed; });
  }
  return out;
}

template <class F>
std::vector<double> values(const std::vector<const Entry*>& runs, F f) {
  std::vector<double> out;
  for (const auto* e : runs)
    if (const double v = f(*e); !std::isnan(v)) out.push_back(v);
  return out;
}

// Per-seed differences f(a) − f(b) over the seeds both methods ran (each seed's runs share its FP32 parent).
template <class F>
std::vector<double> paired(const std::vector<const Entry*>& a, const std::vector<const Entry*>& b, F f) {
  std::vector<double> out;
  for (const auto* x : a)
    for (const auto* y : b)
      if (x->seed == y->seed && !std::isnan(f(*x)) && !std::isnan(f(*y))) out.push_back(f(*x) - f(*y));
  return out;
}

// A table cell: the mean, and ± the sample standard deviation when there are two seeds or more (n has its column).
std::string cell(const std::vector<double>& xs, const char* format, double scale = 1) {
  return mean_pm(spread(xs), format, scale, "", false);
}

const char* kHead =
    "| method | n | test acc % | Δ vs FP32 (pts) | k=2 filters % | shifts/weight | LUT % | FF % | DSP % | BRAM % | "
    "FPGA images/s | × LightNN-2 | × Fixed-4 | ASIC compute µJ/image | ASIC total µJ/image | compute GOPS/W | "
    "bit-exact agreement % |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

std::string row_md(const std::string& label, const std::vector<const Entry*>& r) {
  auto col = [&](double Entry::*m, const char* f, double scale = 1) {
    return cell(values(r, [m](const Entry& e) { return e.*m; }), f, scale);
  };
  std::string s = "| " + label + " | " + std::to_string(r.size());
  for (const auto& c :
       {col(&Entry::acc, "%.2f", 100), col(&Entry::delta_fp32, "%+.2f", 100), col(&Entry::k2, "%.1f", 100),
        col(&Entry::shifts, "%.3f"), col(&Entry::lut, "%.1f"), col(&Entry::ff, "%.1f"), col(&Entry::dsp, "%.1f"),
        col(&Entry::bram, "%.1f"), col(&Entry::ips, "%.0f"), col(&Entry::vs_l2, "%.2f"), col(&Entry::vs_f4, "%.2f"),
        col(&Entry::asic_compute_j, "%.3f", 1e6), col(&Entry::asic_total_j, "%.3f", 1e6),
        col(&Entry::asic_ops_per_j, "%.1f", 1e-9), col(&Entry::agreement, "%.2f", 100)})
    s += " | " + c;
  return s + " |\n";
}

struct Claim {
  std::string text, paper, ours, holds;
};

// Whether the profile's accuracies are judged, and if not, why (what the report prints as the verdict).
struct Judging {
  bool accuracy = false;
  std::string reason;
};

Judging judging(const std::map<std::string, std::string>& meta, const std::vector<Group>& G) {
  Judging j;
  const auto it = meta.find("judges_accuracy");
  j.accuracy = it != meta.end() && it->second == "true";
  if (j.accuracy) return j;
  const std::string profile = meta.count("profile") ? meta.at("profile") : "?";
  double lo = NAN, hi = NAN;
  for (const auto& g : G)
    if (const auto* fp = g.find("FP32"))
      for (const auto* e : *fp) {
        if (!(e->acc >= lo)) lo = e->acc;
        if (!(e->acc <= hi)) hi = e->acc;
      }
  j.reason = "not judged at this profile: `" + profile + "` declares judges_accuracy = false";
  if (it == meta.end()) j.reason = "not judged: the database does not say whether profile `" + profile +
                                   "` judges accuracy (made before the setting existed)";
  if (!std::isnan(lo)) {
    j.reason += "; its FP32 parents reach " + fmt("%.1f", 100 * lo) + (hi > lo ? "–" + fmt("%.1f", 100 * hi) : "") +
                " % (the reference profile, 15 epochs on full data, is the one meant to separate the methods)";
  }
  return j;
}

// Speed is a function of the trained model (its k mix), so seeds spread it only through FLightNN's mix.  One seed
// cannot estimate that spread, but the number itself is exact: hardware verdicts with n = 1 compare the value.
Outcome hw_outcome(const std::vector<double>& xs, double threshold) {
  if (xs.size() == 1) return xs[0] > threshold ? Outcome::above : Outcome::below;
  return compare(xs, threshold).outcome;
}

std::vector<double> speedups(const std::vector<const Entry*>& runs, const std::vector<const Entry*>& base,
                             const std::string& device, const std::string& policy) {
  std::vector<double> out;
  auto ips = [&](const Entry& e) {
    if (device.empty()) return e.ips;
    for (const auto& s : e.sens)
      if (s.device == device && s.policy == policy) return s.found ? s.ips : NAN;
    return double(NAN);
  };
  for (const auto* x : runs)
    for (const auto* y : base)
      if (x->seed == y->seed && ips(*y) > 0 && !std::isnan(ips(*x))) out.push_back(ips(*x) / ips(*y));
  return out;
}

// "FLightNN is up to 2× faster than <base>": the best mean speedup over configurations and λ, judged against 2×.
Claim speed_claim(const std::vector<Group>& G, const std::string& base_label, const std::string& device,
                  const std::string& policy, const std::string& text) {
  double best = NAN;
  std::vector<double> best_runs;
  std::string where;
  for (const auto& g : G) {
    const auto* base = g.find(base_label);
    if (!base) continue;
    for (const auto& [label, runs] : g.methods) {
      if (!paper_flightnn(*runs.front())) continue;
      const auto sp = speedups(runs, *base, device, policy);
      const auto s = spread(sp);
      if (s.n && !(s.mean <= best)) best = s.mean, best_runs = sp, where = g.label() + ", " + label;
    }
  }
  if (std::isnan(best)) return {text, "up to 2×", "not measured", "not measured"};
  const auto o = hw_outcome(best_runs, 2.0);
  return {text, "up to 2×", "up to " + mean_pm(spread(best_runs), "%.2f", 1, "×") + " (" + where + ")",
          o == Outcome::above ? "holds" : o == Outcome::below ? "does not hold" : "within noise"};
}

std::vector<Claim> claims(const std::vector<Group>& G, const Judging& J) {
  std::vector<Claim> out;
  const std::string rule = "two standard errors of the per-seed paired difference";
  // 1. FLightNN vs LightNN-2: 2× faster with at most 0.1 point of accuracy lost (accuracy-dependent).
  {
    const std::string text = "FLightNN is 2× faster than LightNN-2 with ≤ 0.1 point accuracy loss";
    if (!J.accuracy) {
      auto c = speed_claim(G, "LightNN-2", "", "", text);
      c.paper = "2× at 0.1 % loss";
      c.ours = "speed alone: " + c.ours + "; accuracy loss not judged";
      c.holds = J.reason;
      out.push_back(c);
    } else {
      std::vector<Outcome> outs;
      std::string per;
      for (const auto& g : G) {
        const auto* l2 = g.find("LightNN-2");
        if (!l2) continue;
        // The fastest FLightNN whose accuracy is not clearly more than 0.1 point below LightNN-2's.
        double best = NAN;
        std::vector<double> best_sp;
        bool no_estimate = false;
        for (const auto& [label, runs] : g.methods) {
          if (!paper_flightnn(*runs.front())) continue;
          const auto acc = compare(paired(runs, *l2, [](const Entry& e) { return e.acc; }), -0.001);
          if (acc.outcome == Outcome::no_estimate) no_estimate = true;
          if (acc.outcome == Outcome::below) continue;
          const auto sp = speedups(runs, *l2, "", "");
          if (const auto s = spread(sp); s.n && !(s.mean <= best)) best = s.mean, best_sp = sp;
        }
        if (no_estimate) {
          outs.push_back(Outcome::no_estimate);
        } else {
          outs.push_back(std::isnan(best) ? Outcome::below : hw_outcome(best_sp, 2.0));
        }
        per += (per.empty() ? "" : "; ") + g.label() + " " +
               (std::isnan(best) ? std::string("none within 0.1 pt") : mean_pm(spread(best_sp), "%.2f", 1, "×"));
      }
      out.push_back({text, "2× at 0.1 % loss",
                     outs.empty() ? "no configuration has both"
                                  : "fastest FLightNN not clearly below LightNN-2 − 0.1 pt: " + per + " (" + rule + ")",
                     combine(outs)});
    }
  }
  // 2a. More accurate than Fixed-4: the most accurate FLightNN of each configuration (by mean) against Fixed-4.
  {
    const std::string text = "FLightNN is more accurate than 4-bit fixed point";
    std::vector<Outcome> outs;
    std::string per;
    for (const auto& g : G) {
      const auto* f4 = g.find("Fixed-4");
      if (!f4) continue;
      const std::vector<const Entry*>* best = nullptr;
      double best_acc = NAN;
      for (const auto& [label, runs] : g.methods) {
        if (!paper_flightnn(*runs.front())) continue;
        const auto s = spread(values(runs, [](const Entry& e) { return e.acc; }));
        if (s.n && !(s.mean <= best_acc)) best_acc = s.mean, best = &runs;
      }
      if (!best) continue;
      const auto c = compare(paired(*best, *f4, [](const Entry& e) { return e.acc; }), 0.0);
      outs.push_back(c.outcome);
      per += (per.empty() ? "" : ", ") + g.label() + " " + mean_pm(c.diff, "%+.2f", 100, " pts");
    }
    out.push_back({text, "more accurate",
                   outs.empty() ? "no configuration has both"
                                : "best FLightNN − Fixed-4: " + per + " (" + rule + " against 0)",
                   J.accuracy ? combine(outs) : J.reason});
  }
  // 2b. Up to 2× faster than Fixed-4 (hardware only).
  out.push_back(speed_claim(G, "Fixed-4", "", "", "FLightNN is up to 2× faster than 4-bit fixed point"));
  // 3. Computational energy efficiency on ASIC above LightNN-2's and Fixed-4's (hardware only).
  {
    std::vector<Outcome> outs;
    double lo = NAN, hi = NAN;
    for (const auto& g : G) {
      const auto* l2 = g.find("LightNN-2");
      const auto* f4 = g.find("Fixed-4");
      for (const auto& [label, runs] : g.methods) {
        if (!paper_flightnn(*runs.front())) continue;
        std::vector<double> ratios;
        for (const auto* e : runs) {
          double base = 0;
          for (const auto* b : {l2, f4})
            if (b)
              for (const auto* x : *b)
                if (x->seed == e->seed && !std::isnan(x->asic_ops_per_j)) base = std::max(base, x->asic_ops_per_j);
          if (base > 0 && !std::isnan(e->asic_ops_per_j)) ratios.push_back(e->asic_ops_per_j / base);
        }
        if (ratios.empty()) continue;
        const auto s = spread(ratios);
        outs.push_back(hw_outcome(ratios, 1.0));
        if (!(s.mean >= lo)) lo = s.mean;
        if (!(s.mean <= hi)) hi = s.mean;
      }
    }
    int yes = 0;
    for (auto o : outs) yes += o == Outcome::above;
    out.push_back({"FLightNN has higher computational energy efficiency on ASIC (than LightNN-2 and Fixed-4)",
                   "higher",
                   outs.empty() ? "not measured"
                                : "higher in " + std::to_string(yes) + " of " + std::to_string(outs.size()) +
                                      " FLightNN points; mean ratio to the better of LightNN-2 and Fixed-4: " +
                                      fmt("%.2f", lo) + "–" + fmt("%.2f", hi) + "×",
                   combine(outs)});
  }
  return out;
}

// The speed claims on every catalog device under both multiplier policies.
std::string sensitivity_md(const std::vector<Group>& G) {
  std::vector<std::pair<std::string, std::string>> cases;  // (device, policy) in the order recorded
  for (const auto& g : G)
    for (const auto& [label, runs] : g.methods)
      for (const auto* e : runs)
        for (const auto& s : e->sens)
          if (std::find(cases.begin(), cases.end(), std::make_pair(s.device, s.policy)) == cases.end())
            cases.push_back({s.device, s.policy});
  if (cases.empty()) return "";
  std::string s =
      "## Sensitivity of the speed claims to the device and the multiplier policy\n\n"
      "Each experiment's model is also placed on every catalog device under two multiplier policies: `dsp` (DSP "
      "slices allowed for multipliers, as in the tables above) and `lut-only` (no DSP for any method).  The ASIC "
      "energy claim does not depend on either.\n\n"
      "| claim | device | policy | this run | verdict |\n|---|---|---|---|---|\n";
  for (const auto& [base, text] : {std::pair<std::string, std::string>{"LightNN-2", "FLightNN 2× faster than LightNN-2 (speed alone)"},
                                   {"Fixed-4", "FLightNN up to 2× faster than 4-bit fixed point"}}) {
    for (const auto& [device, policy] : cases) {
      const auto c = speed_claim(G, base, device, policy, text);
      s += "| " + text + " | " + device + " | " + policy + " | " + c.ours + " | " + c.holds + " |\n";
    }
  }
  return s + "\n";
}

}  // namespace

std::string report_markdown(db::Repository& repo) {
  const auto meta = repo.all_meta();
  const auto L = load(repo);
  const auto G = groups(L);
  const auto J = judging(meta, G);
  auto m = [&](const char* k) { return meta.count(k) ? meta.at(k) : std::string("?"); };
  std::ostringstream os;
  os << "# FLight DSE report: grid " << m("grid") << ", profile " << m("profile") << "\n\n";
  int total = 0;
  for (const auto& [s, n] : L.counts) total += n;
  auto count = [&](const char* s) { return L.counts.count(s) ? L.counts.at(s) : 0; };
  os << "- Experiments: " << total << " (" << count("done") << " done, " << count("failed") << " failed, "
     << count("skipped") << " skipped, " << count("pending") + count("running") << " not finished)\n";
  if (meta.count("profile_description") && !meta.at("profile_description").empty()) {
    const auto& d = meta.at("profile_description");
    os << "- Profile: " << d << (d.back() == '.' ? "" : ".") << " Accuracy verdicts: "
       << (J.accuracy ? "judged" : "not judged") << ".\n";
  }
  os << "- Hardware: FPGA " << (L.device.empty() ? "?" : L.device)
     << ", best design per experiment, DSP slices allowed for multipliers; ASIC energy table "
     << (L.energy_table.empty() ? "?" : L.energy_table) << "\n";
  bool substituted = false;
  for (const auto& c : L.configs) substituted = substituted || c.data != c.dataset;
  if (substituted) {
    os << "- **Substituted data sets**: a configuration labelled `A→B` is the paper's data set A run on B, because A "
          "is not on this machine (`--substitute`).\n";
  }
  os << "- Accuracy: top-1 on the test images the profile evaluates; Δ in percentage points; speedups are FPGA "
        "images/s ratios on the same device; GOPS/W counts 2 ops per MAC.\n";
  os << "- Seeds: each cell is the mean over the configuration's seeds, ± their sample standard deviation when n ≥ 2 "
        "(n: seeds); Δ and speedups pair each run with its own seed's reference.  Per-seed rows: `flight db export "
        "--view paper_table`, aggregates: `--view paper_summary`.\n\n";
  for (const auto& g : G) {
    os << "## " << g.label() << " (seeds";
    for (std::size_t i = 0; i < g.seeds.size(); ++i) os << (i ? ", " : " ") << g.seeds[i];
    os << ")\n\n" << kHead;
    for (const auto& [label, runs] : g.methods) os << row_md(label, runs);
    os << "\n";
  }
  os << "## The paper's headline claims (FLightNN, DAC 2019) against this run\n\n";
  os << "| claim | paper | this run | verdict |\n|---|---|---|---|\n";
  for (const auto& cl : claims(G, J)) os << "| " << cl.text << " | " << cl.paper << " | " << cl.ours << " | " << cl.holds << " |\n";
  os << "\nPaper values are the abstract's statements, quoted as references; every other number is computed from "
        "this database.  A difference is \"within noise\" when its mean lies within two standard errors of the "
        "threshold (per-seed paired differences); with one seed no noise estimate exists and accuracy claims are not "
        "judged.  Hardware numbers are exact for a given model; seeds spread them only through FLightNN's k mix.\n\n";
  os << sensitivity_md(G);
  if (!L.unfinished.empty()) {
    os << "## Not finished\n\n| experiment | status | reason |\n|---|---|---|\n";
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
