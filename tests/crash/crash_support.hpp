// Shared pieces of the crash suites (tests/crash): command-line options, scratch directories, the model of
// what a database should hold, random workloads that keep the model in step, and the verdict of the checker.
//
// The model is the ground truth every suite compares against: a map from database name to key to the set of
// values (one value for a plain database, the duplicates for a DUPSORT one). Its digest is an
// order-independent 64-bit hash of every (database, key, value), cheap to send through a pipe.
//
// Thread-safety: none; each suite is single-threaded (kill9 forks, it does not share these objects).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "check/checker.hpp"

namespace aspen::crash {

// Marks a call into the engine. The allocation-failure suite fails allocations only inside one, so that the
// workload's own bookkeeping (the model) never sees a failure the engine did not.
class EngineScope {
 public:
  EngineScope();
  ~EngineScope();
  EngineScope(const EngineScope&) = delete;
  EngineScope& operator=(const EngineScope&) = delete;
  static bool active();
};

// Runs `fn` in a forked child and brings its result back through a pipe (R is trivially copyable). Returns ""
// with `*out` set, or what went wrong: the child died of a signal, or ended without reporting.
template <class R>
std::string run_in_child(const std::function<R()>& fn, R* out) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const R r = fn();
    (void)!::write(fds[1], &r, sizeof r);
    ::_exit(0);
  }
  ::close(fds[1]);
  const bool got = ::read(fds[0], out, sizeof *out) == static_cast<ssize_t>(sizeof *out);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return std::string("the scenario died of signal ") + strsignal(WTERMSIG(status));
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the scenario did not finish";
  return "";
}

// --key value / --flag options. Unknown options are an error the suite reports.
class Options {
 public:
  Options(int argc, char** argv);
  std::string get(const std::string& name, const std::string& fallback) const;
  uint64_t number(const std::string& name, uint64_t fallback) const;
  bool flag(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// A directory removed with its content on destruction (unless keep()). Created under $ASPEN_CRASH_TMP, else
// $TMPDIR, else /tmp. (A tmpfs such as /dev/shm makes the syncs free; the suites do not rely on them.)
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const;  // creates path/name as a directory
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

void remove_tree(const std::string& path);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

// The databases every workload uses: "" (main, plain keys), "dups" (DUPSORT), "ints" (INTEGERKEY).
struct DbSpec {
  const char* name;  // nullptr: the main database
  unsigned flags;
};
const std::vector<DbSpec>& standard_dbs();
std::string db_label(const DbSpec& db);

struct Model {
  std::map<std::string, std::map<std::string, std::set<std::string>>> dbs;
  uint64_t digest() const;
  size_t items() const;
};

// Reads every standard database of the environment into a model (in one read transaction).
Result<Model> read_model(Env& env);
// The first difference between two models, or "" when they are equal.
std::string model_difference(const Model& want, const Model& got);

// What kind of transactions a workload makes.
enum class Shape {
  kMixed,     // a bit of everything
  kGrowth,    // mostly inserts of small and medium values: splits, a deeper tree, the map growing
  kOverflow,  // values of 1-30 KiB: overflow runs allocated, replaced and freed
  kDupSort,   // duplicates: sub-pages becoming sub-trees and back
  kNested,    // nested transactions committed and aborted
  kDeletes,   // fill, then delete most: rebalance, merges, the free list reused
  kScatter,   // fill, then update keys all over the tree: commits of many non-adjacent pages (free-list reuse),
              // i.e. one-flush manifests of many runs whose meta writes span two sectors
};
const char* shape_name(Shape shape);
bool parse_shape(const std::string& name, Shape* shape);

// Makes random transactions of one shape against an environment and keeps a model of the committed state.
// REQUIRES: every database in standard_dbs() exists (create_dbs).
class Workload {
 public:
  Workload(Shape shape, uint64_t seed, bool nested_allowed);
  // Runs one write transaction. On success `*model` holds the state after it. `before_commit`, when set, is
  // called with the state the commit will produce (the intent) right before commit().
  Status run_txn(Env& env, Model* model, const std::function<void(const Model&)>& before_commit = {});
  // Makes the operations of one transaction in `txn` without committing it; `*model` follows them.
  // REQUIRES: bind() first (nested transactions need the environment).
  Status run_ops(TxnRef& txn, Model* model);
  void bind(Env& env) { env_ = &env; }
  uint64_t txns() const { return txns_; }
  // kDeletes fills the databases in its first transactions; this skips straight to deleting.
  void assume_filled() { txns_ = 8; }
  // Every later transaction makes exactly `ops` operations (0: the shape's random count).
  void set_ops(int ops) { ops_ = ops; }

 private:
  Status random_ops(TxnRef& txn, const std::vector<Dbi>& dbis, Model* model, int count, int depth);
  Status one_op(TxnRef& txn, const std::vector<Dbi>& dbis, Model* model, int depth);
  std::string key_for(unsigned db, uint64_t n);
  std::string value_of(size_t size);
  size_t value_size();

  Shape shape_;
  std::mt19937_64 rng_;
  bool nested_allowed_;
  uint64_t txns_ = 0;
  int ops_ = 0;
  Env* env_ = nullptr;  // the environment of the transaction being made (nested ones need it)
};

// Creates the standard databases (one commit).
Status create_dbs(Env& env);
// Opens the standard databases in `txn`.
Result<std::vector<Dbi>> open_dbs(TxnRef& txn);

// The checker's verdict on the snapshot of meta page `meta` (-1: the newest), ignoring a complaint about the
// other meta page when `other_meta_may_be_torn` (after a crash the meta being written may be torn; the
// engine then falls back, as the checker's choice of meta proves). Returns "" when clean, else the problems.
std::string check_verdict(const std::string& dir, int meta, bool other_meta_may_be_torn);

// "default", "nometasync", "nosync", "writemap", "writemap+nometasync", "mapasync" -> env flags.
bool parse_mode(const std::string& name, unsigned* flags);

// Prints to stderr and returns 2 (usage errors) — a convenience for mains.
int usage(const char* text);

}  // namespace aspen::crash
