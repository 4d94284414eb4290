#!/usr/bin/env bash
# cross_open.sh: reads two LMDB environments with Debian's own tools (mdb_stat, mdb_dump, linked to the
# real liblmdb; LD_LIBRARY_PATH is cleared for them) and checks that they hold the same thing.
#
# usage: cross_open.sh compare-envs REF OTHER [--no-copies]
#   REF is an environment directory written by liblmdb, OTHER one written by the library under test from
#   the same operations (see tests/differential/run_differential.sh; with --dupsort the environments hold
#   every duplicate kind: DUPSORT, DUPFIXED, INTEGERDUP, REVERSEDUP, sub-pages and sub-databases, and
#   `mdb_dump -a` prints them with their duplicates=1/dupsort headers). Checks, in order:
#   - mdb_stat -efa and mdb_dump -a succeed on both (the real liblmdb can open what the other wrote);
#   - the dumps are identical except for the mapsize= header line ("dump" mismatch: contents differ);
#   - the mdb_stat outputs are identical ("page" mismatch: tree depth, page counts, free pages differ);
#   - unless --no-copies: OTHER/copy, OTHER/compact (directories) and OTHER/copyfd.mdb (a NOSUBDIR data
#     file) dump identically to OTHER, and REF/compact and OTHER/compact have the same mdb_stat output.
# Prints what differs and exits 1 on the first failed check; exits 0 when all pass, 2 on bad usage.
set -uo pipefail

tool() { env -u LD_LIBRARY_PATH "$@"; }

# Runs one tool into `out`; a failure or any message on stderr means the environment is unreadable.
read_env() { # out-file, tool, args...
  local out=$1; shift
  if ! tool "$@" > "$out" 2> "$out.err" || [ -s "$out.err" ]; then
    echo "  CROSS-OPEN FAILED: '$*' (Debian's liblmdb) cannot read it:"; sed 's/^/    /' "$out.err" | head -5
    return 1
  fi
}

# Compares two tool outputs; `kind` names the mismatch. The mapsize= line of dumps is ignored.
# mdb_stat -efa output without what depends on page numbering: pages used and the free list's status.
without_page_numbers() { # file
  awk '/^Freelist Status/ { skip = 1; next } /^Status of/ { skip = 0 } !skip && !/Number of pages used/' "$1"
}

same_output() { # kind, what, ref-file, other-file
  local kind=$1 what=$2 a=$3 b=$4 line
  if cmp -s <(grep -v '^mapsize=' "$a") <(grep -v '^mapsize=' "$b"); then
    return 0
  fi
  # DIFF_PAGE_NUMBERS=advisory: other page numbers (free-page reuse order) are reported, not failed.
  if [ "$kind" = page ] && [ "${DIFF_PAGE_NUMBERS:-}" = advisory ] &&
     cmp -s <(without_page_numbers "$a") <(without_page_numbers "$b"); then
    echo "  NOTE (page numbers) in $what: same trees, other page numbering"
    return 0
  fi
  line=$(diff <(grep -v '^mapsize=' "$a") <(grep -v '^mapsize=' "$b") | head -1 | sed -E 's/^([0-9]+).*/\1/')
  echo "  MISMATCH ($kind) in $what, first at line $line:"
  echo "    reference: $(grep -v '^mapsize=' "$a" | sed -n "${line}p" | cut -c1-300)"
  echo "    other:     $(grep -v '^mapsize=' "$b" | sed -n "${line}p" | cut -c1-300)"
  return 1
}

compare_copies() { # ref-dir, other-dir, scratch prefix
  local ref=$1 other=$2 s=$3
  read_env "$s.copy.dump" mdb_dump -a "$other/copy" || return 1
  read_env "$s.compact.dump" mdb_dump -a "$other/compact" || return 1
  read_env "$s.copyfd.dump" mdb_dump -n -a "$other/copyfd.mdb" || return 1
  same_output dump "the mdb_env_copy2 copy of $other" "$s.other.dump" "$s.copy.dump" || return 1
  same_output dump "the compacting copy of $other" "$s.other.dump" "$s.compact.dump" || return 1
  same_output dump "the mdb_env_copyfd2 copy of $other" "$s.other.dump" "$s.copyfd.dump" || return 1
  read_env "$s.ref-compact.stat" mdb_stat -efa "$ref/compact" || return 1
  read_env "$s.other-compact.stat" mdb_stat -efa "$other/compact" || return 1
  same_output page "mdb_stat -efa of the compacting copies" "$s.ref-compact.stat" "$s.other-compact.stat"
}

compare_envs() { # ref-dir, other-dir, [--no-copies]
  local ref=$1 other=$2 copies=1 s
  [ "${3:-}" = --no-copies ] && copies=0
  s="$other.cross"
  read_env "$s.ref.stat" mdb_stat -efa "$ref" || return 1
  read_env "$s.other.stat" mdb_stat -efa "$other" || return 1
  read_env "$s.ref.dump" mdb_dump -a "$ref" || return 1
  read_env "$s.other.dump" mdb_dump -a "$other" || return 1
  same_output dump "mdb_dump -a of $other" "$s.ref.dump" "$s.other.dump" || return 1
  same_output page "mdb_stat -efa of $other" "$s.ref.stat" "$s.other.stat" || return 1
  [ $copies = 1 ] || return 0
  compare_copies "$ref" "$other" "$s"
}

case "${1:-}" in
  compare-envs) shift; [ $# -ge 2 ] || { echo "usage: $0 compare-envs REF OTHER [--no-copies]" >&2; exit 2; }
                compare_envs "$@" ;;
  *) echo "usage: $0 compare-envs REF OTHER [--no-copies]" >&2; exit 2 ;;
esac
