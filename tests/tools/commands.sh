#!/usr/bin/env bash
# The `aspen` command itself: dispatch (subcommands and mdb_* names), --help, usage errors, and the check,
# copy and drop subcommands, whose results are verified with Debian's tools and the checker.
# usage: commands.sh ASPEN MAKER WORKDIR
set -u
ASPEN=$1 MAKER=$2 WORK=$3
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK"

# expect STATUS LABEL COMMAND...: the command exits with STATUS.
expect() {
  local want=$1 label=$2
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then pass; else fail "$label: exit $rc, expected $want; $(head -3 "$WORK/err")"; fi
}
has() { if grep -q -e "$1" "$WORK/$2"; then pass; else fail "expected '$1' in $2: $(head -3 "$WORK/$2")"; fi; }

expect 0 "aspen --help" "$ASPEN" --help
has "Commands:" out
expect 1 "aspen without a command" "$ASPEN"
expect 1 "unknown command" "$ASPEN" frobnicate
for cmd in check stat dump load copy drop demo bench; do
  expect 0 "aspen $cmd --help" "$ASPEN" "$cmd" --help
  has "usage: aspen $cmd" out
done
for cmd in stat dump load drop; do
  expect 1 "aspen $cmd without arguments" "$ASPEN" "$cmd"
  has "^usage: aspen $cmd" err
  expect 1 "aspen $cmd with a bad option" "$ASPEN" "$cmd" -Z somewhere
  has "invalid option" err
done
expect 1 "aspen copy without arguments" "$ASPEN" copy
has "^usage: aspen copy" err
expect 1 "aspen check without arguments" "$ASPEN" check
expect 1 "aspen check -m 7" "$ASPEN" check -m 7 "$WORK"
for name in mdb_stat mdb_dump mdb_load mdb_copy mdb_drop; do
  expect 0 "$name -V" bash -c "exec -a $name '$ASPEN' -V"
  has "LMDB 0.9" out
done

make_db lmdb named && make_db lmdb dupsort && make_db lmdb freelist || fail "making databases"
N=$WORK/lmdb-named

# check
expect 0 "check a liblmdb file with DUPSORT" "$ASPEN" check "$WORK/lmdb-dupsort"
has "OK: no problems found" out
mkdir -p "$WORK/bad" && head -c 20000 "$N/data.mdb" >"$WORK/bad/data.mdb"
expect 1 "check a truncated file" "$ASPEN" check "$WORK/bad"
has "problem" out
expect 1 "check a missing file" "$ASPEN" check "$WORK/nothing-here"

# copy, plain and compacting, to a directory and to stdout
for flag in "" "-c" "--compact"; do
  dst=$WORK/copy$flag && rm -rf "$dst" && mkdir "$dst"
  # shellcheck disable=SC2086
  expect 0 "copy $flag" "$ASPEN" copy $flag "$WORK/lmdb-freelist" "$dst"
  expect 0 "check the copy $flag" "$ASPEN" check -q "$dst"
  if cmp -s <(/usr/bin/mdb_dump "$dst") <(/usr/bin/mdb_dump "$WORK/lmdb-freelist"); then
    pass
  else
    fail "copy $flag holds other records"
  fi
done
expect 1 "copy onto an existing data file" "$ASPEN" copy "$N" "$WORK/copy"
has "copying failed" err
"$ASPEN" copy -c "$WORK/lmdb-freelist" >"$WORK/stdout.mdb" 2>"$WORK/err" && pass || fail "copy -c to stdout"
expect 0 "check the copy from stdout" "$ASPEN" check -q "$WORK/stdout.mdb"
if /usr/bin/mdb_stat -n -f "$WORK/stdout.mdb" | grep -q "Free pages: 0"; then
  pass
else
  fail "a compacted copy has no free pages"
fi

# drop: empty a named database, delete another, empty the main database of a plain environment
expect 0 "drop -s one" "$ASPEN" drop -s one "$N"
if /usr/bin/mdb_stat -s one "$N" | grep -q "Entries: 0"; then pass; else fail "drop -s one left entries"; fi
expect 0 "drop -d -s two" "$ASPEN" drop -d -s two "$N"
if /usr/bin/mdb_dump -l "$N" | grep -qx two; then fail "drop -d -s two kept the database"; else pass; fi
expect 1 "drop -s missing" "$ASPEN" drop -s missing "$N"
has "mdb_open failed" err
expect 0 "check after the drops" "$ASPEN" check -q "$N"
make_db aspen plain || fail "making aspen-plain"
expect 0 "drop the main database" "$ASPEN" drop "$WORK/aspen-plain"
if /usr/bin/mdb_stat "$WORK/aspen-plain" | grep -q "Entries: 0"; then pass; else fail "drop left entries in main"; fi
expect 0 "check after dropping main" "$ASPEN" check -q "$WORK/aspen-plain"

# demo, small
expect 0 "demo -n 20000" "$ASPEN" demo -n 20000 -b 5000
has "demo OK" out
finish
