// fuzz_open: opening and walking an arbitrary data.mdb (tests/fuzz).
//
// The input is the whole data file. It is written to a scratch directory and opened read-only (without a
// lock file); if Aspen accepts it, every database is walked: the main database forwards and backwards, every
// key that could name a database is tried as one (and walked, duplicates included), a few seeks, stat and
// info. Then the checker examines the file. Any outcome is fine except a crash, a hang, or a sanitizer report:
// a malformed file must give MDB_CORRUPTED/MDB_INVALID/MDB_PAGE_NOTFOUND and the like, never SIGSEGV/SIGBUS.
#include <cstdint>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "check/checker.hpp"
#include "fuzz_util.hpp"

namespace {

using namespace aspen;

constexpr int kMaxSteps = 20000;  // per cursor walk: the file may describe long (but finite) trees

void walk(TxnRef& txn, Dbi dbi, std::vector<std::string>* names) {
  Result<Cursor> cursor = txn.cursor(dbi);
  if (!cursor.ok()) return;
  Bytes key, value;
  int steps = 0;
  std::vector<std::string> keys;
  for (Status st = cursor->get(CursorOp::kFirst, &key, &value); st.ok() && steps < kMaxSteps;
       st = cursor->get(CursorOp::kNext, &key, &value), ++steps) {
    if (names && value.size() == 48 && key.size() < 512) names->emplace_back(string_of(key));
    if (keys.size() < 8) keys.emplace_back(string_of(key));
    (void)cursor->count();
  }
  steps = 0;
  for (Status st = cursor->get(CursorOp::kLast, &key, &value); st.ok() && steps < kMaxSteps;
       st = cursor->get(CursorOp::kPrevNoDup, &key, &value), ++steps) {
    Bytes k2, v2;
    (void)cursor->get(CursorOp::kFirstDup, &k2, &v2);
    (void)cursor->get(CursorOp::kLastDup, &k2, &v2);
  }
  for (const std::string& k : keys) {
    (void)cursor->seek(bytes_of(k));
    (void)cursor->find(bytes_of(k));
    (void)txn.get(dbi, bytes_of(k));
  }
  (void)txn.stat(dbi);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = fuzz::scratch_dir();
  fuzz::write_bytes(dir + "/data.mdb", data, size);
  {
    EnvOptions options;
    options.max_dbs = 8;
    options.flags = kReadOnly | kNoLock;
    Result<Env> env = Env::open(dir, options);
    if (env.ok()) {
      (void)env->stat();
      (void)env->info();
      Result<ReadTxn> txn = env->begin_read();
      if (txn.ok()) {
        std::vector<std::string> names;
        if (Result<Dbi> main = txn->open_db(nullptr); main.ok()) walk(*txn, *main, &names);
        if (names.size() > 8) names.resize(8);
        for (const std::string& name : names) {
          Result<Dbi> dbi = txn->open_db(name.c_str(), 0);
          if (dbi.ok()) walk(*txn, *dbi, nullptr);
        }
      }
    }
  }
  check::CheckOptions options;
  options.max_problems = 50;
  (void)check::check_environment(dir, options);
  return 0;
}
