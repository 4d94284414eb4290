#!/usr/bin/env bash
# Installs the Debian packages Aspen needs, only those that are missing. Usage: install-deps.sh [build|test|bench]
set -euo pipefail
kind=${1:-build}
pkgs=(build-essential cmake ninja-build liburing-dev)  # liburing-dev: io_uring for the async read path (optional)
case "$kind" in
  test) pkgs+=(clang libclang-rt-14-dev libgtest-dev liblmdb-dev lmdb-utils python3 python3-lmdb) ;;
  bench) pkgs+=(liblmdb-dev libbenchmark-dev librocksdb-dev libleveldb-dev libsqlite3-dev libwiredtiger-dev
               python3 python3-matplotlib) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
