// `aspen stat` / mdb_stat (layer: tools): environment, reader, free-list and database statistics.
//
// Output is byte-for-byte that of LMDB 0.9.24's mdb_stat, section by section and in the same order: -e
// environment info, -r reader table (-rr also clears stale readers), -f free list (-ff each record with its
// longest run of consecutive pages, -fff every page or run), then the main database or -s one named database,
// and with -a every named database too.
//
// Beyond mdb_stat, `--health [--json]` prints what operators watch instead (health.hpp). The long options are
// taken out of argv before getopt sees it, so the LMDB options parse exactly as mdb_stat parses them.
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "health.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-V] [-n] [-e] [-r[r]] [-f[f[f]]] [-a|-s subdb] dbpath";
constexpr const char* kHealthSynopsis = "--health [--json] [-n] dbpath";

constexpr const char* kHelp =
    "usage: aspen stat [-V] [-n] [-e] [-r[r]] [-f[f[f]]] [-a|-s subdb] dbpath\n"
    "Print statistics of an environment, as LMDB's mdb_stat does (byte-identical output).\n"
    "  -V        print the library version and exit\n"
    "  -n        dbpath is the data file itself (MDB_NOSUBDIR)\n"
    "  -e        environment info: map size, page size, pages used, last transaction, readers\n"
    "  -r        the reader table; -rr also clears stale readers first\n"
    "  -f        free-list totals; -ff each free-list record; -fff each free page\n"
    "  -a        also every named database\n"
    "  -s subdb  the named database subdb instead of the main database\n"
    "\n"
    "usage: aspen stat --health [--json] [-n] dbpath\n"
    "Print what operators watch in a live environment (beyond mdb_stat):\n"
    "  free pages and their ratio to the pages used; pages held back by readers, that is free pages a\n"
    "  writer cannot reuse while the oldest reader pins an older snapshot; the oldest reader's pid, thread,\n"
    "  txnid, lag (transactions committed since its snapshot) and age (Aspen readers only); reader slots used\n"
    "  of the maximum (high water, slots of dead processes); map use against the map size; and the pages\n"
    "  written by the last commit (known when an Aspen writer made it). Unknown figures print as 'unknown'.\n"
    "  --json    the same as one JSON object on one line (unknown figures are null)\n";

void print_stat(const Stat& s) {
  std::printf("  Tree depth: %u\n", s.depth);
  std::printf("  Branch pages: %zu\n", static_cast<size_t>(s.branch_pages));
  std::printf("  Leaf pages: %zu\n", static_cast<size_t>(s.leaf_pages));
  std::printf("  Overflow pages: %zu\n", static_cast<size_t>(s.overflow_pages));
  std::printf("  Entries: %zu\n", static_cast<size_t>(s.entries));
}

void print_env_info(const Env& env) {
  Result<Stat> st = env.stat();
  Result<EnvInfo> info = env.info();
  const Stat s = st.ok() ? *st : Stat{};
  const EnvInfo i = info.ok() ? *info : EnvInfo{};
  std::printf("Environment Info\n");
  std::printf("  Map address: %p\n", i.map_address);
  std::printf("  Map size: %zu\n", static_cast<size_t>(i.map_size));
  std::printf("  Page size: %u\n", s.page_size);
  std::printf("  Max pages: %zu\n", static_cast<size_t>(s.page_size ? i.map_size / s.page_size : 0));
  std::printf("  Number of pages used: %zu\n", static_cast<size_t>(i.last_page + 1));
  std::printf("  Last transaction ID: %zu\n", static_cast<size_t>(i.last_txnid));
  std::printf("  Max readers: %u\n", i.max_readers);
  std::printf("  Number of readers used: %u\n", i.num_readers);
}

// mdb_reader_list's format: a header line before the first live slot, or a note when there is none.
void print_readers(const Env& env) {
  bool first = true;
  env.reader_list([&first](const ReaderInfo& r) {
    if (first) std::fputs("    pid     thread     txnid\n", stdout);
    first = false;
    if (r.txnid == ~uint64_t{0})
      std::printf("%10d %zx -\n", r.pid, static_cast<size_t>(r.thread));
    else
      std::printf("%10d %zx %zu\n", r.pid, static_cast<size_t>(r.thread), static_cast<size_t>(r.txnid));
  });
  if (first) std::fputs("(no active readers)\n", stdout);
}

// One FREE_DBI record at -ff and -fff: its page count, the longest run of consecutive pages ("maxspan"),
// whether the IDL is out of order, and at -fff the pages themselves, runs as "first[length]". The loops
// are mdb_stat's, so that the numbers agree even on malformed records.
void print_free_record(uint64_t txnid, const std::byte* ids, ssize_t count, int level) {
  auto id = [ids](ssize_t i) { return read_u64(ids + 8 * i); };
  const char* bad = "";
  ssize_t span = 0;
  uint64_t prev = 1;
  for (ssize_t i = count; --i >= 0;) {
    uint64_t pg = id(i);
    if (pg <= prev) bad = " [bad sequence]";
    prev = pg;
    pg += span;
    for (; i >= span && id(i - span) == pg; span++, pg++) {
    }
  }
  std::printf("    Transaction %zu, %zd pages, maxspan %zd%s\n", static_cast<size_t>(txnid), count, span, bad);
  if (level < 3) return;
  for (ssize_t j = count - 1; j >= 0;) {
    const uint64_t pg = id(j);
    for (span = 1; --j >= 0 && id(j) == pg + span; span++) {
    }
    if (span > 1)
      std::printf("     %9zu[%zd]\n", static_cast<size_t>(pg), span);
    else
      std::printf("     %9zu\n", static_cast<size_t>(pg));
  }
}

int print_free_list(TxnRef& txn, int level) {
  std::printf("Freelist Status\n");
  Result<Cursor> cursor = txn.cursor(0);
  if (!cursor.ok()) return report_failure("mdb_cursor_open", cursor.code());
  Result<Stat> st = txn.stat(0);
  if (!st.ok()) return report_failure("mdb_stat", st.code());
  print_stat(*st);
  uint64_t pages = 0;
  Result<Entry> e = cursor->get(CursorOp::kNext);
  for (; e.ok(); e = cursor->get(CursorOp::kNext)) {
    if (e->value.size() < 8 || e->key.size() < 8) continue;  // malformed: `aspen check` says why
    // Clamp the count to the record so that a corrupt record cannot make us read past it.
    const uint64_t count = std::min<uint64_t>(read_u64(e->value.data()), e->value.size() / 8 - 1);
    pages += read_u64(e->value.data());
    if (level > 1) print_free_record(read_u64(e->key.data()), e->value.data() + 8, static_cast<ssize_t>(count), level);
  }
  if (e.code() != code::kNotFound) return report_failure("mdb_cursor_get", e.code());
  std::printf("  Free pages: %zu\n", static_cast<size_t>(pages));
  return 0;
}

// Every named database, as mdb_stat -a prints them.
int print_named(TxnRef& txn, Dbi main) {
  int rc = for_each_named_db(
      txn, main,
      [&txn](const std::string& name, Dbi db) {
        std::printf("Status of %s\n", name.c_str());
        Result<Stat> st = txn.stat(db);
        if (!st.ok()) return report_failure("mdb_stat", st.code()), st.code();
        print_stat(*st);
        return 0;
      },
      nullptr);
  return rc ? EXIT_FAILURE : 0;
}

int print_databases(Env& env, const ParsedArgs& args) {
  Result<ReadTxn> txn = env.begin_read();
  if (!txn.ok()) return report_failure("mdb_txn_begin", txn.code());
  if (args.has('f') && print_free_list(*txn, args.count('f')) != 0) return EXIT_FAILURE;
  const std::string* subname = args.value('s');
  Result<Dbi> dbi = txn->open_db(subname ? subname->c_str() : nullptr, 0);
  if (!dbi.ok()) return report_failure("mdb_open", dbi.code());
  Result<Stat> st = txn->stat(*dbi);
  if (!st.ok()) return report_failure("mdb_stat", st.code());
  std::printf("Status of %s\n", subname ? subname->c_str() : "Main DB");
  print_stat(*st);
  return args.has('a') ? print_named(*txn, *dbi) : 0;
}

int print_health(const std::string& path, unsigned flags, bool json) {
  std::optional<Env> env = open_env(path, flags, 0);
  if (!env) return EXIT_FAILURE;
  Result<Health> h = env->health();
  if (!h.ok()) return report_failure("health", h.code());
  json ? print_health_json(*h) : print_health_text(*h);
  return 0;
}

// Takes --health and --json out of argv (up to a "--"), so that getopt sees mdb_stat's options only.
std::vector<char*> take_long_options(int argc, char** argv, bool* health, bool* json) {
  std::vector<char*> rest;
  bool options_ended = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && !options_ended && arg == "--health") *health = true;
    else if (i > 0 && !options_ended && arg == "--json") *json = true;
    else rest.push_back(argv[i]);
    options_ended = options_ended || arg == "--";
  }
  rest.push_back(nullptr);
  return rest;
}

// `--health [--json] [-n] dbpath`, with -n as the only short option.
int run_health(std::vector<char*>& rest, bool health, bool json) {
  ParsedArgs args = parse_args(static_cast<int>(rest.size()) - 1, rest.data(), "n");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (!health || !args.ok || args.positional.size() != 1) return usage(args.prog, kHealthSynopsis);
  return print_health(args.positional[0], kReadOnly | (args.has('n') ? kNoSubdir : 0u), json);
}

}  // namespace

int run_stat(int argc, char** argv) {
  bool health = false, json = false;
  std::vector<char*> rest = take_long_options(argc, argv, &health, &json);
  if (health || json) return run_health(rest, health, json);
  ParsedArgs args = parse_args(argc, argv, "Vaefnrs:");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (argc < 2) return usage(args.prog, kSynopsis);
  if (args.has('V')) return print_version();
  if (!args.ok || args.positional.size() != 1 || (args.has('a') && args.has('s'))) return usage(args.prog, kSynopsis);
  const unsigned flags = kReadOnly | (args.has('n') ? kNoSubdir : 0u);
  std::optional<Env> env = open_env(args.positional[0], flags, (args.has('a') || args.has('s')) ? kManyDbs : 0);
  if (!env) return EXIT_FAILURE;
  if (args.has('e')) print_env_info(*env);
  if (args.has('r')) {
    std::printf("Reader Table Status\n");
    print_readers(*env);
    if (args.count('r') > 1) {
      Result<int> dead = env->reader_check();
      std::printf("  %d stale readers cleared.\n", dead.ok() ? *dead : 0);
      print_readers(*env);
    }
    // Here mdb_stat 0.9.24 exits with the status of mdb_reader_list, i.e. of its last fputs, which glibc
    // makes 1: -r alone exits 1. Scripts may depend on it, so Aspen does the same.
    if (!(args.has('s') || args.has('a') || args.has('f'))) return EXIT_FAILURE;
  }
  return print_databases(*env, args);
}

}  // namespace aspen::tools
