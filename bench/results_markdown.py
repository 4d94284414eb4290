#!/usr/bin/python3
"""Prints aspen_bench --json results as Markdown tables for docs/BENCHMARKS.md (bench).

usage: results_markdown.py RESULTS.json [MORE.json ...]

Per value size: ops/s per engine with each engine's ratio to Aspen, and Aspen/liblmdb against the issue's
targets (which are set for 100-byte values). Several files are merged; a later file's cell wins.
"""
import json
import sys

ENGINES = ["aspen", "lmdb", "rocksdb", "leveldb", "sqlite", "wiredtiger"]
TARGETS = {"readrandom": 1.2, "readrandom2t": 1.2, "readseq": 1.3, "fillseq": 1.2, "fillrandom": 1.5,
           "overwrite": 1.5, "deleterandom": 1.5, "mixed": 1.3, "fillrandsync": 1.8}


def human(v):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= scale:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.3g}"


def main(paths):
    cells, workloads, meta = {}, [], {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        workloads += [w for w in doc["workloads"] if w not in workloads]
        for r in doc["results"]:
            cells[(r["value_size"], r["workload"], r["engine"])] = r["ops_per_sec"]
            meta[r["value_size"]] = (doc["config"]["num_keys"], doc["config"]["repeat"])
    for v in sorted(meta):
        num, repeat = meta[v]
        engines = [e for e in ENGINES if any((v, w, e) in cells for w in workloads)]
        print(f"\n#### {v}-byte values ({num:,} keys, median of {repeat})\n")
        print("| workload | " + " | ".join(engines) + " | aspen/lmdb | target |")
        print("|---|" + "---:|" * len(engines) + "---:|---|")
        for w in workloads:
            a = cells.get((v, w, "aspen"))
            row = []
            for e in engines:
                x = cells.get((v, w, e))
                row.append("—" if x is None else human(x) + (f" ({x / a:.2f}x)" if a and e != "aspen" else ""))
            lm = cells.get((v, w, "lmdb"))
            ratio = f"{a / lm:.2f}x" if a and lm else "—"
            t = TARGETS.get(w)
            target = (f"≥{t}x " + ("met" if a and lm and a / lm >= t else "**missed**")) if v == 100 and t else ""
            print(f"| {w} | " + " | ".join(row) + f" | {ratio} | {target} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
