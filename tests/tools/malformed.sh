#!/usr/bin/env bash
# Malformed dumps: `aspen load` must exit 1 naming the line at fault ("PROG: line N: ..."), and load nothing,
# not even the well-formed sections before the fault (one transaction).
# usage: malformed.sh ASPEN MAKER WORKDIR
set -u
ASPEN=$1 MAKER=$2 WORK=$3
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK"

HEAD='VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n'
GOOD="${HEAD} 61\n 62\n 63\n 64\nDATA=END\n"

# rejected LABEL LINE INPUT [OPTIONS]: loading INPUT (printf format) fails at line LINE and loads nothing.
rejected() {
  local label=$1 line=$2 input=$3 options=${4:-} dst=$WORK/db
  rm -rf "$dst" && mkdir "$dst"
  # shellcheck disable=SC2059,SC2086
  printf "$input" | (exec -a mdb_load "$ASPEN" $options "$dst") >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [ $rc -ne 1 ]; then fail "$label: exit status $rc, expected 1"; return; fi
  if ! grep -q "^mdb_load: line $line: " "$WORK/err"; then
    fail "$label: expected 'line $line' in: $(cat "$WORK/err")"
    return
  fi
  local entries
  entries=$("$ASPEN" stat -a "$dst" 2>/dev/null | grep -c 'Entries: [1-9]')
  if [ "$entries" != 0 ]; then fail "$label: something was loaded"; return; fi
  pass
}

rejected "unsupported version" 1 'VERSION=4\nformat=bytevalue\nHEADER=END\n'
rejected "unsupported format" 2 'VERSION=3\nformat=base64\nHEADER=END\n'
rejected "unsupported type" 3 'VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n'
rejected "bad mapsize" 3 'VERSION=3\nformat=bytevalue\nmapsize=lots\nHEADER=END\n'
rejected "header line without =" 2 'VERSION=3\nnonsense\nHEADER=END\n'
rejected "header cut short" 2 'VERSION=3\nformat=bytevalue\n'
rejected "odd number of hex digits" 6 "${HEAD} 61\n 623\nDATA=END\n"
rejected "not hex" 5 "${HEAD} 6g\n 62\nDATA=END\n"
rejected "line without the leading space" 7 "${HEAD} 61\n 62\n63\n 64\nDATA=END\n"
rejected "value missing before DATA=END" 8 "${HEAD} 61\n 62\n 63\nDATA=END\n"
rejected "DATA=END missing" 8 "${HEAD} 61\n 62\n 63\n 64\n"
rejected "input ends after a key" 7 "${HEAD} 61\n 62\n 63\n"
rejected "key too long" 5 "${HEAD} $(printf '61%.0s' $(seq 600))\n 62\nDATA=END\n"
rejected "empty key" 5 "${HEAD} \n 62\nDATA=END\n"
SECOND='VERSION=3\nformat=bytevalue\ndatabase=x\ntype=btree\nHEADER=END\n'
rejected "good section, then a bad one" 16 "${GOOD}${SECOND} 61\n 6\nDATA=END\n"
rejected "good section, then a cut header" 11 "${GOOD}VERSION=3\nformat=print\n"
rejected "-T: value missing" 3 'k1\nv1\nk2\n' "-T"

# The well-formed input loads (the harness itself works).
rm -rf "$WORK/ok" && mkdir "$WORK/ok"
# shellcheck disable=SC2059
printf "$GOOD" | "$ASPEN" load "$WORK/ok" && [ "$("$ASPEN" stat "$WORK/ok" | grep Entries)" = "  Entries: 2" ] \
  && pass || fail "well-formed input"
finish
