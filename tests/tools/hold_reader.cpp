// aspen_hold_reader DIR COMMITS: keeps a read transaction open while COMMITS transactions commit after it, for
// the `aspen stat --health` test (layer: tests).
//
// Creates or opens the environment DIR, commits 50 records, begins a read transaction (the snapshot it pins
// is then the oldest), and commits COMMITS more transactions that rewrite every record, so that each frees
// pages the reader holds back. Then prints "ready <pid> <pinned txnid>" and keeps the reader open until its
// standard input reaches end of file. Exit status 0, or 1 on any failure.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "aspen/aspen.hpp"

namespace {

int fail(const char* what, int code) {
  std::fprintf(stderr, "aspen_hold_reader: %s: %s\n", what, aspen::error_message(code));
  return 1;
}

// One write transaction that writes 50 records of `size` bytes.
aspen::Status rewrite(aspen::Env& env, size_t size) {
  aspen::Result<aspen::WriteTxn> txn = env.begin_write();
  if (!txn) return txn.error();
  aspen::Result<aspen::Dbi> db = txn->open_db(nullptr, 0);
  if (!db) return db.error();
  for (int i = 0; i < 50; ++i)
    if (aspen::Status st = txn->put(*db, "key" + std::to_string(i), std::string(size, 'v')); !st) return st;
  return txn->commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return std::fputs("usage: aspen_hold_reader DIR COMMITS\n", stderr), 1;
  aspen::Result<aspen::Env> env = aspen::Env::open(argv[1]);
  if (!env) return fail("open", env.code());
  if (aspen::Status st = rewrite(*env, 100); !st) return fail("commit", st.code());
  aspen::Result<aspen::ReadTxn> reader = env->begin_read();
  if (!reader) return fail("begin_read", reader.code());
  for (int i = 0, n = std::atoi(argv[2]); i < n; ++i)
    if (aspen::Status st = rewrite(*env, 100 + i % 2); !st) return fail("commit", st.code());
  std::printf("ready %d %llu\n", static_cast<int>(getpid()), static_cast<unsigned long long>(reader->id()));
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  return 0;
}
