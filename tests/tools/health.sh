#!/usr/bin/env bash
# `aspen stat --health [--json]` on a live environment: another process (aspen_hold_reader) keeps a read
# transaction open while 5 transactions commit after it; the report must name that process as the oldest
# reader, 5 transactions behind, holding back pages; once it has gone, nothing is held back. Also the usage
# errors of the new options, and that plain `aspen stat` still prints what Debian's mdb_stat prints.
# usage: health.sh ASPEN HOLDER WORKDIR
set -u
ASPEN=$1 HOLDER=$2 WORK=$3
source "$(dirname "$0")/lib.sh"
rm -rf "$WORK" && mkdir -p "$WORK/env"
ENV=$WORK/env

# json_check FILE EXPR...: each Python expression over the parsed object `j` must be true.
json_check() {
  local file=$1
  shift
  "$PYTHON" - "$file" "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
bad = [e for e in sys.argv[2:] if not eval(e, {"j": j})]
for e in bad:
    print("FAIL:", e, "in", json.dumps(j))
sys.exit(1 if bad else 0)
PY
}
check() { if json_check "$@"; then pass; else fail "json checks on $1"; fi; }

mkfifo "$WORK/ctl"
"$HOLDER" "$ENV" 5 <"$WORK/ctl" >"$WORK/holder.out" 2>"$WORK/holder.err" &
holder=$!
exec 3>"$WORK/ctl"  # the holder keeps its reader until this end is closed
for _ in $(seq 300); do
  grep -q '^ready' "$WORK/holder.out" 2>/dev/null && break
  kill -0 "$holder" 2>/dev/null || break
  sleep 0.1
done
read -r _ pid pinned <"$WORK/holder.out" || fail "the holder did not start: $(cat "$WORK/holder.err")"

if "$ASPEN" stat --health --json "$ENV" >"$WORK/live.json" 2>"$WORK/err"; then pass; else fail "stat --health --json: $(cat "$WORK/err")"; fi
check "$WORK/live.json" \
  "j['oldest_pid'] == $pid" "j['oldest_txnid'] == $pinned" "j['reader_lag'] >= 5" \
  "j['last_txnid'] == j['oldest_txnid'] + j['reader_lag']" \
  "isinstance(j['oldest_age_ms'], int) and j['oldest_age_ms'] >= 0" "j['oldest_leased'] is False" \
  "isinstance(j['oldest_thread'], int)" "j['readers_pinning'] >= 1" \
  "1 <= j['reader_slots_used'] <= j['reader_slots_high_water'] <= j['reader_slots_max'] == 126" \
  "j['reader_slots_stale'] == 0" \
  "j['pages_held_back'] >= 1" "j['free_pages'] >= j['pages_held_back']" "0 < j['free_ratio'] <= 1" \
  "j['page_size'] == 4096" "j['pages_used'] > j['free_pages']" \
  "j['last_commit_pages'] >= 1 and j['last_commit_pages'] < j['pages_used']" \
  "j['map_size'] >= j['pages_used'] * j['page_size']" "0 < j['map_used_ratio'] <= 1"

if "$ASPEN" stat --health "$ENV" >"$WORK/live.txt" 2>"$WORK/err"; then pass; else fail "stat --health: $(cat "$WORK/err")"; fi
for line in "^Environment Health$" "^  Oldest reader: pid $pid, thread [0-9a-f]*, txnid $pinned, lag [0-9]* transactions, age [0-9]* ms$" \
            "^  Reader slots used: [0-9]* of 126 " "^  Free pages: [0-9]* ([0-9.]*% of pages used)$" \
            "^  Last commit: [0-9]* pages written$" "^  Pages held back by readers: [1-9]"; do
  if grep -q -e "$line" "$WORK/live.txt"; then pass; else fail "no line '$line' in: $(cat "$WORK/live.txt")"; fi
done

exec 3>&-
wait "$holder" || fail "the holder failed: $(cat "$WORK/holder.err")"
"$ASPEN" stat --health --json "$ENV" >"$WORK/idle.json" 2>"$WORK/err" || fail "stat --health --json after the reader"
check "$WORK/idle.json" "j['oldest_pid'] is None" "j['oldest_age_ms'] is None" "j['reader_lag'] == 0" \
  "j['pages_held_back'] == 0" "j['readers_pinning'] == 0"

# Plain stat is untouched by the new options.
"$ASPEN" stat -e "$ENV" | grep -v "Map address" >"$WORK/aspen.stat"  # one after the other: each takes a reader slot
/usr/bin/mdb_stat -e "$ENV" | grep -v "Map address" >"$WORK/lmdb.stat"
if cmp -s "$WORK/aspen.stat" "$WORK/lmdb.stat"; then
  pass
else
  fail "aspen stat -e differs from mdb_stat -e"
fi

# Usage errors.
for args in "--json $ENV" "--health" "--health -e $ENV" "--health $ENV $ENV"; do
  # shellcheck disable=SC2086
  if "$ASPEN" stat $args >/dev/null 2>"$WORK/err"; then fail "stat $args succeeded"; else pass; fi
  if grep -q "usage: aspen stat --health" "$WORK/err"; then pass; else fail "stat $args: $(cat "$WORK/err")"; fi
done
if "$ASPEN" stat --help | grep -q -e "--json"; then pass; else fail "stat --help does not document --json"; fi
finish
