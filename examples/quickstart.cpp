// quickstart: a tour of Aspen's C++ API (include/aspen/aspen.hpp).
//
// Opens (creating) an environment in the directory given on the command line, writes a few records in one
// write transaction, reads them back in a read transaction, walks the database with a range-for cursor and
// a range (seek), and stores and lists duplicates in a DUPSORT database with values_of().
//
//   usage: aspen_example_quickstart [ENV_DIR]      (default: ./quickstart-env)
//
// The directory is removed first and again at the end, so the program can run any number of times (it is
// also the ctest `example_quickstart`). Exit status 0 when every step gave the expected answer.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "aspen/aspen.hpp"

namespace {

// Prints what failed and why; returns false so callers can `return fail(...)`.
bool fail(const char* what, int code) {
  std::fprintf(stderr, "quickstart: %s: %s\n", what, aspen::error_message(code));
  return false;
}

bool expect(bool condition, const char* what) {
  if (!condition) std::fprintf(stderr, "quickstart: unexpected result: %s\n", what);
  return condition;
}

// 1. One write transaction: plain records in the named database "colors", duplicates in the named DUPSORT
// database "tags". (Named databases are keys of the main database, so data kept in the main database would
// share its key space with "colors" and "tags": keep it in named databases once you use them.)
bool write_records(aspen::Env& env) {
  aspen::Result<aspen::WriteTxn> txn = env.begin_write();
  if (!txn) return fail("begin_write", txn.code());

  // A named database needs EnvOptions::max_dbs > 0; kCreate makes it on first use.
  aspen::Result<aspen::Dbi> colors = txn->open_db("colors", aspen::kCreate);
  if (!colors) return fail("open_db(colors)", colors.code());
  const char* fruit[][2] = {{"apple", "red"}, {"banana", "yellow"}, {"cherry", "dark red"},
                            {"grape", "green"}, {"lemon", "yellow"}};
  for (const auto& [key, value] : fruit) {
    aspen::Status st = txn->put(*colors, key, value);
    if (!st) return fail("put", st.code());
  }
  // kNoOverwrite refuses to replace an existing key: MDB_KEYEXIST, and the transaction stays usable.
  aspen::Status again = txn->put(*colors, "apple", "green", aspen::kNoOverwrite);
  if (!expect(again.code() == aspen::code::kKeyExist, "kNoOverwrite on an existing key gives kKeyExist"))
    return false;

  aspen::Result<aspen::Dbi> tags = txn->open_db("tags", aspen::kDupSort | aspen::kCreate);
  if (!tags) return fail("open_db(tags)", tags.code());
  const char* tagged[][2] = {{"apple", "fruit"}, {"apple", "crunchy"}, {"apple", "autumn"},
                             {"lemon", "sour"},  {"lemon", "fruit"}};
  for (const auto& [key, value] : tagged) {
    aspen::Status st = txn->put(*tags, key, value);
    if (!st) return fail("put(tags)", st.code());
  }

  aspen::Status committed = txn->commit();  // durable when this returns (no kNoSync)
  if (!committed) return fail("commit", committed.code());
  return true;
}

// 2. Point reads. Values point into the map and stay valid until the read transaction ends.
bool read_records(aspen::Env& env) {
  aspen::Result<aspen::ReadTxn> txn = env.begin_read();
  if (!txn) return fail("begin_read", txn.code());
  aspen::Result<aspen::Dbi> colors = txn->open_db("colors");  // exists: no kCreate needed
  if (!colors) return fail("open_db(colors)", colors.code());

  aspen::Result<std::string_view> banana = txn->get(*colors, std::string_view("banana"));
  if (!banana) return fail("get(banana)", banana.code());
  std::printf("banana -> %.*s\n", static_cast<int>(banana->size()), banana->data());
  if (!expect(*banana == "yellow", "banana is yellow")) return false;

  aspen::Result<std::string_view> apple = txn->get(*colors, std::string_view("apple"));
  if (!apple || !expect(*apple == "red", "kNoOverwrite kept apple red")) return false;

  aspen::Result<std::string_view> kiwi = txn->get(*colors, std::string_view("kiwi"));
  if (!expect(kiwi.code() == aspen::code::kNotFound, "a missing key gives kNotFound")) return false;
  return true;  // ~ReadTxn ends the read transaction (a read transaction has nothing to commit)
}

// 3. Cursors: range-for over the whole database, then a range from a key with seek() and kNext.
bool scan_records(aspen::Env& env) {
  aspen::Result<aspen::ReadTxn> txn = env.begin_read();
  if (!txn) return fail("begin_read", txn.code());
  aspen::Result<aspen::Dbi> colors = txn->open_db("colors");
  if (!colors) return fail("open_db(colors)", colors.code());
  aspen::Result<aspen::Cursor> cursor = txn->cursor(*colors);
  if (!cursor) return fail("cursor", cursor.code());

  std::vector<std::string> keys;
  for (const aspen::Entry& e : *cursor) {
    std::printf("  %-8.*s %.*s\n", static_cast<int>(e.key.size()), e.key_string().data(),
                static_cast<int>(e.value.size()), e.value_string().data());
    keys.emplace_back(e.key_string());
  }
  if (!expect(keys.size() == 5 && keys.front() == "apple" && keys.back() == "lemon", "five keys in order"))
    return false;

  // Keys from "c" up to, not including, "l": seek() is MDB_SET_RANGE (first key >= "c").
  std::vector<std::string> range;
  aspen::Result<aspen::Entry> e = cursor->seek(aspen::bytes_of("c"));
  while (e && e->key_string() < "l") {
    range.emplace_back(e->key_string());
    e = cursor->get(aspen::CursorOp::kNext);
  }
  if (!e && e.code() != aspen::code::kNotFound) return fail("cursor range", e.code());
  return expect(range == std::vector<std::string>{"cherry", "grape"}, "range [c, l) is cherry, grape");
}

// 4. Duplicates: values_of(key) walks one key's values in sorted order; count() says how many.
bool list_duplicates(aspen::Env& env) {
  aspen::Result<aspen::ReadTxn> txn = env.begin_read();
  if (!txn) return fail("begin_read", txn.code());
  aspen::Result<aspen::Dbi> tags = txn->open_db("tags");
  if (!tags) return fail("open_db(tags)", tags.code());
  aspen::Result<aspen::Cursor> cursor = txn->cursor(*tags);
  if (!cursor) return fail("cursor(tags)", cursor.code());

  std::vector<std::string> values;
  std::printf("apple is:");
  for (aspen::Bytes value : cursor->values_of(aspen::bytes_of("apple"))) {
    std::printf(" %.*s", static_cast<int>(value.size()), aspen::string_of(value).data());
    values.emplace_back(aspen::string_of(value));
  }
  std::printf("\n");
  aspen::Result<size_t> count = cursor->count();  // the cursor is still on "apple"
  if (!count) return fail("count", count.code());
  return expect(values == std::vector<std::string>{"autumn", "crunchy", "fruit"} && *count == 3,
                "apple's duplicates come back sorted");
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "quickstart-env";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);  // the environment directory must exist before open
  if (ec) {
    std::fprintf(stderr, "quickstart: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }

  bool ok;
  {
    aspen::Result<aspen::Env> env = aspen::Env::open(dir.string(), {.map_size = 16 << 20, .max_dbs = 4});
    ok = env ? true : fail("Env::open", env.code());
    ok = ok && write_records(*env) && read_records(*env) && scan_records(*env) && list_duplicates(*env);
  }  // ~Env closes the environment; every transaction and cursor above has already ended

  std::filesystem::remove_all(dir, ec);
  std::printf("%s\n", ok ? "quickstart: ok" : "quickstart: FAILED");
  return ok ? 0 : 1;
}
