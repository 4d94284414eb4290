// crash_alloc_faults: every allocation point (tests/crash).
//
// This binary replaces the global operator new/delete with versions that can fail: the N-th allocation
// from a chosen moment throws std::bad_alloc (nothrow forms return nullptr), once or from then on. The
// dirty-page buffers, which come from the os::io() allocation seam, fail through a FaultInjector rule instead
// (IoOp::kAlloc). A scenario (open a populated environment; three write transactions with growth, deletes and
// nesting; a full read; close) first runs clean to count its allocations; then, in a forked child per case,
// allocation N fails (every N with --all, else a spread of them). Each step catches std::bad_alloc as the C
// ABI does (ENOMEM). Requirements:
//   - nothing aborts (no std::terminate from an exception crossing a noexcept boundary, no crash);
//   - a write transaction that saw ENOMEM refuses to commit (MDB_BAD_TXN) or commits exactly what it was
//     told before the failure, never a half-applied operation;
//   - the environment stays usable: a clean write transaction commits afterwards;
//   - no leak: after closing, the heap (mallinfo2) is back where a clean run leaves it;
//   - reopened, the database equals the state before or after the failing transaction and passes the checker.
//
// usage: crash_alloc_faults [--all] [--cases N] [--verbose] [--only N [--buffer] [--sticky]]
#include <malloc.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <set>

#include "crash_support.hpp"
#include "os/io_hooks.hpp"

// --- the failing allocator ----------------------------------------------------------------------------------

namespace {
std::atomic<int64_t> g_countdown{0};  // > 0: allocations left before the failing one; 0: disarmed
std::atomic<bool> g_sticky{false};
std::atomic<bool> g_failing{false};   // sticky mode: every allocation fails from now on
std::atomic<uint64_t> g_allocations{0};

bool should_fail() {
  if (!aspen::crash::EngineScope::active()) return false;  // the test's own bookkeeping never fails
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (g_failing.load(std::memory_order_relaxed)) return true;
  int64_t left = g_countdown.load(std::memory_order_relaxed);
  if (left <= 0) return false;
  if (g_countdown.fetch_sub(1, std::memory_order_relaxed) != 1) return false;
  if (g_sticky.load(std::memory_order_relaxed)) g_failing.store(true, std::memory_order_relaxed);
  return true;
}

void* allocate(size_t n, bool nothrow) {
  if (should_fail()) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  void* p = std::malloc(n ? n : 1);
  if (!p && !nothrow) throw std::bad_alloc();
  return p;
}

void* allocate_aligned(size_t n, size_t align, bool nothrow) {
  if (should_fail()) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  void* p = nullptr;
  if (::posix_memalign(&p, std::max(align, sizeof(void*)), n ? n : 1) != 0) p = nullptr;
  if (!p && !nothrow) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(size_t n) { return allocate(n, false); }
void* operator new[](size_t n) { return allocate(n, false); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return allocate(n, true); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return allocate(n, true); }
void* operator new(size_t n, std::align_val_t a) { return allocate_aligned(n, static_cast<size_t>(a), false); }
void* operator new[](size_t n, std::align_val_t a) { return allocate_aligned(n, static_cast<size_t>(a), false); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
// Called when a constructor throws inside a nothrow new-expression.
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, static_cast<size_t>(a), true);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, static_cast<size_t>(a), true);
}

namespace aspen::crash {
namespace {

enum Step { kOpen, kTxnGrow, kTxnDelete, kTxnMixed, kRead, kClose, kSteps };
const char* const kStepNames[] = {"open", "txn-grow", "txn-delete", "txn-mixed", "read", "close"};

struct Outcome {
  int failed_step = -1;
  int code = 0;
  bool committed_after_failure = false;  // the failing transaction's commit went through (must be clean)
  uint64_t partial_digest = 0;           // then: the content of the operations that had succeeded
  bool usable_after = true;
  char note[160] = {};
};

EnvOptions options() {
  EnvOptions o;
  o.max_dbs = 4;
  return o;
}

// Runs one write transaction like Workload::run_txn, but on failure (an error or std::bad_alloc) also tries
// to commit the transaction anyway, as a careless caller would: it must refuse, or commit the model's state.
// A commit after a failure can legitimately succeed: a failed nested child leaves its parent usable (as in
// LMDB), and the parent then commits the operations that had succeeded, which `*partial` receives.
Status faulted_txn(Env& env, Workload& w, Model* model, bool* committed_anyway, uint64_t* partial) {
  Result<WriteTxn> txn = [&] {
    EngineScope scope;
    return env.begin_write();
  }();
  if (!txn.ok()) return txn.error();
  Status st;
  Model next = *model;
  try {
    st = w.run_ops(*txn, &next);
  } catch (const std::bad_alloc&) {
    st = ASPEN_ERROR(ENOMEM);
  }
  EngineScope scope;  // the commits below (run_ops marks its own engine calls)
  if (st.ok()) {
    try {
      st = txn->commit();
    } catch (const std::bad_alloc&) {
      st = ASPEN_ERROR(ENOMEM);
    }
    if (st.ok()) *model = std::move(next);
    return st;
  }
  // The careless caller: commit after a failed operation.
  Status again;
  try {
    again = txn->commit();
  } catch (const std::bad_alloc&) {
    again = ASPEN_ERROR(ENOMEM);
  }
  *committed_anyway = again.ok();
  *partial = next.digest();
  return st;
}

Outcome run_scenario(const std::string& dir, std::vector<uint64_t>* digests) {
  Outcome out;
  std::unique_ptr<Env> env;
  Model model;
  for (int step = 0; step < kSteps; ++step) {
    Status st;
    bool committed_anyway = false;
    uint64_t partial = 0;
    try {
      switch (step) {
        case kOpen: {
          Result<Env> opened = [&] {
            EngineScope scope;
            return Env::open(dir, options());
          }();
          if (!opened.ok()) { st = opened.error(); break; }
          env = std::make_unique<Env>(std::move(*opened));
          Result<Model> m = read_model(*env);
          if (!m.ok()) st = m.error();
          else model = std::move(*m);
          break;
        }
        case kTxnGrow: case kTxnDelete: case kTxnMixed: {
          const Shape shape = step == kTxnGrow ? Shape::kOverflow : step == kTxnDelete ? Shape::kDeletes : Shape::kNested;
          Workload w(shape, 300 + step, true);
          w.set_ops(step == kTxnGrow ? 30 : 20);
          if (shape == Shape::kDeletes) w.assume_filled();
          w.bind(*env);
          st = faulted_txn(*env, w, &model, &committed_anyway, &partial);
          break;
        }
        case kRead: {  // a walk of every database, all of it inside the engine
          EngineScope scope;
          Result<ReadTxn> r = env->begin_read();
          Result<std::vector<Dbi>> dbis = r.ok() ? open_dbs(*r) : Result<std::vector<Dbi>>(r.error());
          if (!dbis.ok()) { st = dbis.error(); break; }
          for (Dbi dbi : *dbis) {
            Result<Cursor> c = r->cursor(dbi);
            if (!c.ok()) { st = c.error(); break; }
            auto it = c->begin();
            while (it != c->end()) ++it;
            if (!it.status().ok()) { st = it.status(); break; }
          }
          break;
        }
        case kClose: {
          EngineScope scope;
          env.reset();
          break;
        }
      }
    } catch (const std::bad_alloc&) {
      st = ASPEN_ERROR(ENOMEM);
    }
    if (!st.ok()) {
      out.failed_step = step;
      out.code = st.code();
      out.committed_after_failure = committed_anyway;
      out.partial_digest = partial;
      return out;
    }
    if (digests) digests->push_back(model.digest());
  }
  return out;
}

struct Report {
  Outcome outcome;
  bool leak = false;
  long leaked_bytes = 0;
  bool usable = true;
  int usable_code = 0;
  uint64_t allocations = 0;
};

size_t heap_in_use() { return mallinfo2().uordblks; }

class AllocSuite {
 public:
  explicit AllocSuite(const std::string& root) : root_(root) {}

  bool prepare() {
    base_ = root_ + "/base";
    ::mkdir(base_.c_str(), 0755);
    {
      Result<Env> env = Env::open(base_, options());
      if (!env.ok() || !create_dbs(*env).ok()) return false;
      Model model;
      Workload w(Shape::kMixed, 9, true);
      for (int i = 0; i < 25; ++i)
        if (!w.run_txn(*env, &model).ok()) return false;
      base_digest_ = model.digest();
    }
    const std::string dir = fresh("ref");
    const uint64_t before = g_allocations.load();
    Outcome o = run_scenario(dir, &digests_);
    scenario_allocations_ = g_allocations.load() - before;
    if (o.failed_step >= 0) return false;
    os::FaultInjector inject;  // count the page-buffer allocations too
    fresh("ref");
    (void)run_scenario(dir, nullptr);
    buffer_allocations_ = inject.count(os::IoOp::kAlloc);
    return true;
  }

  uint64_t scenario_allocations() const { return scenario_allocations_; }
  uint64_t buffer_allocations() const { return buffer_allocations_; }

  // `nth` allocation fails (operator new, or the page-buffer seam when `buffer`); returns "" when sound.
  std::string run_case(uint64_t nth, bool buffer, bool sticky) {
    const std::string dir = fresh("case");
    Report r;
    std::string problem = run_in_child<Report>([&] { return child(dir, nth, buffer, sticky); }, &r);
    if (!problem.empty()) return problem;
    // The verdict comes from another fresh process, so that this one never opens an environment: the next
    // child must start from the same heap and registries as the clean run it is compared with.
    return in_child([&] { return judge(dir, r); });
  }

  // Runs `fn` in a forked child and returns its answer.
  static std::string in_child(const std::function<std::string()>& fn) {
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      const std::string answer = fn();
      (void)!::write(fds[1], answer.data(), answer.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string answer;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return std::string("the verdict's process died of ") + strsignal(WTERMSIG(status));
    return answer;
  }

 private:
  std::string fresh(const std::string& tag) {
    const std::string dir = root_ + "/" + tag;
    remove_tree(dir);
    ::mkdir(dir.c_str(), 0755);
    write_file(dir + "/data.mdb", read_file(base_ + "/data.mdb"));
    return dir;
  }

  Report child(const std::string& dir, uint64_t nth, bool buffer, bool sticky) {
    Report r;
    // Warm up once (lazy one-time allocations), then measure the heap around the faulty run.
    (void)run_scenario(dir, nullptr);
    write_file(dir + "/data.mdb", read_file(base_ + "/data.mdb"));
    const size_t heap_before = heap_in_use();
    {
      std::unique_ptr<os::FaultInjector> inject;
      if (buffer) {
        inject = std::make_unique<os::FaultInjector>();
        if (sticky) inject->fail_from(os::IoOp::kAlloc, nth, ENOMEM);
        else inject->fail_nth(os::IoOp::kAlloc, nth, ENOMEM);
      } else {
        g_sticky = sticky;
        g_countdown = static_cast<int64_t>(nth);
      }
      r.outcome = run_scenario(dir, nullptr);
      g_countdown = 0;
      g_failing = false;
    }
    // The environment must still take a clean transaction.
    {
      Result<Env> env = Env::open(dir, options());
      Status st = env.ok() ? Status() : Status(env.error());
      if (st.ok()) {
        Result<WriteTxn> txn = env->begin_write();
        st = txn.ok() ? txn->commit() : Status(txn.error());
      }
      r.usable = st.ok();
      r.usable_code = st.code();
    }
    const long leaked = static_cast<long>(heap_in_use()) - static_cast<long>(heap_before);
    r.leaked_bytes = leaked;
    r.leak = leaked > 0;
    return r;
  }

  std::string judge(const std::string& dir, const Report& r) {
    const Outcome& o = r.outcome;
    if (o.committed_after_failure) {
      // A commit after a failed operation went through: acceptable only if the data is intact (checked below)
      // and equals the state before the transaction or after it; the digest check catches a half operation.
    }
    if (!r.usable) return std::string("the environment is not usable afterwards: ") + error_message(r.usable_code);
    if (r.leak)
      return "leak: " + std::to_string(r.leaked_bytes) + " bytes still allocated after close (failed in " +
             (o.failed_step < 0 ? "no step" : kStepNames[o.failed_step]) + ")";
    const size_t s = o.failed_step < 0 ? kSteps - 1 : static_cast<size_t>(o.failed_step);
    std::set<uint64_t> allowed = {s == kOpen ? base_digest_ : digests_[s - 1], s == kOpen ? base_digest_ : digests_[s]};
    if (o.committed_after_failure) allowed = {o.partial_digest};
    Result<Env> env = Env::open(dir, options());
    if (!env.ok()) return std::string("reopen failed: ") + error_message(env.code());
    Result<Model> model = read_model(*env);
    if (!model.ok()) return std::string("reading after reopen failed: ") + error_message(model.code());
    // The clean transaction above committed nothing (no writes), so the content is the scenario's.
    if (!allowed.count(model->digest()))
      return std::string("after reopen the content is ") +
             (o.committed_after_failure ? "not what the operations that succeeded made (a commit after ENOMEM in "
                                        : "neither before nor after ") + kStepNames[s] + (o.committed_after_failure ? ")" : "");
    env->close();
    std::string verdict = check_verdict(dir, -1, false);
    if (!verdict.empty()) return "checker: " + verdict;
    return "";
  }

  std::string root_, base_;
  uint64_t base_digest_ = 0, scenario_allocations_ = 0, buffer_allocations_ = 0;
  std::vector<uint64_t> digests_;
};

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  ScratchDir scratch("allocfaults");
  if (opt.flag("keep")) scratch.keep();
  AllocSuite suite(scratch.path());
  if (!suite.prepare()) return usage("crash_alloc_faults: the clean scenario failed");
  const uint64_t total = suite.scenario_allocations(), buffers = suite.buffer_allocations();
  const uint64_t wanted = opt.flag("all") ? total : std::min<uint64_t>(total, opt.number("cases", 400));
  const bool verbose = opt.flag("verbose");
  const auto start = std::chrono::steady_clock::now();
  uint64_t cases = 0, failures = 0;
  auto report = [&](const char* kind, uint64_t nth, bool sticky, const std::string& why) {
    ++cases;
    if (why.empty()) {
      if (verbose) std::printf("ok %s #%llu%s\n", kind, static_cast<unsigned long long>(nth), sticky ? " sticky" : "");
      return;
    }
    ++failures;
    if (failures <= 30)
      std::fprintf(stderr, "alloc_faults: %s allocation %llu%s: %s\n", kind, static_cast<unsigned long long>(nth),
                   sticky ? " (and every later one)" : "", why.c_str());
  };
  if (opt.flag("only")) {  // one case, for a debugger or valgrind: --only N
    const std::string why = suite.run_case(opt.number("only", 1), opt.flag("buffer"), opt.flag("sticky"));
    std::printf("case %llu: %s\n", static_cast<unsigned long long>(opt.number("only", 1)), why.empty() ? "ok" : why.c_str());
    return why.empty() ? 0 : 1;
  }
  // operator new: an even spread over the scenario's allocations (every one with --all), once and sticky.
  for (uint64_t i = 0; i < wanted; ++i) {
    const uint64_t nth = 1 + (wanted == total ? i : i * total / wanted);
    report("operator new", nth, false, suite.run_case(nth, false, false));
    if (i % 8 == 0) report("operator new", nth, true, suite.run_case(nth, false, true));
  }
  // Page buffers: every one, once and sticky.
  for (uint64_t nth = 1; nth <= buffers; ++nth) {
    report("page buffer", nth, false, suite.run_case(nth, true, false));
    report("page buffer", nth, true, suite.run_case(nth, true, true));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("alloc_faults scenario_allocations=%llu page_buffer_allocations=%llu cases=%llu failures=%llu seconds=%.1f\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(buffers),
              static_cast<unsigned long long>(cases), static_cast<unsigned long long>(failures), secs);
  if (failures) scratch.keep();
  return failures == 0 ? 0 : 1;
}
