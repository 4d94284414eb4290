#!/bin/sh
# Usage: check_exports.sh ASPEN_LIB DEBIAN_LIB
#
# Aspen's liblmdb.so.0 must be a drop-in for Debian's: SONAME liblmdb.so.0, every dynamic symbol Debian's
# library defines (the 56 functions of lmdb.h and the mdb_midl/mdb_mid2l helpers) defined too, and nothing but
# mdb_* exported (the C++ engine stays hidden).
set -eu
ours=$1
theirs=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
soname=$(readelf -d "$ours" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "liblmdb.so.0" ]; then
  echo "check_exports: SONAME is '$soname', expected liblmdb.so.0"
  fail=1
fi
nm -D --defined-only "$theirs" | awk '{ print $3 }' | sort -u > "$work/theirs"
nm -D --defined-only "$ours" | awk '{ print $3 }' | sort -u > "$work/ours"
missing=$(comm -23 "$work/theirs" "$work/ours")
extra=$(grep -v '^mdb_' "$work/ours" || true)
if [ -n "$missing" ]; then
  echo "check_exports: missing symbols that Debian's liblmdb exports:"
  echo "$missing"
  fail=1
fi
if [ -n "$extra" ]; then
  echo "check_exports: exported symbols that are not mdb_*:"
  echo "$extra"
  fail=1
fi
if [ "$fail" -eq 0 ]; then
  echo "check_exports: $(wc -l < "$work/ours") mdb_* symbols, a superset of $theirs; SONAME $soname"
fi
exit $fail
