#!/usr/bin/env bash
# differential-long.sh: the long differential campaign of Aspen's liblmdb.so.0 against Debian's liblmdb.
#
# ctest's differential_quick runs 200 seeds of 5000 operations with the default environment flags. This
# script runs the same harness (tests/differential/run_differential.sh) over many more seeds, longer
# operation sequences, every environment flag combination the driver knows, and a round with many large
# (multi-page and 1-3 MiB) values. It is meant for nightly runs and before merging engine changes; expect
# tens of minutes to hours depending on --seeds and --ops.
#
# usage: scripts/differential-long.sh [--build DIR] [--seeds A-B] [--ops M] [--jobs N]
#                                     [--aspen-lib DIR | --self] [--rounds LIST] [--keep]
#   --build DIR      build tree holding tests/differential/diff_driver (default: build-diff, then build)
#   --seeds A-B      seed range of every round (default 1-1000); rounds shift it so no two share seeds
#   --ops M          operations per seed (default 20000)
#   --aspen-lib DIR  directory with Aspen's liblmdb.so.0 (default: BUILD/src/abi when it exists there)
#   --self           compare Debian's liblmdb with itself (checks the harness's determinism)
#   --rounds LIST    comma-separated subset of: default,writemap,metasync,meminit,mapasync,big
#   --keep           keep every seed's files (under the run's work directory)
# Exit status: 0 when every round passed, 1 otherwise. Each failure prints its replay command.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="" first=1 last=1000 ops=20000 jobs=$(nproc) aspen_lib="" self=0 keep=()
rounds="default,writemap,metasync,meminit,mapasync,big"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seeds) first=${2%-*}; last=${2#*-}; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --aspen-lib) aspen_lib=$2; shift 2 ;;
    --self) self=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=(--keep); shift ;;
    *) echo "differential-long: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ -z "$build" ]; then
  for candidate in "$top/build-diff" "$top/build"; do
    [ -x "$candidate/tests/differential/diff_driver" ] && { build=$candidate; break; }
  done
fi
driver="$build/tests/differential/diff_driver"
[ -x "$driver" ] || { echo "differential-long: no diff_driver in '$build'; build the tree first" >&2; exit 2; }
if [ $self = 0 ] && [ -z "$aspen_lib" ]; then
  if [ -e "$build/src/abi/liblmdb.so.0" ]; then
    aspen_lib="$build/src/abi"
  else
    echo "differential-long: no Aspen library in $build/src/abi; pass --aspen-lib DIR or --self" >&2; exit 2
  fi
fi
side=(); [ $self = 1 ] || side=(--aspen-lib "$aspen_lib")

# round name -> driver flags and extra runner arguments
round_args() {
  case "$1" in
    default) echo "--flags nosync" ;;
    writemap) echo "--flags nosync,writemap" ;;     # no nested transactions: MDB_BAD_TXN paths
    metasync) echo "--flags nometasync" ;;          # syncing commits (cheap on /dev/shm)
    meminit) echo "--flags nosync,nomeminit,nordahead" ;;
    mapasync) echo "--flags writemap,mapasync" ;;
    big) echo "--flags nosync --big-per-mille 8" ;; # many 1-3 MiB values
    *) echo "differential-long: unknown round $1" >&2; return 1 ;;
  esac
}

status=0 offset=0 span=$(( last - first + 1 ))
IFS=, read -r -a names <<< "$rounds"
for name in "${names[@]}"; do
  args=$(round_args "$name") || exit 2
  a=$(( first + offset )) b=$(( last + offset ))
  echo "=== round $name: seeds $a-$b, $ops ops, $args"
  # shellcheck disable=SC2086
  "$top/tests/differential/run_differential.sh" --driver "$driver" "${side[@]}" --seeds "$a-$b" --ops "$ops" \
    --jobs "$jobs" $args "${keep[@]}" || status=1
  offset=$(( offset + span ))
done
[ $status = 0 ] && echo "differential-long: all rounds passed" || echo "differential-long: FAILURES above"
exit $status
