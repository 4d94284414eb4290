#!/usr/bin/env bash
# dump -> load round trips: every database of every kind, from both writers, dumped by `aspen dump` (both
# formats) and loaded by `aspen load` into a fresh environment must dump again to the same text; Debian's
# mdb_load must accept Aspen's dumps and Aspen's load must accept Debian's, with the same result. Each
# environment loaded by Aspen must pass `aspen check`.
# usage: roundtrip.sh ASPEN MAKER WORKDIR
set -u
ASPEN=$1 MAKER=$2 WORK=$3
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK"

# roundtrip LABEL DUMP_OPTIONS SOURCE LOADER: dumps SOURCE, loads the text with LOADER into a new
# environment, dumps that again with the same options and compares.
roundtrip() {
  local label=$1 options=$2 src=$3 loader=$4 dst=$WORK/loaded
  rm -rf "$dst" && mkdir -p "$dst"
  # shellcheck disable=SC2086
  "$ASPEN" dump $options "$src" >"$WORK/first.txt" 2>"$WORK/first.err"
  if ! $loader -f "$WORK/first.txt" "$dst" 2>"$WORK/load.err"; then
    fail "$label: load failed: $(cat "$WORK/load.err")"
    return
  fi
  # shellcheck disable=SC2086
  "$ASPEN" dump $options "$dst" >"$WORK/second.txt" 2>"$WORK/second.err"
  if ! cmp -s "$WORK/first.txt" "$WORK/second.txt"; then
    fail "$label: the reloaded environment dumps differently"
    diff -u "$WORK/first.txt" "$WORK/second.txt" | head -20
    return
  fi
  if ! "$ASPEN" check -q "$dst" >"$WORK/check.out"; then
    fail "$label: the loaded environment fails the checker"
    cat "$WORK/check.out"
    return
  fi
  pass
}

for kind in $KINDS; do
  for writer in lmdb aspen; do
    make_db "$writer" "$kind" || continue
    src=$WORK/$writer-$kind
    for options in "" "-p"; do
      [ "$options" = -p ] && has_backslash "$src" ambiguous && { echo "SKIP: $writer-$kind -p (ambiguous)"; continue; }
      roundtrip "$writer-$kind dump $options" "$options" "$src" "$ASPEN load"
      if [ "$options" = -p ] && has_backslash "$src"; then
        echo "SKIP: $writer-$kind -p with Debian's mdb_load (it rejects backslashes)"
      else
        roundtrip "$writer-$kind dump $options (Debian's mdb_load)" "$options" "$src" "/usr/bin/mdb_load"
      fi
      for s in $(subdbs_of "$kind"); do
        roundtrip "$writer-$kind dump $options -s $s" "$options -s $s" "$src" "$ASPEN load"
      done
      [ -n "$(subdbs_of "$kind")" ] && roundtrip "$writer-$kind dump $options -a" "$options -a" "$src" "$ASPEN load"
    done
  done
done

# Aspen loads what Debian's mdb_dump writes (here of a liblmdb file with every named database).
make_db lmdb named
/usr/bin/mdb_dump -a "$WORK/lmdb-named" >"$WORK/debian.txt"
rm -rf "$WORK/fromdebian" && mkdir "$WORK/fromdebian"
if "$ASPEN" load -f "$WORK/debian.txt" "$WORK/fromdebian" &&
  /usr/bin/mdb_dump -a "$WORK/fromdebian" | cmp -s - "$WORK/debian.txt"; then
  pass
else
  fail "loading Debian's mdb_dump -a output"
fi

# -T plain text, -N no overwrite, -s into a named database, -a append.
rm -rf "$WORK/t" && mkdir "$WORK/t"
expected=$(printf 'HEADER=END\n k1\n v1\n k2\n v\\2\\0a\nDATA=END')
printf 'k1\nv1\nk2\nv\\\\2\\0a\n' | "$ASPEN" load -T -s plain "$WORK/t" &&
  [ "$("$ASPEN" dump -p -s plain "$WORK/t" | sed -n '/HEADER=END/,$p')" = "$expected" ] && pass || fail "load -T -s"
printf 'k1\nchanged\nk3\nv3\n' | "$ASPEN" load -N -T -s plain "$WORK/t" &&
  [ "$("$ASPEN" dump -p -s plain "$WORK/t" | grep -c -e ' v1' -e ' v3')" = 2 ] && pass ||
  fail "load -N keeps existing values"
"$ASPEN" dump "$WORK/lmdb-freelist" >"$WORK/sorted.txt"
rm -rf "$WORK/app" && mkdir "$WORK/app"
"$ASPEN" load -a -f "$WORK/sorted.txt" "$WORK/app" && "$ASPEN" dump "$WORK/app" | cmp -s - "$WORK/sorted.txt" \
  && pass || fail "load -a (append) of sorted input"
finish
