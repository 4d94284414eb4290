#!/bin/sh
# Usage: run_with_library.sh LIBDIR FILE COMMAND [ARGS...]
#
# Runs COMMAND with LD_LIBRARY_PATH=LIBDIR after proving with ldd that FILE (the program or extension module
# that links liblmdb.so.0) then resolves liblmdb.so.0 to LIBDIR/liblmdb.so.0. With LIBDIR "-", COMMAND runs
# without LD_LIBRARY_PATH and FILE must resolve to a liblmdb.so.0 outside the build tree (Debian's).
set -eu
libdir=$1
file=$2
shift 2
resolved() { ldd "$file" | awk '$1 == "liblmdb.so.0" { print $3 }'; }
if [ "$libdir" = "-" ]; then
  unset LD_LIBRARY_PATH
  lib=$(resolved)
  case "$lib" in
    /usr/lib/*|/lib/*) ;;
    *) echo "run_with_library: $file resolves liblmdb.so.0 to '$lib', expected the system's"; exit 1 ;;
  esac
else
  LD_LIBRARY_PATH=$libdir
  export LD_LIBRARY_PATH
  lib=$(resolved)
  if [ -z "$lib" ] || [ "$(realpath "$lib")" != "$(realpath "$libdir/liblmdb.so.0")" ]; then
    echo "run_with_library: $file resolves liblmdb.so.0 to '$lib', expected $libdir/liblmdb.so.0"
    exit 1
  fi
fi
echo "run_with_library: $file -> $lib"
exec "$@"
