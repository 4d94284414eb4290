// `aspen copy` / mdb_copy (layer: tools): a consistent copy of an environment, from one read snapshot.
//
// Arguments are parsed as mdb_copy parses them (leading "-x" flags only, no getopt), plus --compact as a
// long name for -c. Without dstpath the copy goes to stdout. Messages are mdb_copy's.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kHelp =
    "usage: aspen copy [-V] [-c|--compact] [-n] srcpath [dstpath]\n"
    "Copy the environment srcpath to the directory dstpath (which must exist and hold no data.mdb), or to\n"
    "stdout, as LMDB's mdb_copy does. The copy is of one snapshot and may run while others write.\n"
    "  -V            print the library version and exit\n"
    "  -c, --compact omit free pages and renumber pages densely (MDB_CP_COMPACT)\n"
    "  -n            srcpath (and dstpath) are data files themselves (MDB_NOSUBDIR)\n";

int copy_usage(const char* prog) {
  std::fprintf(stderr, "usage: %s [-V] [-c] [-n] srcpath [dstpath]\n", prog);
  return EXIT_FAILURE;
}

}  // namespace

int run_copy(int argc, char** argv) {
  const char* prog = argv[0];
  unsigned flags = kReadOnly, copy_flags = 0;
  for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
    const std::string arg = argv[1];
    if (arg == "--help") return std::fputs(kHelp, stdout), 0;
    if (arg == "-n")
      flags |= kNoSubdir;
    else if (arg == "-c" || arg == "--compact")
      copy_flags |= kCopyCompact;
    else if (arg == "-V")
      return print_version();
    else
      return copy_usage(prog);
  }
  if (argc < 2 || argc > 3) return copy_usage(prog);
  const char* action = "opening environment";
  Env env;
  Status st = env.open(argv[1], flags, 0600);
  if (st.ok()) {
    action = "copying";
    st = argc == 2 ? env.copy_fd(1, copy_flags) : env.copy(argv[2], copy_flags);
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s failed, error %d (%s)\n", prog, action, st.code(), error_text(st.code()));
    return EXIT_FAILURE;
  }
  return 0;
}

}  // namespace aspen::tools
