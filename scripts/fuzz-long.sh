#!/usr/bin/env bash
# fuzz-long.sh: long libFuzzer campaigns of tests/fuzz, with a ledger of CPU-hours in docs/RELIABILITY.md.
#
# Configures build-fuzz (clang, -fsanitize=fuzzer-no-link,address,undefined over the whole tree, ASPEN_FUZZ=ON)
# if needed, builds the targets, then fuzzes each for --time seconds with --jobs parallel workers, starting
# from the committed corpus (tests/fuzz/corpus/<target>) and a persistent working corpus
# (build-fuzz/fuzz-work/<target>). Crashes, hangs ("timeout-") and leaks land in build-fuzz/fuzz-artifacts/
# <target>/; each one is a bug: fix it in src/, copy the input to tests/fuzz/regressions/<target>/ under a
# name saying what it was, and add it to the ledger's notes. --merge folds new coverage back into the
# committed corpus (libFuzzer -merge=1, keeping it small).
#
# usage: scripts/fuzz-long.sh [--time SECONDS] [--jobs N] [--targets fuzz_open,fuzz_ops] [--merge] [--no-record]
#   --time     seconds per target (default 3600)
#   --jobs     parallel fuzzing processes per target (default: nproc)
# A row per target is appended to the ledger (date, commit, seconds x jobs, CPU-hours, executions, crashes)
# and the totals are recomputed. Exit status 1 when any target found a crash, hang or leak.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build-fuzz" time=3600 jobs=$(nproc) targets="fuzz_open,fuzz_ops" merge=0 record=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    --no-record) record=0; shift ;;
    --build) build=$2; shift 2 ;;
    *) echo "fuzz-long: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASPEN_SANITIZE=address,undefined -DASPEN_FUZZ=ON -DASPEN_WERROR=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null || exit 2
fi
ninja -C "$build" ${targets//,/ } >/dev/null || { echo "fuzz-long: build failed" >&2; exit 2; }
status=0
rows=()
for t in ${targets//,/ }; do
  work="$build/fuzz-work/$t" artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  before=$(ls "$artifacts" | wc -l)
  logdir=$(mktemp -d)
  echo "== $t: $time s x $jobs jobs"
  seeds=()
  for d in "$top/tests/fuzz/corpus/$t" "$top/tests/fuzz/regressions/$t"; do [ -d "$d" ] && seeds+=("$d"); done
  (cd "$logdir" && "$build/tests/fuzz/$t" -max_total_time="$time" -jobs="$jobs" -workers="$jobs" -max_len=65536 -timeout=20 \
      -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "${seeds[@]}" >/dev/null 2>&1)
  execs=$(grep -h "stat::number_of_executed_units" "$logdir"/fuzz-*.log 2>/dev/null | awk '{s += $2} END {print s + 0}')
  found=$(( $(ls "$artifacts" | wc -l) - before ))
  cpu_hours=$(python3 -c "print(f'{$time * $jobs / 3600:.2f}')")
  echo "   executions: $execs, new artifacts: $found, CPU-hours: $cpu_hours"
  [ "$found" -eq 0 ] || { status=1; ls -t "$artifacts" | head -n "$found" | sed 's/^/   artifact: /'; }
  rows+=("$t|$time|$jobs|$cpu_hours|$execs|$found")
  if [ $merge = 1 ]; then
    "$build/tests/fuzz/$t" -merge=1 -max_len=65536 "$top/tests/fuzz/corpus/$t" "$work" >/dev/null 2>&1
  fi
  rm -rf "$logdir"
done
if [ $record = 1 ]; then
  python3 - "$top/docs/RELIABILITY.md" "$(date -u +%Y-%m-%d)" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)" "${rows[@]}" <<'EOF'
import sys, re
doc, date, rev, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open(doc).read()
begin, end = "<!-- fuzz-ledger:begin -->", "<!-- fuzz-ledger:end -->"
if begin not in text or end not in text:
    sys.exit("fuzz-long: ledger markers not found in " + doc)
body = text[text.index(begin) + len(begin):text.index(end)]
entries = [l for l in body.strip().splitlines() if l.startswith("| 20")]
for r in rows:
    t, secs, jobs, hours, execs, found = r.split("|")
    entries.append(f"| {date} | {rev} | {t} | {secs} s x {jobs} | {hours} | {execs} | {found} |")
total = sum(float(l.split("|")[5]) for l in entries)
per = {}
for l in entries:
    per[l.split("|")[3].strip()] = per.get(l.split("|")[3].strip(), 0) + float(l.split("|")[5])
head = ["| date | commit | target | time x jobs | CPU-hours | executions | crashes |", "|---|---|---|---|---|---|---|"]
summary = "Total: " + f"{total:.2f} CPU-hours (" + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items())) + ")."
text = text[:text.index(begin) + len(begin)] + "\n" + "\n".join(head + entries) + "\n\n" + summary + "\n" + text[text.index(end):]
open(doc, "w").write(text)
print("ledger updated:", summary)
EOF
fi
exit $status
