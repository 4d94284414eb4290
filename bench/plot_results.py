#!/usr/bin/python3
"""Turns aspen_bench --json output into one PNG per workload (bench).

usage: plot_results.py OUT_DIR RESULTS.json [MORE.json ...]

Each PNG (OUT_DIR/<workload>.png) is a grouped bar chart: one group per value size, one bar per engine,
the bar height in ops/s (log scale) labelled with the engine's ratio to Aspen. Several JSON files (for
example a median-of-3 run at 100-byte values and a single run at 1000 and 4096) are merged; a later file's
cell replaces an earlier one's. Needs python3-matplotlib (scripts/install-deps.sh bench).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ENGINE_ORDER = ["aspen", "lmdb", "rocksdb", "leveldb", "sqlite", "wiredtiger"]
COLORS = {"aspen": "#2e7d32", "lmdb": "#1565c0", "rocksdb": "#ef6c00", "leveldb": "#6a1b9a",
          "sqlite": "#00838f", "wiredtiger": "#c62828"}


def load(paths):
    cells, workloads, titles = {}, [], []
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        for w in doc.get("workloads", []):
            if w not in workloads:
                workloads.append(w)
        cfg = doc.get("config", {})
        titles.append(f"{cfg.get('num_keys', '?'):,} keys, median of {cfg.get('repeat', 1)}")
        for r in doc["results"]:
            if r.get("ops_per_sec") is not None:
                cells[(r["workload"], r["value_size"], r["engine"])] = r["ops_per_sec"]
    return cells, workloads, "; ".join(dict.fromkeys(titles))


def plot(out_dir, workload, cells, subtitle):
    sizes = sorted({v for (w, v, _) in cells if w == workload})
    engines = [e for e in ENGINE_ORDER if any((workload, v, e) in cells for v in sizes)]
    if not sizes or not engines:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=100)
    width = 0.8 / len(engines)
    for i, engine in enumerate(engines):
        xs, ys, labels = [], [], []
        for j, v in enumerate(sizes):
            ops = cells.get((workload, v, engine))
            if ops is None:
                continue
            aspen = cells.get((workload, v, "aspen"))
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(ops)
            labels.append(f"{ops / aspen:.2f}x" if aspen else "")
        bars = ax.bar(xs, ys, width, label=engine, color=COLORS.get(engine))
        for bar, label in zip(bars, labels):
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7, rotation=90, xytext=(0, 2), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([f"{v} B values" for v in sizes])
    ax.set_ylabel("ops/s (log scale; labels: ratio to aspen)")
    ax.set_title(f"{workload} ({subtitle})")
    ax.legend(fontsize=8, ncol=len(engines), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ax.margins(y=0.25)
    fig.tight_layout()
    path = os.path.join(out_dir, f"{workload}.png")
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    cells, workloads, subtitle = load(argv[2:])
    for w in workloads:
        path = plot(out_dir, w, cells, subtitle)
        if path:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
