// fuzz_ops: random operation sequences checked against a std::map model (tests/fuzz).
//
// The input is a program: each byte picks an operation (put, put-no-overwrite, append, delete, get, a DUPSORT
// put or delete, cursor seeks and steps, commit, abort, nested begin/commit/abort, a read transaction beside
// the writer, emptying the DUPSORT database, reopen), the following bytes its arguments. Keys come from a small space
// so that operations collide; values range from empty to a few overflow pages. Every result is compared
// with the model (a stack of std::map for the nested transactions): return codes, values read, cursor
// positions, whole-database walks. At the end the environment is committed, closed, reopened, compared once
// more and checked. A difference aborts (the fuzzer reports it as a crash).
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "check/checker.hpp"
#include "fuzz_util.hpp"

namespace {

using namespace aspen;

using Plain = std::map<std::string, std::string>;
using Dups = std::map<std::string, std::set<std::string>>;
struct State {
  Plain main;
  Dups dups;
};

[[noreturn]] void mismatch(const char* what, int code = 0) {
  std::fprintf(stderr, "fuzz_ops: %s (code %d: %s)\n", what, code, error_message(code));
  std::abort();
}

void expect(bool ok, const char* what, int code = 0) {
  if (!ok) mismatch(what, code);
}

class Program {
 public:
  Program(const uint8_t* data, size_t size) : in_(data, size) {
    dir_ = fuzz::scratch_dir() + "/ops";
    fuzz::remove_tree(dir_);
    std::string mk = dir_;
    ::mkdir(mk.c_str(), 0755);
  }

  void run() {
    open();
    begin();
    for (int ops = 0; !in_.empty() && ops < 600; ++ops) step();
    while (txns_.size() > 1) commit_top();
    if (!txns_.empty()) commit_top();
    env_.reset();
    open();
    compare_committed();
    env_.reset();
    std::string bad = checker_problems();
    expect(bad.empty(), "the checker found problems after the run");
  }

 private:
  // --- environment and transactions --------------------------------------------------------------------
  void open() {
    EnvOptions o;
    o.max_dbs = 4;
    o.flags = kNoSync;  // durability is not what this target checks; syncs would cost most of its time
    Result<Env> env = Env::open(dir_, o);
    expect(env.ok(), "open failed", env.code());
    env_ = std::make_unique<Env>(std::move(*env));
    Result<WriteTxn> txn = env_->begin_write();
    expect(txn.ok(), "begin_write failed", txn.code());
    Result<Dbi> main = txn->open_db(nullptr), dups = txn->open_db("dups", kDupSort | kCreate);
    expect(main.ok() && dups.ok(), "open_db failed", main.ok() ? dups.code() : main.code());
    main_ = *main, dups_ = *dups;
    Status st = txn->commit();
    expect(st.ok(), "commit of the db handles failed", st.code());
  }

  void begin() {
    Result<Txn> txn = txns_.empty() ? env_->begin(nullptr, 0) : env_->begin(&txns_.back(), 0);
    expect(txn.ok(), "begin failed", txn.code());
    txns_.push_back(std::move(*txn));
    states_.push_back(states_.empty() ? committed_ : states_.back());
  }

  void commit_top() {
    Status st = txns_.back().commit();
    expect(st.ok(), "commit failed", st.code());
    State s = std::move(states_.back());
    txns_.pop_back();
    states_.pop_back();
    if (states_.empty()) committed_ = std::move(s);
    else states_.back() = std::move(s);
  }

  void abort_top() {
    txns_.back().abort();
    txns_.pop_back();
    states_.pop_back();
  }

  TxnRef& txn() { return txns_.back(); }
  State& state() { return states_.back(); }

  // --- arguments ---------------------------------------------------------------------------------------
  std::string key() {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%03u", in_.byte() % 160);
    return buf;
  }
  std::string value() {
    const uint8_t b = in_.byte();
    size_t size = b < 200 ? b : (b < 250 ? 200 + (b - 200) * 90 : 5000 + (b - 250) * 2500);
    std::string v(size, '\0');
    const uint8_t seed = in_.byte();
    for (size_t i = 0; i < size; ++i) v[i] = static_cast<char>('a' + (seed + i * 7) % 26);
    return v;
  }
  std::string dup_value() {
    char buf[16];
    std::snprintf(buf, sizeof buf, "v%03u", in_.byte());
    return buf;
  }

  // --- one operation ------------------------------------------------------------------------------------
  void step() {
    const uint8_t op = in_.byte() % 18;
    switch (op) {
      case 0: case 1: case 2: put(0); break;
      case 3: put(kNoOverwrite); break;
      case 4: append(); break;
      case 5: case 6: del(); break;
      case 7: get(); break;
      case 8: case 9: dup_put(); break;
      case 10: dup_del(); break;
      case 11: cursor_ops(); break;
      case 12:
        if (txns_.size() == 1) commit_top(), begin();
        else commit_top();
        break;
      case 13:
        if (txns_.size() == 1) abort_top(), begin();
        else abort_top();
        break;
      case 14:
        if (txns_.size() < 4) begin();
        break;
      case 15: reader_beside(); break;
      case 16:
        if (in_.byte() % 8 == 0) drop();
        else compare_walk();
        break;
      case 17:
        if (in_.byte() % 4 == 0) reopen();
        break;
    }
  }

  void put(unsigned flags) {
    std::string k = key(), v = value();
    Status st = txn().put(main_, k, v, flags);
    const bool exists = state().main.count(k);
    if (flags & kNoOverwrite && exists) return expect(st.code() == code::kKeyExist, "no-overwrite put: not KEYEXIST", st.code());
    expect(st.ok(), "put failed", st.code());
    state().main[k] = v;
  }

  void append() {
    std::string k = key(), v = value();
    Status st = txn().put(main_, k, v, kAppend);
    const bool in_order = state().main.empty() || state().main.rbegin()->first < k;
    if (!in_order) return expect(st.code() == code::kKeyExist, "append out of order: not KEYEXIST", st.code());
    expect(st.ok(), "append failed", st.code());
    state().main[k] = v;
  }

  void del() {
    std::string k = key();
    Status st = txn().del(main_, k);
    if (!state().main.count(k)) return expect(st.code() == code::kNotFound, "delete of a missing key: not NOTFOUND", st.code());
    expect(st.ok(), "delete failed", st.code());
    state().main.erase(k);
  }

  void get() {
    std::string k = key();
    Result<std::string_view> got = txn().get(main_, std::string_view(k));
    auto it = state().main.find(k);
    if (it == state().main.end()) return expect(got.code() == code::kNotFound, "get of a missing key", got.code());
    expect(got.ok() && *got == it->second, "get returned another value", got.code());
  }

  void dup_put() {
    std::string k = key(), v = dup_value();
    Status st = txn().put(dups_, k, v, 0);
    expect(st.ok(), "dup put failed", st.code());
    state().dups[k].insert(v);
  }

  void dup_del() {
    std::string k = key();
    auto& d = state().dups;
    if (in_.byte() % 4 == 0) {
      Status st = txn().del(dups_, k);
      if (!d.count(k)) return expect(st.code() == code::kNotFound, "dup key delete: not NOTFOUND", st.code());
      expect(st.ok(), "dup key delete failed", st.code());
      d.erase(k);
      return;
    }
    std::string v = dup_value();
    Status st = txn().del(dups_, bytes_of(k), bytes_of(v));
    if (!d.count(k) || !d[k].count(v)) {
      if (d.count(k) && d[k].empty()) d.erase(k);
      return expect(st.code() == code::kNotFound, "dup pair delete: not NOTFOUND", st.code());
    }
    expect(st.ok(), "dup pair delete failed", st.code());
    d[k].erase(v);
    if (d[k].empty()) d.erase(k);
  }

  // A seek then a few steps either way, compared with the model's order.
  void cursor_ops() {
    Result<Cursor> c = txn().cursor(main_);
    expect(c.ok(), "cursor failed", c.code());
    std::string k = key();
    const Plain& m = state().main;
    auto it = m.lower_bound(k);
    Result<Entry> e = c->seek(bytes_of(k));
    if (it == m.end()) return expect(e.code() == code::kNotFound, "seek past the end", e.code());
    expect(e.ok() && e->key_string() == it->first && e->value_string() == it->second, "seek", e.code());
    for (int n = in_.byte() % 6; n > 0; --n) {
      const bool forward = in_.byte() % 2;
      Bytes key, val;
      Status st = c->get(forward ? CursorOp::kNext : CursorOp::kPrev, &key, &val);
      if (forward ? std::next(it) == m.end() : it == m.begin()) {
        // Before the first key ("k...") lies the DUPSORT database's record, "dups", in the main database.
        if (forward) expect(st.code() == code::kNotFound, "step past the last key", st.code());
        else expect(st.ok() && string_of(key) == "dups", "step before the first key", st.code());
        return;
      }
      it = forward ? std::next(it) : std::prev(it);
      expect(st.ok() && string_of(key) == it->first && string_of(val) == it->second, "cursor step", st.code());
    }
  }

  void drop() {
    Status st = txn().drop(dups_, false);
    expect(st.ok(), "drop failed", st.code());
    state().dups.clear();
  }

  // A read transaction beside the writer sees exactly the last committed state.
  void reader_beside() {
    Result<ReadTxn> r = env_->begin_read();
    expect(r.ok(), "begin_read failed", r.code());
    compare(*r, committed_, "reader beside the writer");
  }

  void reopen() {
    while (!txns_.empty()) abort_top();
    env_.reset();
    open();
    compare_committed();
    begin();
  }

  void compare_walk() { compare(txn(), state(), "walk inside the transaction"); }

  void compare_committed() {
    Result<ReadTxn> r = env_->begin_read();
    expect(r.ok(), "begin_read failed", r.code());
    compare(*r, committed_, "after reopen");
  }

  void compare(TxnRef& t, const State& s, const char* what) {
    Result<Cursor> c = t.cursor(main_);
    expect(c.ok(), what, c.code());
    Plain seen;
    auto it = c->begin();
    for (; it != c->end(); ++it) {
      std::string k(it->key_string());
      if (k == "dups") continue;  // the named database's record
      seen[k] = std::string(it->value_string());
    }
    expect(it.status().ok() && seen == s.main, what, it.status().code());
    Result<Cursor> d = t.cursor(dups_);
    expect(d.ok(), what, d.code());
    Dups dseen;
    auto dit = d->begin();
    for (; dit != d->end(); ++dit) dseen[std::string(dit->key_string())].insert(std::string(dit->value_string()));
    expect(dit.status().ok() && dseen == s.dups, what, dit.status().code());
  }

  std::string checker_problems() {
    check::CheckOptions o;
    o.max_problems = 10;
    Result<check::CheckReport> r = check::check_environment(dir_, o);
    if (!r.ok()) return "unreadable";
    std::string out;
    for (const auto& p : r->problems) out += check::to_string(p) + "\n";
    if (!out.empty()) std::fprintf(stderr, "%s", out.c_str());
    return out;
  }

  fuzz::Bytes in_;
  std::string dir_;
  std::unique_ptr<Env> env_;
  Dbi main_ = 0, dups_ = 0;
  std::vector<Txn> txns_;     // the write transaction and its nested children
  std::vector<State> states_;  // the model of each
  State committed_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program(data, size).run();
  return 0;
}
