#!/usr/bin/env python3
"""Plots docs/async/results.csv (bench/async/run.sh): medians of the repeats.

Writes cold.png (lookups/s against lookups in flight or threads, log-log, one line per engine), warm.png
(bars) and summary.md (the median tables that docs/ASYNC.md quotes)."""
import csv
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "hybrid": "Aspen async, hybrid (1 thread, N in flight)",
    "hybrid-direct": "Aspen async, hybrid, leaves O_DIRECT (1 thread, N in flight)",
    "pool": "Aspen async, pool (1 thread, N in flight)",
    "map": "Aspen async over the map (1 thread)",
    "mmap": "Aspen sync mmap (N threads)",
    "lmdb": "liblmdb 0.9.24 (N threads)",
    "raw": "raw io_uring 4 KiB reads (N in flight)",
    "rawd": "raw io_uring 4 KiB reads, O_DIRECT (N in flight)",
}
THREADED = {"mmap", "lmdb"}  # N is threads; for the others N is reads in flight on one thread


def medians(path, metric="wall"):
    """(temperature, engine, n) -> (median, min, max, runs) of lookups per wall second, or per CPU second, or
    the share of the reading threads' time spent waiting for a CPU (runq)."""
    runs = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            if metric == "wall":
                v = float(row["ops_per_s"])
            elif metric == "runq":
                threads = int(row["n"]) if row["engine"] in THREADED else 1
                v = float(row.get("runq_seconds") or 0) / max(float(row["seconds"]) * threads, 1e-9)
            else:
                v = float(row["ops"]) / max(float(row["cpu_seconds"]), 1e-9)
            runs[(row["temperature"], row["engine"], int(row["n"]))].append(v)
    return {k: (statistics.median(v), min(v), max(v), len(v)) for k, v in runs.items()}


def write_targets(f, m):
    """Ratios of medians that the issue's cold target names: one async thread against liblmdb with 8
    threads, and against raw io_uring at the same depth (O_DIRECT, and through the page cache)."""
    def med(e, n):
        v = m.get(("cold", e, n))
        return v[0] if v else None

    rows = []
    lmdb8 = med("lmdb", 8)
    for e in ["hybrid", "hybrid-direct", "pool"]:
        for n in [1, 8, 32, 128]:
            x = med(e, n)
            if x is None:
                continue
            cells = [f"{x / lmdb8:.2f}" if lmdb8 else "", *(f"{x / med(r, n):.2f}" if med(r, n) else ""
                                                             for r in ["rawd", "raw"])]
            rows.append(f"| {e} | {n} | " + " | ".join(cells) + " |")
    if rows:
        f.write("| cold: async mode | in flight | / liblmdb 8 threads | / raw O_DIRECT, same depth | "
                "/ raw page cache, same depth |\n|---|---|---|---|---|\n")
        f.write("\n".join(rows) + "\n\n")


def main():
    path, out = sys.argv[1], sys.argv[2]
    m = medians(path)
    fig, ax = plt.subplots(figsize=(8, 5))
    for engine in ["raw", "rawd", "hybrid", "hybrid-direct", "pool", "mmap", "lmdb"]:
        pts = sorted((n, v[0]) for (t, e, n), v in m.items() if t == "cold" and e == engine)
        if pts:
            style = "--" if engine.startswith("raw") else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=LABELS[engine])
    ax.set_xscale("log", base=2)
    ax.set_xlabel("lookups in flight (async, raw) or threads (mmap, liblmdb)")
    ax.set_ylabel("random lookups / s (median)")
    ax.set_title("Cold random reads: 8 M entries, 1 GB, page cache dropped before each run")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{out}/cold.png", dpi=110)

    cpu = medians(path, "cpu")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, data, label in [(axes[0], m, "lookups / wall second"), (axes[1], cpu, "lookups / CPU second")]:
        warm = sorted(((e, n), v) for (t, e, n), v in data.items() if t == "warm")
        names = [f"{e} {n}" for (e, n), _ in warm]
        ax.bar(names, [v[0] for _, v in warm],
               yerr=[[v[0] - v[1] for _, v in warm], [v[2] - v[0] for _, v in warm]])
        ax.set_ylabel(f"{label} (median, min-max)")
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.suptitle("Warm random reads: 1 M entries, 128 MB, all in memory")
    fig.tight_layout()
    fig.savefig(f"{out}/warm.png", dpi=110)

    runq = medians(path, "runq")
    with open(f"{out}/summary.md", "w") as f:
        for temp in ["cold", "warm"]:
            f.write(f"| {temp} | N | median lookups/s | min | max | median lookups/CPU-s | "
                    "median CPU wait | runs |\n")
            f.write("|---|---|---|---|---|---|---|---|\n")
            for (t, e, n), v in sorted(m.items()):
                if t == temp:
                    c = cpu[(t, e, n)][0]
                    w = runq[(t, e, n)][0]
                    f.write(f"| {e} | {n} | {v[0]:.0f} | {v[1]:.0f} | {v[2]:.0f} | {c:.0f} | {w:.0%} | {v[3]} |\n")
            f.write("\n")
        write_targets(f, m)
        ab = defaultdict(list)
        try:
            with open(f"{out}/ab.csv") as a:
                rows = list(csv.DictReader(a))
        except FileNotFoundError:
            rows = []
        for i in range(0, len(rows) - 1, 2):  # sync line, then async line, of one A/B run
            s, x = rows[i], rows[i + 1]
            key = (x["mode"], int(x["in_flight"]))
            ab[key].append((float(x["ops_per_s"]) / float(s["ops_per_s"]),
                            float(x["ops_per_cpu_s"]) / float(s["ops_per_cpu_s"])))
        if ab:
            f.write("| warm A/B: async mode | in flight | async / sync mmap, wall (median) | "
                    "async / sync mmap, CPU (median) | runs |\n|---|---|---|---|---|\n")
            for (mode, n), v in sorted(ab.items()):
                wall = statistics.median(r[0] for r in v)
                cpu_r = statistics.median(r[1] for r in v)
                f.write(f"| {mode} | {n} | {wall:.3f} | {cpu_r:.3f} | {len(v)} |\n")
            f.write("\n")


if __name__ == "__main__":
    main()
