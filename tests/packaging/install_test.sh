#!/usr/bin/env bash
# Installs the build into a temporary prefix and checks what is there: headers, libaspen, liblmdb.so.0 and its
# dev link, the pkg-config files (lmdb.pc in the shape of Debian's), the CMake package, the tools and their LMDB
# names (also with DESTDIR). Then builds examples/installed against the prefix, outside the tree, and runs
# its programs, checking that they load the installed libraries.
# usage: install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR [GENERATOR]
set -u
BUILD=$1 SRC=$2 WORK=$3 GENERATOR=${4:-Ninja}
PREFIX=$WORK/prefix
passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
ok() { if "$@" >"$WORK/out" 2>&1; then pass; else fail "$*: $(tail -5 "$WORK/out")"; fi; }
rm -rf "$WORK" && mkdir -p "$WORK/env-cpp" "$WORK/env-c" "$WORK/env-cmake" "$WORK/env-pc"

ok cmake --install "$BUILD" --prefix "$PREFIX"
LIB=$(cd "$PREFIX" && ls -d lib*/pkgconfig | head -1 | xargs dirname)
for f in include/aspen/aspen.hpp include/aspen/error.hpp include/aspen/result.hpp include/lmdb.h \
         "$LIB/libaspen.so.0" "$LIB/liblmdb.so.0" "$LIB/pkgconfig/aspen.pc" "$LIB/pkgconfig/lmdb.pc" \
         "$LIB/cmake/aspen/aspenConfig.cmake" "$LIB/cmake/aspen/aspenConfigVersion.cmake" bin/aspen; do
  if [ -f "$PREFIX/$f" ]; then pass; else fail "not installed: $f"; fi
done
for link in "$LIB/liblmdb.so" "$LIB/libaspen.so" bin/mdb_stat bin/mdb_dump bin/mdb_load bin/mdb_copy bin/mdb_drop; do
  if [ -L "$PREFIX/$link" ] && [ -e "$PREFIX/$link" ]; then pass; else fail "not a working link: $link"; fi
done
if [ "$(readlink "$PREFIX/bin/mdb_stat")" = aspen ]; then pass; else fail "bin/mdb_stat does not point at aspen"; fi
if objdump -p "$PREFIX/$LIB/liblmdb.so.0" | grep -q 'SONAME *liblmdb.so.0$'; then pass; else fail "liblmdb.so.0 SONAME"; fi

# lmdb.pc has the shape of Debian's: the same Name, Libs and Cflags lines.
DEBIAN_PC=/usr/lib/x86_64-linux-gnu/pkgconfig/lmdb.pc
for field in Name Libs Cflags; do
  want=$(grep "^$field:" "$DEBIAN_PC" 2>/dev/null || true)
  [ -n "$want" ] || want=$(case $field in Name) echo "Name: liblmdb" ;; Libs) echo 'Libs: -L${libdir} -llmdb' ;; *) echo 'Cflags: -I${includedir}' ;; esac)
  if grep -qxF "$want" "$PREFIX/$LIB/pkgconfig/lmdb.pc"; then pass; else fail "lmdb.pc lacks '$want'"; fi
done
export PKG_CONFIG_PATH=$PREFIX/$LIB/pkgconfig
if [ "$(pkg-config --variable=prefix lmdb)" = "$PREFIX" ]; then pass; else fail "lmdb.pc prefix: $(pkg-config --variable=prefix lmdb)"; fi
if [ "$(pkg-config --modversion aspen)" = "$(sed -n 's/^Version: //p' "$PREFIX/$LIB/pkgconfig/aspen.pc")" ]; then pass; else fail "aspen.pc"; fi

# DESTDIR: files go under it, the pkg-config prefix and the links do not mention it.
DESTDIR=$WORK/stage ok cmake --install "$BUILD" --prefix /opt/aspen
if [ "$(readlink "$WORK/stage/opt/aspen/bin/mdb_dump")" = aspen ]; then pass; else fail "DESTDIR: bin/mdb_dump"; fi
if grep -qx 'prefix=/opt/aspen' "$WORK/stage/opt/aspen/$LIB/pkgconfig/lmdb.pc"; then pass; else fail "DESTDIR: lmdb.pc prefix"; fi
rm -rf "$WORK/stage"

# The example, configured and built outside the tree against the prefix alone.
ok cmake -S "$SRC/examples/installed" -B "$WORK/example" -G "$GENERATOR" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release
ok cmake --build "$WORK/example"
ok "$WORK/example/hello_aspen" "$WORK/env-cpp"
if grep -q "hello -> world" "$WORK/out"; then pass; else fail "hello_aspen: $(cat "$WORK/out")"; fi
for prog in hello_lmdb hello_lmdb_cmake; do
  ok "$WORK/example/$prog" "$WORK/env-$([ $prog = hello_lmdb ] && echo c || echo cmake)"
  if grep -q "Aspen" "$WORK/out"; then pass; else fail "$prog did not load Aspen's liblmdb: $(cat "$WORK/out")"; fi
  if ldd "$WORK/example/$prog" | grep -q "liblmdb.so.0 => $PREFIX/"; then pass; else fail "$prog: $(ldd "$WORK/example/$prog")"; fi
done
if ldd "$WORK/example/hello_aspen" | grep -q "libaspen.so.0 => $PREFIX/"; then pass; else fail "hello_aspen links $(ldd "$WORK/example/hello_aspen")"; fi

# The C program as a Makefile would build it: flags from pkg-config, the library found at run time through
# LD_LIBRARY_PATH (there is no rpath), as with any program built for LMDB.
# shellcheck disable=SC2046
ok cc -o "$WORK/hello_pc" "$SRC/examples/installed/hello_lmdb.c" $(pkg-config --cflags --libs lmdb)
LD_LIBRARY_PATH=$PREFIX/$LIB ok "$WORK/hello_pc" "$WORK/env-pc"
if grep -q "Aspen" "$WORK/out"; then pass; else fail "hello_pc did not load Aspen's liblmdb: $(cat "$WORK/out")"; fi
# shellcheck disable=SC2046
ok c++ -std=c++20 -o "$WORK/hello_aspen_pc" "$SRC/examples/installed/hello_aspen.cpp" $(pkg-config --cflags --libs aspen)
LD_LIBRARY_PATH=$PREFIX/$LIB ok "$WORK/hello_aspen_pc" "$WORK/env-pc"

# The installed tools work on what the examples wrote, under both names.
ok "$PREFIX/bin/mdb_stat" "$WORK/env-c"
if grep -q "Entries: 1" "$WORK/out"; then pass; else fail "installed mdb_stat: $(cat "$WORK/out")"; fi
ok "$PREFIX/bin/aspen" stat --health --json "$WORK/env-cpp"
ok "$PREFIX/bin/aspen" bench --help

[ "$failed" -eq 0 ] && rm -rf "$WORK"  # a full install: kept only to look at a failure
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
