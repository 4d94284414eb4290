// aspen_make_testdb KIND DIR: writes one of the tool tests' databases with Aspen's C++ API (layer: tests).
//
// make_lmdb_db.py writes the same KINDs with the real liblmdb, record for record, so that the tools can be
// compared with Debian's on files from both writers, and the two files' dumps compared with each other.
// KINDs: plain, named, integer, intmain, overflow, empty, freelist, dupsort. Exit status 2 when the engine does not
// support what a KIND needs (the test then skips it), 1 on any other failure.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"

namespace {

using aspen::Bytes;

std::string key_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key%05d", i);
  return buf;
}

// Value i: i % 50 bytes (i * 7 + j) % 256, binary on purpose.
std::string value_of(int i) {
  std::string v;
  for (int j = 0; j < i % 50; ++j) v += static_cast<char>((i * 7 + j) % 256);
  return v;
}

template <class T>
Bytes raw(const T& v) {
  return Bytes(reinterpret_cast<const std::byte*>(&v), sizeof v);
}

int fail(const char* what, int code) {
  std::fprintf(stderr, "aspen_make_testdb: %s: %s\n", what, aspen::error_message(code));
  return code == aspen::code::kIncompatible || code == EINVAL ? 2 : 1;
}

#define CHECK(expr, what)                                             \
  do {                                                                \
    const auto& check_status_ = (expr);                               \
    if (!check_status_.ok()) return fail(what, check_status_.code()); \
  } while (0)

int put_range(aspen::TxnRef& txn, aspen::Dbi dbi, int from, int to) {
  for (int i = from; i < to; ++i) CHECK(txn.put(dbi, key_of(i), value_of(i)), "put");
  return 0;
}

int make_named(aspen::Env& env) {
  auto txn = env.begin_write();
  CHECK(txn, "begin");
  CHECK(txn->put(1, "a-plain-key", "not a database"), "put");
  auto one = txn->open_db("one", aspen::kCreate);
  auto two = txn->open_db("two", aspen::kCreate);
  auto three = txn->open_db("three", aspen::kCreate);
  CHECK(one, "open one");
  CHECK(two, "open two");
  CHECK(three, "open three");
  if (int rc = put_range(*txn, *one, 0, 100)) return rc;
  for (int i = 0; i < 49; ++i) CHECK(txn->put(*two, value_of(i + 1), key_of(i)), "put");
  CHECK(txn->commit(), "commit");
  return 0;
}

// An INTEGERKEY main database (which then cannot hold named databases).
int make_intmain(aspen::Env& env) {
  auto txn = env.begin_write();
  CHECK(txn, "begin");
  auto main = txn->open_db(nullptr, aspen::kIntegerKey);
  CHECK(main, "open main integerkey");
  for (uint64_t i = 0; i < 300; ++i) CHECK(txn->put(*main, raw(i * 1000003 % 7919), aspen::bytes_of("v")), "put");
  CHECK(txn->commit(), "commit");
  return 0;
}

int make_integer(aspen::Env& env) {
  auto txn = env.begin_write();
  CHECK(txn, "begin");
  auto ints = txn->open_db("ints", aspen::kCreate | aspen::kIntegerKey);
  auto rev = txn->open_db("rev", aspen::kCreate | aspen::kReverseKey);
  CHECK(ints, "open ints");
  CHECK(rev, "open rev");
  for (uint32_t i = 0; i < 400; ++i)
    CHECK(txn->put(*ints, raw(i * 3), aspen::bytes_of("v" + std::to_string(i))), "put");
  for (int i = 0; i < 200; ++i) CHECK(txn->put(*rev, std::to_string(i) + "-r", "x"), "put");
  CHECK(txn->commit(), "commit");
  return 0;
}

int make_overflow(aspen::Env& env) {
  auto txn = env.begin_write();
  CHECK(txn, "begin");
  for (int i = 0; i < 20; ++i) {
    std::string v(3000 + i * 1000, static_cast<char>('a' + i));
    CHECK(txn->put(1, key_of(i), v), "put");
  }
  CHECK(txn->commit(), "commit");
  return 0;
}

// Several transactions, so that FREE_DBI holds records with runs of pages, reused and written-back ones.
int make_freelist(aspen::Env& env) {
  const std::string value(100, 'f');
  for (int step = 0; step < 4; ++step) {
    auto txn = env.begin_write();
    CHECK(txn, "begin");
    if (step == 0) {
      for (int i = 0; i < 2000; ++i) CHECK(txn->put(1, key_of(i), value), "put");
    } else if (step == 1) {
      for (int i = 0; i < 1000; ++i) CHECK(txn->del(1, key_of(i)), "del");
    } else {
      CHECK(txn->put(1, key_of(5000 + step), "x"), "put");
    }
    CHECK(txn->commit(), "commit");
  }
  return 0;
}

int make_dupsort(aspen::Env& env) {
  auto txn = env.begin_write();
  CHECK(txn, "begin");
  auto dups = txn->open_db("dups", aspen::kCreate | aspen::kDupSort);
  auto fixed = txn->open_db("fixed", aspen::kCreate | aspen::kDupSort | aspen::kDupFixed | aspen::kIntegerDup);
  CHECK(dups, "open dups");
  CHECK(fixed, "open fixed");
  for (int k = 0; k < 30; ++k) {
    char key[8], dup[16];
    std::snprintf(key, sizeof key, "k%02d", k);
    for (int j = 0; j < k * 13 % 300; ++j) {
      std::snprintf(dup, sizeof dup, "dup%05d", j);
      CHECK(txn->put(*dups, key, dup), "put dup");
    }
    for (uint32_t j = 0; j < static_cast<uint32_t>(k * 40); ++j)
      CHECK(txn->put(*fixed, raw(uint32_t(k)), raw(j * 3)), "put fixed");
  }
  CHECK(txn->commit(), "commit");
  return 0;
}

int make(const std::string& kind, aspen::Env& env) {
  if (kind == "empty") return 0;
  if (kind == "plain") {
    auto txn = env.begin_write();
    CHECK(txn, "begin");
    if (int rc = put_range(*txn, 1, 0, 500)) return rc;
    CHECK(txn->commit(), "commit");
    return 0;
  }
  if (kind == "named") return make_named(env);
  if (kind == "integer") return make_integer(env);
  if (kind == "intmain") return make_intmain(env);
  if (kind == "overflow") return make_overflow(env);
  if (kind == "freelist") return make_freelist(env);
  if (kind == "dupsort") return make_dupsort(env);
  std::fprintf(stderr, "aspen_make_testdb: unknown kind %s\n", kind.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: aspen_make_testdb KIND DIR\n");
    return 1;
  }
  auto env = aspen::Env::open(argv[2], {.map_size = 10 << 20, .max_dbs = 8});
  if (!env.ok()) return fail("open", env.code());
  return make(argv[1], *env);
}
