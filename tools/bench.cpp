// `aspen bench` (layer: tools): runs the side-by-side benchmark program, aspen_bench (bench/).
//
// The benchmark links RocksDB, LevelDB, SQLite and WiredTiger; linking it into `aspen` would make every
// operator's tool depend on those libraries. So `aspen bench` executes the separate program instead: the
// aspen_bench installed next to this executable, or in a build tree bench/aspen_bench beside tools/. Its
// arguments are passed through unchanged, and argv[0] ("aspen bench") names it in its messages.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kMissingHelp =
    "usage: aspen bench [options]\n"
    "Run the side-by-side benchmark (Aspen against liblmdb, RocksDB, LevelDB, SQLite, WiredTiger).\n"
    "This runs the program aspen_bench, which was not found: build it (cmake --build BUILD --target\n"
    "aspen_bench, with -DASPEN_BENCH=ON) or install it next to aspen. Then 'aspen bench --help' lists its\n"
    "options.\n";

// The directory of the running executable ("" when /proc is not available).
std::string own_directory() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return "";
  path[n] = '\0';
  const char* slash = std::strrchr(path, '/');
  return slash ? std::string(path, static_cast<size_t>(slash - path)) : std::string(".");
}

// The benchmark program: installed beside aspen, or in the build tree (build/tools/aspen, build/bench/).
std::string find_bench() {
  const std::string dir = own_directory();
  if (dir.empty()) return "";
  for (const std::string& candidate : {dir + "/aspen_bench", dir + "/../bench/aspen_bench"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  return "";
}

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  return false;
}

}  // namespace

int run_bench(int argc, char** argv) {
  const std::string bench = find_bench();
  if (bench.empty()) {
    if (wants_help(argc, argv)) return std::fputs(kMissingHelp, stdout), 0;
    std::fputs(kMissingHelp, stderr);
    return EXIT_FAILURE;
  }
  execv(bench.c_str(), argv);  // returns only on failure
  std::fprintf(stderr, "%s: cannot run %s: %s\n", argc > 0 ? argv[0] : "aspen bench", bench.c_str(),
               std::strerror(errno));
  return EXIT_FAILURE;
}

}  // namespace aspen::tools
