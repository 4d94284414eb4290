// `aspen shrink` (layer: tools): gives the pages that deletes freed back to the file system (Env::shrink).
//
// No LMDB tool does this: an LMDB data file never shrinks. The result is the file `aspen copy --compact`
// would write, swapped in for the data file atomically, so liblmdb and Debian's tools read it as before.
#include <cstdio>
#include <cstdlib>

#include "cli.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-V] [-n] dbpath";

constexpr const char* kHelp =
    "usage: aspen shrink [-V] [-n] dbpath\n"
    "Rewrite the environment's data file without its free pages (as copy --compact writes it) and swap it\n"
    "in atomically: a crash leaves the old file or the new one. Fails with 'Device or resource busy' while\n"
    "any other process has the environment open.\n"
    "  -V        print the library version and exit\n"
    "  -n        dbpath is the data file itself (MDB_NOSUBDIR)\n";

}  // namespace

int run_shrink(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "nV");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (argc < 2) return usage(args.prog, kSynopsis);
  if (args.has('V')) return print_version();
  if (!args.ok || args.positional.size() != 1) return usage(args.prog, kSynopsis);
  EnvOptions options;
  options.flags = args.has('n') ? kNoSubdir : 0u;
  Result<ShrinkResult> shrunk = Env::shrink(args.positional[0], options);
  if (!shrunk.ok()) return report_failure("shrink", shrunk.code());
  std::printf("%s: %llu -> %llu bytes\n", args.positional[0].c_str(),
              static_cast<unsigned long long>(shrunk->bytes_before),
              static_cast<unsigned long long>(shrunk->bytes_after));
  return 0;
}

}  // namespace aspen::tools
