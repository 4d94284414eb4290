// The `aspen` command (layer: tools): dispatches to a subcommand by its first argument, or by the name it
// was invoked under, so that links named mdb_stat, mdb_dump, mdb_load, mdb_copy and mdb_drop behave as
// LMDB's tools of those names.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.hpp"

namespace {

struct Command {
  const char* name;
  const char* lmdb_name;  // the LMDB tool it replaces, or null
  int (*run)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"check", nullptr, aspen::tools::run_check, "verify a data file: pages, trees, free list, counts"},
    {"stat", "mdb_stat", aspen::tools::run_stat, "print environment, free-list and database statistics"},
    {"dump", "mdb_dump", aspen::tools::run_dump, "write databases in the mdb_dump text format"},
    {"load", "mdb_load", aspen::tools::run_load, "load databases from mdb_dump text, in one transaction"},
    {"copy", "mdb_copy", aspen::tools::run_copy, "copy an environment, optionally compacting it"},
    {"drop", "mdb_drop", aspen::tools::run_drop, "empty or delete a database"},
    {"shrink", nullptr, aspen::tools::run_shrink, "give freed pages back: compact the data file in place"},
    {"demo", nullptr, aspen::tools::run_demo, "load, read back and check 1,000,000 keys in a temp dir"},
    {"bench", nullptr, aspen::tools::run_bench, "benchmark Aspen against liblmdb and other engines (aspen_bench)"},
};

void list_commands(std::FILE* out) {
  std::fprintf(out, "usage: aspen COMMAND [options]\n\nCommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-6s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\nRun 'aspen COMMAND --help' for a command's options. Invoked as mdb_stat, mdb_dump, mdb_load,\n"
               "mdb_copy or mdb_drop, this program is that LMDB tool.\n");
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

}  // namespace

int main(int argc, char** argv) {
  const char* invoked = base_name(argc > 0 ? argv[0] : "aspen");
  for (const Command& c : kCommands)
    if (c.lmdb_name && std::strcmp(invoked, c.lmdb_name) == 0) return c.run(argc, argv);
  if (argc < 2) {
    list_commands(stderr);
    return EXIT_FAILURE;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    list_commands(stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (first != c.name) continue;
    std::string prog = std::string(invoked) + " " + c.name;  // messages say "aspen stat: ..."
    argv[1] = prog.data();
    return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "aspen: unknown command '%s'\n", argv[1]);
  list_commands(stderr);
  return EXIT_FAILURE;
}
