#!/usr/bin/env bash
# Runs the async-read benchmark of docs/ASYNC.md and writes docs/async/results.csv and the plots.
# Usage: bench/async/run.sh [BUILD_DIR] [SCRATCH_DIR] [REPEATS]
#   BUILD_DIR    holds bench/async/aspen_async_bench (default build)
#   SCRATCH_DIR  where the two databases live (default /tmp/aspen-async-bench; ~1.2 GB)
#   REPEATS      runs of each configuration, interleaved; the plot shows the median (default 3)
# Cold runs: every run is its own process and starts by dropping data.mdb from the page cache
# (posix_fadvise DONTNEED; nothing maps the file then), so each reads from the device. Every run draws its
# own keys (a seed per run), so that no run reads the pages an earlier run just read (a cache below this
# machine's page cache, in the host, would otherwise favour whichever engine comes later), and each repeat
# starts the list of configurations at a different place (the load from other work drifts over minutes).
# kPool and kHybrid runs pre-fault their buffer pool (--prefault: as a long-running executor has; with
# direct_leaves kHybrid keeps the leaves it read around the page cache there). hybrid-direct is kHybrid with
# ExecutorOptions::direct_leaves.
# Warm runs: a 128 MB database, read once through each engine's own path before the timed lookups; and the
# warm A/B (ab.csv): sync mmap and async bursts alternating on one thread and one snapshot, in one process.
set -euo pipefail
build=${1:-build}
scratch=${2:-/tmp/aspen-async-bench}
repeats=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="$build/bench/async/aspen_async_bench"
out="$root/docs/async"
mkdir -p "$scratch" "$out"
[ -f "$scratch/cold/entries" ] || "$bench" load "$scratch/cold" 8000000 100
[ -f "$scratch/warm/entries" ] || "$bench" load "$scratch/warm" 1000000 100

cold_ops=${COLD_OPS:-20000}
warm_ops=${WARM_OPS:-200000}
csv="$out/results.csv"
echo "engine,n,temperature,ops,seconds,ops_per_s,found,reads,resident_before,cpu_seconds,runq_seconds,repeat" > "$csv"
cold_configs=("raw 1" "raw 8" "raw 32" "raw 128" "rawd 1" "rawd 8" "rawd 32" "rawd 128"
              "hybrid 1" "hybrid 8" "hybrid 32" "hybrid 128" "hybrid-direct 8" "hybrid-direct 32" "hybrid-direct 128"
              "pool 1" "pool 8" "pool 32" "pool 128" "pool 256"
              "mmap 1" "mmap 2" "mmap 8" "mmap 32"
              "lmdb 1" "lmdb 2" "lmdb 8" "lmdb 32")
warm_configs=("mmap 1" "lmdb 1" "map 1" "hybrid 1" "hybrid 32" "pool 1" "pool 32" "mmap 2" "lmdb 2")
# Runs every configuration of the array named $1 once, starting at index $2, on database $3 with flag $4.
run_all() {
  local -n configs=$1
  local start=$2 db=$3 flag=$4 count=${#configs[@]}
  for ((i = 0; i < count; i++)); do
    local c=${configs[$(((start + i) % count))]} extra=""
    case $c in pool* | hybrid*) extra=--prefault ;; esac
    seed=$((seed + 1))
    line=$("$bench" run "$db" $c "$cold_ops_or_warm" $flag --pool-pages 65536 --seed "$seed" $extra)
    echo "$line,$r" | tee -a "$csv"
  done
}
seed=${SEED:-1000}
for r in $(seq 1 "$repeats"); do
  cold_ops_or_warm=$cold_ops run_all cold_configs $(((r - 1) * 7)) "$scratch/cold" --cold
  cold_ops_or_warm=$warm_ops run_all warm_configs $(((r - 1) * 3)) "$scratch/warm" --warm
done
ab="$out/ab.csv"
echo "side,mode,in_flight,ops,wall_s,ops_per_s,thread_cpu_s,ops_per_cpu_s,repeat" > "$ab"
for r in $(seq 1 "$repeats"); do
  for m in "hybrid 1" "hybrid 32" "pool 1" "map 1"; do
    set -- $m
    "$bench" ab "$scratch/warm" "$1" 20 20000 "$2" | sed "s/\$/,$r/" | tee -a "$ab"
  done
done
# Debian's python3 (python3-matplotlib), not whatever python3 comes first in PATH.
/usr/bin/python3 "$here/plot.py" "$csv" "$out"
