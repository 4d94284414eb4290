#!/usr/bin/env bash
# run_differential.sh: the differential test of Aspen's liblmdb.so.0 against Debian's liblmdb.
#
# For every seed, the same diff_driver binary (a plain liblmdb client, see diff_driver.c) runs the same
# seeded operation sequence twice: once as-is (Debian's liblmdb) and once with LD_LIBRARY_PATH pointing at
# Aspen's build (--aspen-lib). Their traces must be identical. Then the files are cross-opened:
#   1. the environment each library wrote is read by Debian's mdb_stat and mdb_dump; the dumps must be
#      identical (the mapsize= line aside) and so must the copies the driver made (copy2, compact, copyfd);
#   2. the environment liblmdb wrote is reopened by the driver under Aspen (--verify-existing: dump, more
#      writes, dump) and under liblmdb; traces must match, and Debian's tools must read Aspen's result
#      and dump it as they dump liblmdb's;
#   3. the environment Aspen wrote is reopened the same way under liblmdb; its trace must match too.
# The file checks live in tests/interop/cross_open.sh.
# Without --aspen-lib both sides are Debian's liblmdb: the harness checking its own determinism.
#
# A mismatch is reported with the seed, its kind (api = return codes and data, page = page layout: tree
# depth, page counts, last page, free list; dump = final contents; text = mdb_strerror), the first
# differing line, and the commands that replay it. Exit status: 0 all seeds passed, 1 otherwise.
#
# --dupsort runs the driver's DUPSORT table (diff_dups.c). Aspen's side then also gets --aspen-probes: the
# calls liblmdb 0.9.24 cannot answer without damaging its memory are made there alone, as X lines that
# carry their expected answer; they are left out of the comparison and checked on their own (check_probes).
# known_differences.txt names every such case and every case the driver avoids, with its reason; the runner
# reads it: every X line and every K line (the count of one avoided case) must name an entry of the right
# kind, and an "accepted" entry is the only way a differing pair of lines can pass (accept_known). The
# summary at the end adds up the K counts of all seeds.
#
# usage: run_differential.sh --driver PATH [--aspen-lib DIR] [--seeds A-B | --seed N] [--ops M]
#          [--verify-ops M] [--flags LIST] [--jobs N] [--workdir DIR] [--keep] [--no-cross]
#          [--big-per-mille K] [--fail-fast] [--dupsort]
set -uo pipefail

driver="" aspen_lib="" first=1 last=20 ops=5000 verify_ops="" flags=nosync jobs=$(nproc)
workdir="" keep=0 cross=1 big=1 fail_fast=0 dupsort=0
die() { echo "run_differential: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) driver=$2; shift 2 ;;
    --aspen-lib) aspen_lib=$2; shift 2 ;;
    --seeds) first=${2%-*}; last=${2#*-}; shift 2 ;;
    --seed) first=$2; last=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --verify-ops) verify_ops=$2; shift 2 ;;
    --flags) flags=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-cross) cross=0; shift ;;
    --big-per-mille) big=$2; shift 2 ;;
    --fail-fast) fail_fast=1; shift ;;
    --dupsort) dupsort=1; shift ;;
    *) die "unknown argument $1 (see the header of this script)" ;;
  esac
done
[ -x "$driver" ] || die "--driver must name the diff_driver executable"
[ -z "$aspen_lib" ] || [ -e "$aspen_lib/liblmdb.so.0" ] || die "no liblmdb.so.0 in --aspen-lib $aspen_lib"
driver=$(realpath "$driver")
[ -z "$aspen_lib" ] || aspen_lib=$(realpath "$aspen_lib")
command -v mdb_dump >/dev/null && command -v mdb_stat >/dev/null || die "needs mdb_dump and mdb_stat (lmdb-utils)"
[ -n "$verify_ops" ] || verify_ops=$(( ops / 5 ))
here=$(cd "$(dirname "$0")" && pwd)
cross_open="$here/../interop/cross_open.sh"
[ -r "$cross_open" ] || die "missing $cross_open"
known=${DIFF_KNOWN_DIFFERENCES:-$here/known_differences.txt}
[ -r "$known" ] || die "missing $known"
if [ -z "$workdir" ]; then
  base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
  workdir=$(mktemp -d "$base/aspen-differential.XXXXXX")
  made_workdir=1
else
  mkdir -p "$workdir"; made_workdir=0
fi
rm -rf "$workdir/results" "$workdir"/kept-*; mkdir -p "$workdir/results"
if [ -n "$aspen_lib" ]; then mode=aspen; else mode=self; fi
export driver aspen_lib ops verify_ops flags workdir keep cross big mode cross_open fail_fast dupsort known

# Runs the driver under liblmdb ("lmdb") or under the other side ("aspen": Aspen's library, or liblmdb
# again in self mode). Arguments after the side are passed to the driver.
run_driver() {
  local side=$1; shift
  if [ "$side" = aspen ] && [ "$mode" = aspen ]; then
    env LD_LIBRARY_PATH="$aspen_lib" "$driver" "$@" $(probe_args)
  else
    env -u LD_LIBRARY_PATH "$driver" "$@"
  fi
}

# Aspen's side of a --dupsort run makes the calls only Aspen can answer (X lines).
probe_args() { [ "$dupsort" = 1 ] && echo --aspen-probes; }

replay_command() { # side, driver arguments...
  local side=$1; shift
  if [ "$side" = aspen ] && [ "$mode" = aspen ]; then
    echo "LD_LIBRARY_PATH=$aspen_lib $driver $* $(probe_args)"
  else
    echo "env -u LD_LIBRARY_PATH $driver $*"
  fi
}

# The X lines of a trace (Aspen-only checks, see diff_dups.c): each must answer what it expects, i.e. the
# text after "expect=" up to " => " must equal the text after " => ". Returns 1 on the first that does not.
check_probes() { # phase, trace
  local phase=$1 trace=$2 bad
  bad=$(awk '/^X / { e = $0; sub(/.* expect=/, "", e); sub(/ => .*/, "", e);
                     r = $0; sub(/.* => /, "", r); if (e != r) { print; exit } }' "$trace")
  [ -z "$bad" ] && return 0
  echo "  PROBE FAILED (an Aspen-only check, known_differences.txt) in the $phase trace:"
  echo "    $(echo "$bad" | cut -c1-400)"
  return 1
}

# The names of known_differences.txt entries of one kind, one a line.
known_names() { # kind
  awk -v kind="$1" '/^\[.*\]$/ { name = substr($0, 2, length($0) - 2) }
                    /^kind:/ { if ($2 == kind) print name }' "$known"
}

# Every X line must name a "probe" entry and every K line an "avoided" entry (known=<name>). Returns 1 and
# prints the first line that does not.
check_known_names() { # phase, trace
  local phase=$1 trace=$2 bad
  bad=$(awk -v probes="$(known_names probe)" -v avoided="$(known_names avoided)" '
      BEGIN { n = split(probes, p, "\n"); for (i = 1; i <= n; i++) ok["X " p[i]] = 1
              n = split(avoided, a, "\n"); for (i = 1; i <= n; i++) ok["K " a[i]] = 1 }
      /^[XK] / { name = ""; if (match($0, / known=[^ ]+/)) name = substr($0, RSTART + 7, RLENGTH - 7)
                 if (!ok[substr($0, 1, 1) " " name]) { print; exit } }' "$trace")
  [ -z "$bad" ] && return 0
  echo "  UNNAMED EXCEPTION in the $phase trace (no such entry of that kind in known_differences.txt):"
  echo "    $(echo "$bad" | cut -c1-300)"
  return 1
}

# The "accepted" entries of known_differences.txt, as lines "name<TAB>lmdb-line ERE<TAB>aspen-line ERE".
accepted_patterns() {
  awk '/^\[.*\]$/ { if (kind == "accepted") print name "\t" l "\t" a; name = substr($0, 2, length($0) - 2)
                     kind = l = a = "" }
       /^kind:/ { kind = $2 } /^lmdb-line:/ { l = substr($0, 12) } /^aspen-line:/ { a = substr($0, 13) }
       END { if (kind == "accepted") print name "\t" l "\t" a }' "$known" | sed -E 's/\t +/\t/g'
}

# Two traces of equal length that differ only in pairs of lines matching an "accepted" entry pass, with a
# note naming the entry and how often. Returns 1 if any differing pair is not accepted.
accept_known() { # phase, lmdb lines, aspen lines
  local phase=$1 a=$2 b=$3 note
  [ "$(wc -l < "$a")" = "$(wc -l < "$b")" ] || return 1
  accepted_patterns > "$a.accepted"
  note=$(awk -F'\t' '
      FILENAME == P { name[++n] = $1; lre[n] = $2; are[n] = $3; next }
      FILENAME == A { line[FNR] = $0; next }
      { if ($0 == line[FNR]) next
        for (i = 1; i <= n; i++) if (line[FNR] ~ lre[i] && $0 ~ are[i]) { hits[name[i]]++; next }
        bad = 1; exit }
      END { if (bad) exit 1; for (k in hits) printf "%s x%d ", k, hits[k] }' P="$a.accepted" A="$a" \
      "$a.accepted" "$a" "$b") || return 1
  echo "  ACCEPTED (known_differences.txt) in the $phase trace: $note"
}

# The library the driver reported on stderr must be Aspen's exactly on the Aspen side.
check_library() { # side, stderr file
  local side=$1 err=$2 lib
  lib=$(grep '^diff_driver: library:' "$err" | head -1)
  if [ "$side" = aspen ] && [ "$mode" = aspen ]; then
    case "$lib" in *Aspen*) return 0 ;; esac
    echo "  the Aspen side did not load Aspen's library: ${lib:-no library line}"; return 1
  fi
  case "$lib" in *Aspen*) echo "  the liblmdb side loaded Aspen's library: $lib"; return 1 ;; esac
  [ -n "$lib" ] || { echo "  the driver printed no library line"; return 1; }
}

# P lines without page numbers or free-list contents: the tree shapes (depth and page counts per database)
# that must match even when the two libraries allocate different page numbers.
page_shapes() { # trace
  grep '^P ' "$1" | grep -v -E ' (env-info|freelist) ' | sed -E 's/ (last_pgno|root|pgno)=[0-9]+//g'
}

# Prints the first difference between two traces and classifies it. Returns 1 if they differ.
# With DIFF_PAGE_NUMBERS=advisory, traces that differ only in page numbers and free-list contents (the
# order in which free pages are reused) pass with a note; everything else, tree shapes included, must match.
compare_traces() { # phase, lmdb trace, aspen trace
  local phase=$1 a=$2 b=$3 kind line
  check_known_names "$phase" "$a" && check_known_names "$phase" "$b" || return 1
  cmp -s "$a" "$b" && return 0
  check_probes "$phase" "$b" || return 1
  grep -v '^X ' "$a" > "$a.cmp"; grep -v '^X ' "$b" > "$b.cmp"
  cmp -s "$a.cmp" "$b.cmp" && return 0
  grep -v '^P ' "$a.cmp" > "$a.sem"; grep -v '^P ' "$b.cmp" > "$b.sem"
  if ! cmp -s "$a.sem" "$b.sem" && accept_known "$phase" "$a.sem" "$b.sem"; then
    cp "$a.sem" "$b.sem"  # accepted: the layout lines are compared next
    cmp -s <(grep '^P ' "$a.cmp") <(grep '^P ' "$b.cmp") && return 0
  fi
  if cmp -s "$a.sem" "$b.sem"; then
    if [ "${DIFF_PAGE_NUMBERS:-}" = advisory ] && cmp -s <(page_shapes "$a.cmp") <(page_shapes "$b.cmp"); then
      echo "  NOTE (page numbers) in the $phase trace: same answers and tree shapes, other page numbers"
      return 0
    fi
    grep '^P ' "$a.cmp" > "$a.sem"; grep '^P ' "$b.cmp" > "$b.sem"; kind=page
  else
    kind=api
  fi
  line=$(diff "$a.sem" "$b.sem" | head -1 | sed -E 's/^([0-9]+).*/\1/')
  case "$(sed -n "${line}p" "$a.sem")" in D*) [ $kind = api ] && kind=dump ;; T*) kind=text ;; esac
  echo "  MISMATCH ($kind) in the $phase trace, first at line $line of the ${kind/api/non-page} lines:"
  echo "    liblmdb: $(sed -n "${line}p" "$a.sem" | cut -c1-400)"
  echo "    other:   $(sed -n "${line}p" "$b.sem" | cut -c1-400)"
  return 1
}

# One seed, all phases. Prints a report and returns 1 on any failure.
run_seed() {
  local seed=$1 ok=0 out w
  w="$workdir/seed-$seed"
  rm -rf "$w"; mkdir -p "$w"
  out=$(run_seed_phases "$seed" "$w") || ok=1
  if [ $ok -ne 0 ]; then
    # The files of the first three failing seeds are kept (mkdir is atomic across the parallel jobs).
    if mkdir "$workdir/kept-1" 2>/dev/null || mkdir "$workdir/kept-2" 2>/dev/null ||
       mkdir "$workdir/kept-3" 2>/dev/null; then
      printf 'FAILED seed=%s (files kept in %s)\n%s\n' "$seed" "$w" "$out"
    else
      printf 'FAILED seed=%s (files removed, replay to reproduce)\n%s\n' "$seed" "$out"; rm -rf "$w"
    fi
    echo "fail" > "$workdir/results/$seed"
    return 1
  fi
  echo "ok" > "$workdir/results/$seed"
  # A passing seed is quiet, except for the exceptions it needed (known_differences.txt "accepted").
  grep '^  ACCEPTED' <<< "$out" | sed "s/^  /seed=$seed /"
  grep '^K ' "$w/lmdb.trace" > "$workdir/results/$seed.avoided" 2>/dev/null
  [ "$keep" = 1 ] || rm -rf "$w"
}

run_seed_phases() {
  local seed=$1 w=$2 args side rc status=0
  args="--seed $seed --ops $ops --flags $flags --big-per-mille $big$(dupsort_arg)"
  for side in lmdb aspen; do
    run_driver $side $args --dir "$w/$side" > "$w/$side.trace" 2> "$w/$side.err"; rc=$?
    if [ $rc -ne 0 ]; then
      echo "  the driver failed under $side (exit $rc); last trace lines and stderr:"
      tail -3 "$w/$side.trace" | sed 's/^/    /'; tail -5 "$w/$side.err" | sed 's/^/    /'
      echo "  replay: $(replay_command $side $args --dir /tmp/replay-$side)"; return 1
    fi
    check_library $side "$w/$side.err" || return 1
  done
  if ! compare_traces fresh "$w/lmdb.trace" "$w/aspen.trace"; then
    echo "  replay: $(replay_command lmdb $args --dir /tmp/replay-lmdb) > lmdb.trace"
    echo "          $(replay_command aspen $args --dir /tmp/replay-aspen) > aspen.trace"
    echo "          diff lmdb.trace aspen.trace | head"
    return 1
  fi
  [ "$cross" = 1 ] || return 0
  bash "$cross_open" compare-envs "$w/lmdb" "$w/aspen" || status=1
  reopen_phase "$seed" "$w" || status=1
  return $status
}

# Reopens an environment (a copy of `source`) with --verify-existing: dump, more writes, dump.
reopen() { # seed, seed dir, name, source env, side
  local seed=$1 w=$2 name=$3 source=$4 side=$5 args
  args="--seed $seed --ops $verify_ops --flags $flags --big-per-mille $big --verify-existing$(dupsort_arg)"
  mkdir -p "$w/$name"
  cp "$source/data.mdb" "$source/lock.mdb" "$w/$name/"
  run_driver $side $args --dir "$w/$name" > "$w/$name.trace" 2> "$w/$name.err" && return 0
  echo "  the driver failed under $side reopening $source; stderr:"; tail -5 "$w/$name.err" | sed 's/^/    /'
  echo "  replay: mkdir -p /tmp/replay && cp $source/data.mdb /tmp/replay/ &&"
  echo "          $(replay_command $side $args --dir /tmp/replay)"
  return 1
}

# The file liblmdb wrote, reopened by liblmdb (the reference) and by the other side; then the file the
# other side wrote, reopened by liblmdb. All three traces and resulting files must agree.
reopen_phase() { # seed, seed dir
  local seed=$1 w=$2 status=0
  reopen "$seed" "$w" reopen-ref "$w/lmdb" lmdb || return 1
  if reopen "$seed" "$w" reopen-by-aspen "$w/lmdb" aspen; then
    compare_traces "reopen of the liblmdb-written env by the other side" "$w/reopen-ref.trace" \
      "$w/reopen-by-aspen.trace" && bash "$cross_open" compare-envs "$w/reopen-ref" "$w/reopen-by-aspen" \
      --no-copies || status=1
  else
    status=1
  fi
  if reopen "$seed" "$w" reopen-of-aspen "$w/aspen" lmdb; then
    compare_traces "reopen of the other side's env by liblmdb" "$w/reopen-ref.trace" \
      "$w/reopen-of-aspen.trace" && bash "$cross_open" compare-envs "$w/reopen-ref" "$w/reopen-of-aspen" \
      --no-copies || status=1
  else
    status=1
  fi
  return $status
}
dupsort_arg() { [ "$dupsort" = 1 ] && echo " --dupsort"; }
export -f page_shapes run_driver probe_args replay_command check_probes check_library compare_traces run_seed \
  run_seed_phases reopen reopen_phase dupsort_arg known_names check_known_names accepted_patterns accept_known

start=$(date +%s)
echo "run_differential: mode=$mode seeds=$first-$last ops=$ops verify-ops=$verify_ops flags=$flags jobs=$jobs$(dupsort_arg)"
echo "run_differential: workdir $workdir"
# xargs stops starting new seeds when one exits with 255 (--fail-fast).
seq "$first" "$last" | xargs -P "$jobs" -I{} bash -c 'run_seed {} || { [ "$fail_fast" = 1 ] && exit 255; exit 0; }'
failed=$(grep -lx fail "$workdir"/results/* 2>/dev/null | wc -l)
passed=$(grep -lx ok "$workdir"/results/* 2>/dev/null | wc -l)
# How often the passing seeds steered around each "avoided" case of known_differences.txt (fresh runs).
if [ "$dupsort" = 1 ] && ls "$workdir"/results/*.avoided >/dev/null 2>&1; then
  echo "run_differential: avoided (known_differences.txt): $(cat "$workdir"/results/*.avoided |
    sed -E 's/.* known=([^ ]+) count=([0-9]+).*/\1 \2/' |
    awk '{ n[$1] += $2 } END { for (k in n) printf "%s=%d ", k, n[k] }')"
fi
echo "run_differential: $passed passed, $failed failed, $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ] && [ "$passed" -eq $(( last - first + 1 )) ] && status=0 || status=1
if [ "$status" -eq 0 ] && [ "$keep" = 0 ] && [ "$made_workdir" = 1 ]; then rm -rf "$workdir"; fi
exit $status
