// `aspen drop` / mdb_drop (layer: tools): empties a database, or with -d deletes it.
//
// Semantics and messages are those of LMDB's mdb_drop (0.9.25 and later; Debian's 0.9.24 has no mdb_drop):
// without -s the main database is emptied; -d also deletes a named database's record from the main database.
// Everything happens in one write transaction.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-V] [-n] [-d] [-s subdb] dbpath";

constexpr const char* kHelp =
    "usage: aspen drop [-V] [-n] [-d] [-s subdb] dbpath\n"
    "Empty the main database, or the named database subdb, as LMDB's mdb_drop does.\n"
    "  -V        print the library version and exit\n"
    "  -n        dbpath is the data file itself (MDB_NOSUBDIR)\n"
    "  -d        delete the database itself, not only its contents\n"
    "  -s subdb  the named database subdb instead of the main database\n";

}  // namespace

int run_drop(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "dns:V");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (argc < 2) return usage(args.prog, kSynopsis);
  if (args.has('V')) return print_version();
  if (!args.ok || args.positional.size() != 1) return usage(args.prog, kSynopsis);
  std::optional<Env> env = open_env(args.positional[0], args.has('n') ? kNoSubdir : 0u, 2);
  if (!env) return EXIT_FAILURE;
  Result<WriteTxn> txn = env->begin_write();
  if (!txn.ok()) return report_failure("mdb_txn_begin", txn.code());
  const std::string* subname = args.value('s');
  Result<Dbi> dbi = txn->open_db(subname ? subname->c_str() : nullptr, 0);
  if (!dbi.ok()) return report_failure("mdb_open", dbi.code());
  if (Status st = txn->drop(*dbi, args.has('d')); !st.ok()) return report_failure("mdb_drop", st.code());
  if (Status st = txn->commit(); !st.ok()) return report_failure("mdb_txn_commit", st.code());
  return 0;
}

}  // namespace aspen::tools
