// `aspen dump` / mdb_dump (layer: tools): databases in the mdb_dump text format, version 3.
//
// Output is byte-for-byte that of LMDB 0.9.24's mdb_dump: a header (format, database name, btree, map size,
// map address when fixed, max readers, the database flags, page size), one line per key and per value, and
// DATA=END. -a dumps every named database (not the main database, as in 0.9.24); -l only lists them.
// SIGPIPE, SIGHUP, SIGINT and SIGTERM stop the dump between records with EINTR, as mdb_dump does.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "escape.hpp"
#include "progress.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-V] [-f output] [-l] [-n] [-p] [-a|-s subdb] dbpath";

constexpr const char* kHelp =
    "usage: aspen dump [-V] [-f output] [-l] [-n] [-p] [-a|-s subdb] dbpath\n"
    "Write databases in mdb_dump's text format (version 3), byte-identical to LMDB's mdb_dump.\n"
    "  -V          print the library version and exit\n"
    "  -f output   write to the file output instead of stdout\n"
    "  -l          list the named databases instead of dumping\n"
    "  -n          dbpath is the data file itself (MDB_NOSUBDIR)\n"
    "  -p          printable format: printable bytes as themselves, others as \\hh\n"
    "  -a          dump every named database\n"
    "  -s subdb    dump the named database subdb instead of the main database\n";

volatile std::sig_atomic_t g_signalled = 0;

void on_signal(int) { g_signalled = 1; }

struct DbFlagName {
  unsigned bit;
  const char* name;
};
constexpr DbFlagName kFlagNames[] = {{kReverseKey, "reversekey"}, {kDupSort, "dupsort"},
                                     {kIntegerKey, "integerkey"}, {kDupFixed, "dupfixed"},
                                     {kIntegerDup, "integerdup"}, {kReverseDup, "reversedup"}};

void print_header(const Env& env, const Stat& st, const char* name, bool printable, unsigned flags) {
  Result<EnvInfo> info = env.info();
  std::printf("VERSION=3\n");
  std::printf("format=%s\n", printable ? "print" : "bytevalue");
  if (name) std::printf("database=%s\n", name);
  std::printf("type=btree\n");
  std::printf("mapsize=%zu\n", static_cast<size_t>(info.ok() ? info->map_size : 0));
  if (info.ok() && info->map_address) std::printf("mapaddr=%p\n", info->map_address);
  std::printf("maxreaders=%u\n", info.ok() ? info->max_readers : 0);
  if (flags & kDupSort) std::printf("duplicates=1\n");
  for (const DbFlagName& f : kFlagNames)
    if (flags & f.bit) std::printf("%s=1\n", f.name);
  std::printf("db_pagesize=%d\n", static_cast<int>(st.page_size));
  std::printf("HEADER=END\n");
}

// Dumps one database (mdb_dump's dumpit). Returns an LMDB code.
int dump_db(const Env& env, TxnRef& txn, Dbi dbi, const char* name, bool printable) {
  Result<unsigned> flags = txn.db_flags(dbi);
  if (!flags.ok()) return flags.code();
  Result<Stat> st = txn.stat(dbi);
  if (!st.ok()) return st.code();
  print_header(env, *st, name, printable, *flags);
  Result<Cursor> cursor = txn.cursor(dbi);
  if (!cursor.ok()) return cursor.code();
  Progress progress(std::string("dumping ") + (name ? name : "main"));
  std::string line;
  uint64_t done = 0;
  Result<Entry> e = cursor->get(CursorOp::kNext);
  for (; e.ok(); e = cursor->get(CursorOp::kNext)) {
    if (g_signalled) return EINTR;
    progress.update(++done, st->entries);
    line.clear();
    append_dump_line(line, e->key, printable);
    append_dump_line(line, e->value, printable);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::printf("DATA=END\n");
  return e.code() == code::kNotFound ? 0 : e.code();
}

// -a and -l: every named database. Returns an LMDB code.
int dump_all(const Env& env, TxnRef& txn, Dbi main, const ParsedArgs& args) {
  int count = 0;
  int rc = for_each_named_db(
      txn, main,
      [&](const std::string& name, Dbi db) {
        if (!args.has('l')) return dump_db(env, txn, db, name.c_str(), args.has('p'));
        std::printf("%s\n", name.c_str());
        return 0;
      },
      &count);
  if (rc == 0 && count == 0) {
    std::fprintf(stderr, "%s: %s does not contain multiple databases\n", args.prog.c_str(), args.positional[0].c_str());
    return code::kNotFound;
  }
  return rc;
}

int dump(Env& env, const ParsedArgs& args) {
  Result<ReadTxn> txn = env.begin_read();
  if (!txn.ok()) return report_failure("mdb_txn_begin", txn.code());
  const std::string* subname = args.value('s');
  Result<Dbi> dbi = txn->open_db(subname ? subname->c_str() : nullptr, 0);
  if (!dbi.ok()) return report_failure("mdb_open", dbi.code());
  const bool all = args.has('a') || args.has('l');
  int rc = all ? dump_all(env, *txn, *dbi, args)
               : dump_db(env, *txn, *dbi, subname ? subname->c_str() : nullptr, args.has('p'));
  if (rc && rc != code::kNotFound)
    std::fprintf(stderr, "%s: %s: %s\n", args.prog.c_str(), args.positional[0].c_str(), error_text(rc));
  if (std::fflush(stdout) != 0 && rc == 0) rc = EIO;
  return rc ? EXIT_FAILURE : 0;
}

}  // namespace

int run_dump(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "af:lnps:V");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (argc < 2) return usage(args.prog, kSynopsis);
  if (args.has('V')) return print_version();
  if (!args.ok || args.positional.size() != 1 || ((args.has('a') || args.has('l')) && args.has('s')))
    return usage(args.prog, kSynopsis);
  if (const std::string* out = args.value('f'); out && !std::freopen(out->c_str(), "w", stdout)) {
    std::fprintf(stderr, "%s: %s: reopen: %s\n", args.prog.c_str(), out->c_str(), std::strerror(errno));
    return EXIT_FAILURE;
  }
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM}) std::signal(sig, on_signal);
  const unsigned flags = kReadOnly | (args.has('n') ? kNoSubdir : 0u);
  const bool named = args.has('s') || args.has('a') || args.has('l');
  std::optional<Env> env = open_env(args.positional[0], flags, named ? kManyDbs : 0);
  if (!env) return EXIT_FAILURE;
  return dump(*env, args);
}

}  // namespace aspen::tools
