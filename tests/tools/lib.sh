# Shared by the tool tests (sourced): databases from both writers, running a tool under an LMDB name, and
# counting results. Each test script ends with `finish`, which prints "N passed, N failed" and sets the status.
#
# Required variables: ASPEN (the aspen binary), MAKER (aspen_make_testdb), WORK (a scratch directory).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
KINDS="plain named integer intmain overflow empty freelist dupsort"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Named databases of each kind (for -s).
subdbs_of() {
  case $1 in
    named) echo "one two three" ;;
    integer) echo "ints rev" ;;
    dupsort) echo "dups fixed" ;;
    *) echo "" ;;
  esac
}

# make_db WRITER KIND: creates $WORK/WRITER-KIND with Aspen or liblmdb; status 2 when unsupported.
make_db() {
  local dir=$WORK/$1-$2
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$1" = aspen ]; then
    "$MAKER" "$2" "$dir" 2>"$dir.err"
  else
    "$PYTHON" "$HERE/make_lmdb_db.py" "$2" "$dir" 2>"$dir.err"
  fi
}

# run_as NAME OUT PROGRAM ARGS...: runs PROGRAM with argv[0] = NAME in $WORK, stdout to OUT.out, stderr to
# OUT.err and the exit status to OUT.rc.
run_as() {
  local name=$1 out=$2
  shift 2
  (cd "$WORK" && exec -a "$name" "$@") >"$out.out" 2>"$out.err"
  echo $? >"$out.rc"
}

# has_backslash DB [ambiguous]: whether a key or value of DB holds a backslash byte (with "ambiguous": one
# followed by two hex digits, another backslash or a byte printed as an escape). mdb_dump -p (0.9.24) prints
# a backslash as itself, so Debian's mdb_load rejects such -p dumps, and ambiguous ones ("\41" may stand for
# "A") cannot round-trip.
has_backslash() {
  { "$ASPEN" dump "$1"; "$ASPEN" dump -a "$1"; } 2>/dev/null | "$PYTHON" -c '
import re, sys
pattern = re.compile(rb"\\([0-9a-fA-F]{2}|[^\x20-\x7e]|\\)" if sys.argv[1] else rb"\\")
sys.exit(0 if any(l.startswith(" ") and pattern.search(bytes.fromhex(l[1:].strip())) for l in sys.stdin) else 1)
' "${2:-}"
}

# same_output A B LABEL: passes when both runs printed the same bytes and exited alike.
same_output() {
  if cmp -s "$1.out" "$2.out" && cmp -s "$1.err" "$2.err" && cmp -s "$1.rc" "$2.rc"; then
    pass
  else
    fail "$3"
    diff -u "$1.out" "$2.out" | head -20
    diff -u "$1.err" "$2.err" | head -10
    diff "$1.rc" "$2.rc"
  fi
}
