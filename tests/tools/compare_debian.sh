#!/usr/bin/env bash
# Byte-for-byte comparison of `aspen stat` / `aspen dump` (run as mdb_stat / mdb_dump) with Debian's
# mdb_stat / mdb_dump, on databases written by Aspen and by liblmdb: stdout, stderr and exit status must be
# identical for every option combination below. Also checks that both writers' files dump the same records.
# usage: compare_debian.sh ASPEN MAKER WORKDIR
set -u
ASPEN=$1 MAKER=$2 WORK=$3
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK"

STAT_OPTIONS=("" "-e" "-f" "-ff" "-fff" "-a" "-r" "-rr" "-e -f -ff -a" "-s missing" "-a -s x" "-q")
DUMP_OPTIONS=("" "-p" "-a" "-a -p" "-l" "-s missing" "-l -s x" "-z")

# compare TOOL DB OPTIONS: one run of Debian's tool and one of Aspen's under the same name.
compare() {
  local tool=$1 db=$2 options=$3 tag
  tag=$WORK/out.$(basename "$db").$tool.$(echo "$options" | tr -c 'a-z0-9' _)
  # shellcheck disable=SC2086
  run_as "$tool" "$tag.debian" "/usr/bin/$tool" $options "$db"
  # shellcheck disable=SC2086
  run_as "$tool" "$tag.aspen" "$ASPEN" $options "$db"
  same_output "$tag.debian" "$tag.aspen" "$tool $options $(basename "$db")"
}

compare_db() {
  local db=$1 kind=$2 o s
  for o in "${STAT_OPTIONS[@]}"; do compare mdb_stat "$db" "$o"; done
  for o in "${DUMP_OPTIONS[@]}"; do compare mdb_dump "$db" "$o"; done
  for s in $(subdbs_of "$kind"); do
    compare mdb_stat "$db" "-s $s"
    compare mdb_dump "$db" "-s $s"
    compare mdb_dump "$db" "-p -s $s"
  done
  compare mdb_stat "$db/data.mdb" "-n -e"
  compare mdb_dump "$db/data.mdb" "-n -p"
  if "$ASPEN" check -q "$db" >"$WORK/check.out"; then pass; else fail "aspen check $db: $(cat "$WORK/check.out")"; fi
}

# Both writers' files of one kind hold the same records: their dumps agree (the named databases' only, when
# there are some: the main database then holds their records, whose root page numbers may differ).
compare_writers() {
  local kind=$1 all=""
  [ -n "$(subdbs_of "$kind")" ] && all="-a"
  /usr/bin/mdb_dump $all "$WORK/aspen-$kind" >"$WORK/x.a" 2>&1
  /usr/bin/mdb_dump $all "$WORK/lmdb-$kind" >"$WORK/x.l" 2>&1
  if cmp -s "$WORK/x.a" "$WORK/x.l"; then
    pass
  else
    fail "aspen-$kind and lmdb-$kind hold different records"
    diff -u "$WORK/x.l" "$WORK/x.a" | head -20
  fi
}

for kind in $KINDS; do
  made=""
  for writer in lmdb aspen; do
    make_db "$writer" "$kind"
    rc=$?
    if [ $rc -eq 2 ] && [ "$writer" = aspen ]; then
      echo "SKIP: aspen-$kind (the engine does not support it yet: $(cat "$WORK/aspen-$kind.err"))"
      continue
    fi
    if [ $rc -ne 0 ]; then fail "making $writer-$kind: $(cat "$WORK/$writer-$kind.err")"; continue; fi
    made="$made $writer"
    compare_db "$WORK/$writer-$kind" "$kind"
  done
  [ "$made" = " lmdb aspen" ] && compare_writers "$kind"
done
compare mdb_stat "$WORK/nonexistent" "-e"
compare mdb_dump "$WORK/nonexistent" ""
compare mdb_stat "" ""
finish
