#!/bin/sh
# Usage: check_linkage.sh OBJECT
# OBJECT is abi_check.cpp compiled against include/lmdb.h; it refers to every LMDB function. Passes when
# it refers to exactly the 56 plain C names (mdb_*) and to no C++-mangled name containing "mdb_", i.e.
# when the header gives every function C linkage.
set -eu
obj=$1
undefined=$(nm -u "$obj")
plain=$(printf '%s\n' "$undefined" | awk '$2 ~ /^mdb_/ {print $2}' | sort -u)
mangled=$(printf '%s\n' "$undefined" | awk '$2 ~ /^_Z.*mdb_/ {print $2}')
count=$(printf '%s\n' "$plain" | grep -c . || true)
if [ -n "$mangled" ]; then
  echo "check_linkage: functions declared without extern \"C\":"; printf '%s\n' "$mangled"; exit 1
fi
if [ "$count" -ne 56 ]; then
  echo "check_linkage: expected 56 C symbols, found $count:"; printf '%s\n' "$plain"; exit 1
fi
echo "check_linkage: 56 functions with C linkage"
