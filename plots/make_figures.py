#!/usr/bin/python3
"""Figures from a FLight DSE results database (flight sweep run).

    /usr/bin/python3 plots/make_figures.py RESULTS.sqlite --out DIR

Writes, as PNG and PDF: accuracy_vs_throughput (Pareto front marked), k_mix_per_layer, resources, energy_per_image
and training_curves.  Needs only Debian's python3-matplotlib (run with /usr/bin/python3).  Exit codes: 0 success,
2 bad input (a missing file, not a results database, no finished experiment).
"""
import argparse
import json
import math
import os
import sqlite3
import sys

METHOD_ORDER = {"fp32": 0, "fixed4": 1, "lightnn2": 2, "lightnn1": 3, "flightnn": 4}
COLORS = {"fp32": "#444444", "fixed4": "#1f77b4", "lightnn2": "#2ca02c", "lightnn1": "#d62728", "flightnn": "#9467bd"}


def fail(msg):
    print(f"make_figures.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def label(e):
    m = e["method"]
    if m == "flightnn" and e.get("target"):
        return f"FLightNN → {e['target']:,.0f}/s"
    if m == "flightnn":
        return f"FLightNN λ={e['lambda']:g}"
    return {"fp32": "FP32", "lightnn1": "LightNN-1", "lightnn2": "LightNN-2"}.get(m, m.replace("fixed", "Fixed-"))


def load(path):
    if not os.path.isfile(path):
        fail(f"{path}: no such results database")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = con.execute("SELECT name, config, result FROM experiments WHERE status = 'done' ORDER BY rowid").fetchall()
    except sqlite3.DatabaseError as e:
        fail(f"{path}: not a FLight DSE results database ({e})")
    exps = []
    for name, config, result in rows:
        c, r = json.loads(config), json.loads(result)
        hw = r.get("hardware", {})
        best = hw.get("fpga", {}).get("best", {})
        exps.append({
            "name": name, "dataset": c["dataset"], "data": c["data"], "net": c["net"], "method": c["method"],
            "lambda": c["lambda"], "seed": c["seed"], "target": c.get("target_fps", 0),
            "acc": 100 * r["train"]["test_accuracy"],
            "k_hist": r["train"].get("k_histogram_per_layer", []),
            "curve": r["train"].get("epochs_curve", []),
            "ips": best.get("images_per_s"),
            "pct": best.get("percent", {}),
            "energy_uj": (hw.get("asic", {}).get("compute_energy_j") or math.nan) * 1e6,
            "energy_total_uj": (hw.get("asic", {}).get("total_energy_j") or math.nan) * 1e6,
        })
    if not exps:
        fail(f"{path}: no finished experiment to plot")
    exps.sort(key=lambda e: (METHOD_ORDER.get(e["method"], 9), e["target"], e["lambda"]))
    configs = {}
    for e in exps:
        key = (e["dataset"], e["data"], e["net"], e["seed"])
        configs.setdefault(key, []).append(e)
    return configs


def config_title(key):
    dataset, data, net, seed = key
    t = f"{dataset}→{data} (substituted)" if data != dataset else dataset
    return f"{t} / {net}" + (f" / seed {seed}" if seed != 1 else "")


def grid_axes(plt, n, w=4.2, h=3.4):
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False)
    flat = [a for row in axes for a in row]
    for a in flat[n:]:
        a.set_visible(False)
    return fig, flat[:n]


def save(fig, out, name, written):
    fig.tight_layout()
    for ext in ("png", "pdf"):
        p = os.path.join(out, f"{name}.{ext}")
        fig.savefig(p, dpi=130)
        written.append(p)


def mean_std(xs):
    """Mean and sample standard deviation (0 for one value)."""
    m = sum(xs) / len(xs)
    return m, (math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0)


def pareto(points):
    """Points (x, y) not dominated by another with both x and y at least as large (one strictly)."""
    front = []
    for x, y in points:
        if not any((x2 >= x and y2 >= y) and (x2 > x or y2 > y) for x2, y2 in points):
            front.append((x, y))
    return sorted(front)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", help="results database written by flight sweep run")
    ap.add_argument("--out", required=True, help="folder for the figures")
    a = ap.parse_args()
    configs = load(a.db)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        fail("matplotlib is missing: apt-get install python3-matplotlib, and run with /usr/bin/python3")
    os.makedirs(a.out, exist_ok=True)
    written = []
    keys = list(configs)

    # 1. Accuracy vs FPGA throughput, Pareto front marked: one point per method, the mean over seeds, error bars
    #    of one sample standard deviation (accuracy and throughput) when a configuration has two seeds or more.
    groups = {}
    for k in keys:
        for e in configs[k]:
            if e["ips"]:
                groups.setdefault(k[:3], {}).setdefault(label(e), []).append(e)
    fig, axes = grid_axes(plt, max(1, len(groups)))
    for ax, (g, methods) in zip(axes, groups.items()):
        pts = []
        seeds = sorted({e["seed"] for runs in methods.values() for e in runs})
        for name, runs in methods.items():
            x, y = mean_std([e["ips"] for e in runs]), mean_std([e["acc"] for e in runs])
            color = COLORS.get(runs[0]["method"], "k")
            marker = "s" if runs[0]["target"] else "o"  # squares: FLightNN trained to a throughput target
            if len(runs) > 1:
                ax.errorbar(x[0], y[0], xerr=x[1], yerr=y[1], fmt=marker, color=color, capsize=3, zorder=3)
            else:
                ax.scatter(x[0], y[0], color=color, marker=marker, zorder=3)
            ax.annotate(f"{name} (n={len(runs)})" if len(runs) > 1 else name, (x[0], y[0]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
            pts.append((x[0], y[0]))
        front = pareto(pts)
        if front:
            ax.plot([p[0] for p in front], [p[1] for p in front], "--", color="orange", zorder=2, label="Pareto front")
            ax.legend(fontsize=7, loc="lower left")
        ax.set_xscale("log")
        ax.set_xlabel("FPGA throughput (images/s)")
        ax.set_ylabel("test accuracy (%)" + (" (mean ± std over seeds)" if len(seeds) > 1 else ""))
        ax.set_title(config_title(g + (1,)) + (f" / seeds {', '.join(map(str, seeds))}" if len(seeds) > 1 else ""),
                     fontsize=9)
        ax.grid(alpha=0.3)
    save(fig, a.out, "accuracy_vs_throughput", written)
    plt.close(fig)

    # 2. k mix per layer of the FLightNN runs.
    fig, axes = grid_axes(plt, len(keys))
    for ax, k in zip(axes, keys):
        runs = [e for e in configs[k] if e["method"] == "flightnn" and e["k_hist"]]
        width = 0.8 / max(1, len(runs))
        for i, e in enumerate(runs):
            frac = [100 * h[2] / max(1, sum(h)) for h in e["k_hist"]]
            xs = [j + i * width for j in range(len(frac))]
            ax.bar(xs, frac, width=width, label=label(e))
        if runs:
            n = len(runs[0]["k_hist"])
            ax.set_xticks([j + 0.4 - width / 2 for j in range(n)])
            ax.set_xticklabels([f"L{j + 1}" for j in range(n)])
            ax.legend(fontsize=7)
        ax.set_ylim(0, 105)
        ax.set_xlabel("compute layer")
        ax.set_ylabel("filters with k = 2 (%)")
        ax.set_title(config_title(k), fontsize=9)
    save(fig, a.out, "k_mix_per_layer", written)
    plt.close(fig)

    # 3. FPGA resource use of the best design.
    fig, axes = grid_axes(plt, len(keys), w=5.0)
    res = [("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram36", "BRAM")]
    for ax, k in zip(axes, keys):
        runs = [e for e in configs[k] if e["pct"]]
        width = 0.8 / len(res)
        for i, (rk, rl) in enumerate(res):
            ax.bar([j + i * width for j in range(len(runs))], [e["pct"].get(rk, 0) for e in runs], width=width, label=rl)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(runs))])
        ax.set_xticklabels([label(e) for e in runs], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("device resources used (%)")
        ax.set_ylim(0, 105)
        ax.set_title(config_title(k), fontsize=9)
        ax.legend(fontsize=7, ncol=4)
    save(fig, a.out, "resources", written)
    plt.close(fig)

    # 4. ASIC energy per image (computational and total).
    fig, axes = grid_axes(plt, len(keys))
    for ax, k in zip(axes, keys):
        runs = [e for e in configs[k] if not math.isnan(e["energy_uj"])]
        xs = range(len(runs))
        ax.bar([x - 0.2 for x in xs], [e["energy_uj"] for e in runs], width=0.4, label="computational")
        ax.bar([x + 0.2 for x in xs], [e["energy_total_uj"] for e in runs], width=0.4, label="total (with memory)")
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([label(e) for e in runs], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("ASIC energy per image (µJ)")
        ax.set_title(config_title(k), fontsize=9)
        ax.legend(fontsize=7)
    save(fig, a.out, "energy_per_image", written)
    plt.close(fig)

    # 5. Training curves: test accuracy after each epoch (fine-tuned runs continue from their FP32 parent).
    fig, axes = grid_axes(plt, len(keys))
    for ax, k in zip(axes, keys):
        for e in configs[k]:
            if not e["curve"]:
                continue
            ep = [c["epoch"] for c in e["curve"]]
            acc = [100 * c["test_acc"] for c in e["curve"]]
            ax.plot(ep, acc, marker="o", color=COLORS.get(e["method"], "k"), label=label(e), alpha=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(config_title(k), fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    save(fig, a.out, "training_curves", written)
    plt.close(fig)

    for p in written:
        print(p)


if __name__ == "__main__":
    main()
