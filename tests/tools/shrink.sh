#!/usr/bin/env bash
# `aspen shrink` on an environment liblmdb wrote (through python3-lmdb, Debian's library): 20,000 keys in the
# main and a named database, nine in ten deleted again. The shrunk file must be much smaller, and Debian's
# mdb_dump -a must print exactly what it printed before; liblmdb must keep writing to it. While another
# process holds the environment open, the shrink must refuse and leave the file alone. Usage errors too.
# usage: shrink.sh ASPEN WORKDIR
set -u
ASPEN=$1 WORK=$2
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK/env"
ENV=$WORK/env

"$PYTHON" - "$ENV" <<'PY' || fail "liblmdb could not write the environment"
import lmdb, sys
env = lmdb.open(sys.argv[1], map_size=1 << 30, max_dbs=2)
named = env.open_db(b"named")
with env.begin(write=True) as txn:
    for i in range(20000):
        key = b"key:%06d" % i
        txn.put(key, bytes([97 + i % 26]) * 100)
        txn.put(key, b"n" * (5000 if i % 7 == 0 else 50), db=named)
with env.begin(write=True) as txn:
    for i in range(20000):
        if i % 10:
            key = b"key:%06d" % i
            txn.delete(key)
            txn.delete(key, db=named)
env.close()
PY
size() { stat -c %s "$ENV/data.mdb"; }
mdb_dump -a "$ENV" >"$WORK/before.dump" || fail "mdb_dump before"
before=$(size)

# Refused while another process has it open; the file is left as it was.
mkfifo "$WORK/ctl"
"$PYTHON" -c '
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=2)
print("open", flush=True)
sys.stdin.read()
' "$ENV" <"$WORK/ctl" >"$WORK/holder.out" &
holder=$!
exec 3>"$WORK/ctl"
for _ in $(seq 100); do grep -q open "$WORK/holder.out" 2>/dev/null && break; sleep 0.1; done
if "$ASPEN" shrink "$ENV" >"$WORK/busy.out" 2>&1; then fail "shrink went through while liblmdb had the env open"; else pass; fi
grep -q "busy" "$WORK/busy.out" && pass || fail "the refusal does not say busy: $(cat "$WORK/busy.out")"
[ "$(size)" = "$before" ] && pass || fail "the refused shrink changed the file"
exec 3>&-
wait "$holder"

# Shrunk: smaller, same dump, and liblmdb goes on writing.
if "$ASPEN" shrink "$ENV" >"$WORK/shrink.out" 2>&1; then pass; else fail "shrink: $(cat "$WORK/shrink.out")"; fi
after=$(size)
[ "$after" -lt $((before / 4)) ] && pass || fail "not much smaller: $before -> $after bytes"
grep -q -- "$before -> $after bytes" "$WORK/shrink.out" && pass || fail "report: $(cat "$WORK/shrink.out")"
mdb_dump -a "$ENV" >"$WORK/after.dump" || fail "mdb_dump after"
cmp -s <(grep -v '^mapsize=' "$WORK/before.dump") <(grep -v '^mapsize=' "$WORK/after.dump") && pass ||
  fail "mdb_dump -a differs after the shrink"
"$PYTHON" -c '
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=2)
with env.begin(write=True) as txn:
    txn.put(b"after", b"shrink")
with env.begin() as txn:
    assert txn.get(b"after") == b"shrink" and txn.get(b"key:000010") == b"k" * 100
' "$ENV" && pass || fail "liblmdb cannot write the shrunk environment"
"$ASPEN" check "$ENV" >/dev/null 2>&1 && pass || fail "aspen check fails on the shrunk environment"

# Usage errors.
"$ASPEN" shrink >/dev/null 2>&1 && fail "shrink without a path succeeded" || pass
"$ASPEN" shrink -x "$ENV" >/dev/null 2>&1 && fail "shrink with a bad option succeeded" || pass
"$ASPEN" shrink "$WORK/missing" >/dev/null 2>&1 && fail "shrink of a missing env succeeded" || pass
"$ASPEN" shrink --help | grep -q "usage: aspen shrink" && pass || fail "shrink --help"
finish
