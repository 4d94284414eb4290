#!/usr/bin/env bash
# Builds aspen_bench (Release, in $BENCH_BUILD) and runs it, keeping the table, the JSON and one PNG per workload.
#   scripts/bench.sh [aspen_bench options...]      e.g. scripts/bench.sh --values=100 --repeat=3
# Environment:
#   BENCH_BUILD  build directory (default build-bench)
#   BENCH_OUT    where results go (default bench/results): NAME.txt, NAME.json, plots/WORKLOAD.png
#   BENCH_NAME   results name (default latest)
#   BENCH_PLOT   JSON files to plot (default: this run's); several are merged, later ones win
#   BENCH_NICE   niceness of the run when root (default -10: other jobs on the machine disturb less)
# The program removes its scratch databases on any exit; see bench/bench_main.hpp and docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BENCH_BUILD:-build-bench}
out=${BENCH_OUT:-bench/results}
name=${BENCH_NAME:-latest}
scripts/install-deps.sh bench
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DASPEN_TESTS=OFF
cmake --build "$build" --target aspen_bench
mkdir -p "$out"
nice_cmd=()
if [ "$(id -u)" -eq 0 ]; then nice_cmd=(nice -n "${BENCH_NICE:--10}"); fi
"${nice_cmd[@]}" "$build/bench/aspen_bench" --json="$out/$name.json" "$@" | tee "$out/$name.txt"
read -r -a plot_inputs <<< "${BENCH_PLOT:-$out/$name.json}"
/usr/bin/python3 bench/plot_results.py "$out/plots" "${plot_inputs[@]}"
