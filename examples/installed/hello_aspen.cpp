// hello_aspen: the smallest program using an installed Aspen's C++ API (examples/installed/CMakeLists.txt).
//
//   usage: hello_aspen ENV_DIR      (the directory must exist)
//
// Writes one record, reads it back in a read transaction and prints the environment's health figures.
// Exit status 0 when the record reads back as written.
#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "aspen/aspen.hpp"

namespace {

int fail(const char* what, int code) {
  std::fprintf(stderr, "hello_aspen: %s: %s\n", what, aspen::error_message(code));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return std::fputs("usage: hello_aspen ENV_DIR\n", stderr), 1;
  aspen::Result<aspen::Env> env = aspen::Env::open(argv[1]);
  if (!env) return fail("open", env.code());
  {
    aspen::Result<aspen::WriteTxn> txn = env->begin_write();
    if (!txn) return fail("begin_write", txn.code());
    aspen::Result<aspen::Dbi> db = txn->open_db(nullptr, 0);
    if (!db) return fail("open_db", db.code());
    if (aspen::Status st = txn->put(*db, "hello", "world"); !st) return fail("put", st.code());
    if (aspen::Status st = txn->commit(); !st) return fail("commit", st.code());
  }
  aspen::Result<aspen::ReadTxn> txn = env->begin_read();
  if (!txn) return fail("begin_read", txn.code());
  aspen::Result<aspen::Dbi> db = txn->open_db(nullptr, 0);
  if (!db) return fail("open_db", db.code());
  aspen::Result<std::string_view> value = txn->get(*db, "hello");
  if (!value) return fail("get", value.code());
  std::printf("hello -> %.*s\n", static_cast<int>(value->size()), value->data());
  txn->abort();
  aspen::Result<aspen::Health> health = env->health();
  if (!health) return fail("health", health.code());
  std::printf("pages used %" PRIu64 ", last commit %" PRIu64 " pages\n", health->pages_used, health->last_commit_pages);
  return *value == "world" ? 0 : 1;
}
