#!/usr/bin/env bash
# crash-long.sh: the long variants of the crash-safety suites (tests/crash), with their results written into
# docs/RELIABILITY.md (the block between the crash-long markers).
#
# ctest -L crash runs the CI sizes (a few minutes on 2 cores). This script runs, by default:
#   kill9        10,000 cycles in each of default, nometasync, nosync+sync, writemap
#   power_loss   40 transactions per workload, every meta byte tear, 32 random subsets and 16 sector tears
#                per write, all four power-loss-safe modes, 3 seeds
#   io_faults    every call of every site (--all-calls), modes default, nometasync, writemap
#   alloc_faults every allocation of the scenario (--all)
#   corrupt      every bit of both meta pages (--whole-meta), every page header bit, every truncation
#   disk_full    tmpfs and loop ext4 (needs root; skipped otherwise)
# Expect one to several hours on 2 cores.
#
# usage: scripts/crash-long.sh [--build DIR] [--suites kill9,power_loss,io_faults,alloc_faults,corrupt,disk_full]
#                              [--cycles N] [--seed S] [--no-record]
#   --build DIR   a configured build tree (default: build-crash, configured and built if missing)
#   --cycles N    kill9 cycles per mode (default 10000)
#   --no-record   do not touch docs/RELIABILITY.md
# Exit status: 0 when every suite passed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build-crash" suites="kill9,power_loss,io_faults,alloc_faults,corrupt,disk_full" cycles=10000 seed=1 record=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --suites) suites=$2; shift 2 ;;
    --cycles) cycles=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    *) echo "crash-long: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
fi
targets=$(echo "$suites" | tr ',' '\n' | sed 's/^/crash_/' | tr '\n' ' ')
ninja -C "$build" $targets >/dev/null || { echo "crash-long: build failed" >&2; exit 2; }
bin="$build/tests/crash"
log=$(mktemp)
status=0
run() {  # run NAME CMD...: prints and logs the summary line(s)
  local name=$1; shift
  echo "== $name: $*"
  local start=$(date +%s)
  "$@" 2>&1 | tee "$log.$name"
  local rc=${PIPESTATUS[0]}
  echo "   ($name finished in $(( $(date +%s) - start )) s, exit $rc)"
  [ $rc -eq 0 ] || [ $rc -eq 77 ] || status=1
  grep -E "^(kill9|power_loss|io_faults|alloc_faults|corrupt|disk_full) " "$log.$name" | tail -n 1 >> "$log"
}
for suite in ${suites//,/ }; do
  case $suite in
    kill9) for mode in default nometasync nosync+sync writemap; do
             run kill9-$mode "$bin/crash_kill9" --mode "$mode" --cycles "$cycles" --seed "$seed"; done ;;
    power_loss) for s in $seed $((seed + 100)) $((seed + 200)); do
                  run power_loss-$s "$bin/crash_power_loss" --txns 40 --subsets 32 --sector-tears 16 --meta-tears all --seed "$s"; done ;;
    io_faults) for mode in default nometasync writemap; do
                 run io_faults-$mode "$bin/crash_io_faults" --mode "$mode" --all-calls; done ;;
    alloc_faults) run alloc_faults "$bin/crash_alloc_faults" --all ;;
    corrupt) run corrupt "$bin/crash_corrupt" --whole-meta ;;
    disk_full) run disk_full "$bin/crash_disk_full" ;;
    *) echo "crash-long: unknown suite $suite" >&2; exit 2 ;;
  esac
done
echo
echo "summary:"; cat "$log"
if [ $record = 1 ]; then
  doc="$top/docs/RELIABILITY.md"
  python3 - "$doc" "$log" "$status" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)" <<'EOF'
import sys, datetime, re
doc, log, status, rev = sys.argv[1:5]
lines = [l.rstrip() for l in open(log) if l.strip()]
stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
block = [f"Last long run: {stamp}, commit {rev}, {'PASSED' if status == '0' else 'FAILED'}.", "", "```"] + lines + ["```"]
text = open(doc).read()
begin, end = "<!-- crash-long:begin -->", "<!-- crash-long:end -->"
if begin in text and end in text:
    text = text[:text.index(begin) + len(begin)] + "\n" + "\n".join(block) + "\n" + text[text.index(end):]
    open(doc, "w").write(text)
    print(f"recorded in {doc}")
else:
    print(f"crash-long: markers not found in {doc}; nothing recorded", file=sys.stderr)
EOF
fi
rm -f "$log" "$log".*
exit $status
