// crash_io_faults: every I/O call site x {fail once, fail always} x {EIO, ENOSPC, short write}, and every
// allocation point of the dirty-page buffers (tests/crash).
//
// A fixed scenario (create a fresh environment; open a populated one; three write transactions that grow the
// file and the map, delete and rebalance, nest; Env::sync; a full read; a compacting and a plain copy; close)
// first runs once with a tracing IoHooks table that notes, for every call through os::io(), its kind and the
// code that made it (a backtrace, first frame outside src/os). Each distinct (kind, caller) is a site. Then,
// for every site, in a forked child, the scenario runs again with a FaultInjector rule on that site's first
// call: fail once, fail from then on, with EIO or ENOSPC, or a short write (once; always: every later write
// at most 1000 bytes); allocation sites fail with ENOMEM. The suite requires:
//   - nothing aborts (the child ends normally) and a failure is reported by the call that hit it (an error
//     for EIO/ENOSPC/ENOMEM; a short write is completed, not reported);
//   - a failed fsync/msync or meta write leaves the environment in MDB_PANIC, not retried (the call count
//     stops); any other failed commit leaves it usable (the next begin_write succeeds);
//   - reopened without faults, the database equals the state before or after the failing transaction and
//     the checker finds no problem.
// --all-calls injects at every call of every site instead of the first (the long variant).
//
// usage: crash_io_faults [--mode default|writemap|nometasync] [--all-calls] [--max-cases N] [--verbose]
#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "crash_support.hpp"
#include "os/io_hooks.hpp"

namespace aspen::crash {
namespace {

using os::IoOp;

// --- sites: where a call comes from ----------------------------------------------------------------------

std::string symbol_of(void* address) {
  Dl_info info;
  if (!::dladdr(address, &info) || !info.dli_sname) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%p", address);
    return buf;
  }
  int status = 0;
  char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : info.dli_sname;
  std::free(demangled);
  if (auto paren = name.find('('); paren != std::string::npos) name.resize(paren);
  return name;
}

// "op <- caller <- caller's caller": the first two frames outside src/os and this file's hooks.
std::string current_site(IoOp op) {
  void* frames[24];
  const int n = ::backtrace(frames, 24);
  std::string site = os::io_op_name(op);
  int kept = 0;
  for (int i = 1; i < n && kept < 2; ++i) {
    std::string name = symbol_of(frames[i]);
    if (name.rfind("aspen::os::", 0) == 0 || name.find("aspen::crash::") != std::string::npos || name[0] == '0')
      continue;
    site += (kept ? " <- " : " @ ") + name;
    ++kept;
  }
  return site;
}

// Calls in order, by kind: the tracing table of the reference run.
struct SiteLog {
  std::map<IoOp, std::vector<std::string>> calls;  // op -> site of its 1st, 2nd, ... call
};
SiteLog* g_log = nullptr;

#define TRACED(op, call)                                                             \
  do {                                                                               \
    if (g_log) g_log->calls[op].push_back(current_site(op));                         \
    return call;                                                                     \
  } while (0)

const os::IoHooks& real() { return os::real_io_hooks(); }
ssize_t t_pwrite(int fd, const void* b, size_t n, off_t o) { TRACED(IoOp::kPwrite, real().pwrite(fd, b, n, o)); }
ssize_t t_pwritev(int fd, const iovec* v, int c, off_t o) { TRACED(IoOp::kPwritev, real().pwritev(fd, v, c, o)); }
ssize_t t_pread(int fd, void* b, size_t n, off_t o) { TRACED(IoOp::kPread, real().pread(fd, b, n, o)); }
int t_fdatasync(int fd) { TRACED(IoOp::kFdatasync, real().fdatasync(fd)); }
int t_fsync(int fd) { TRACED(IoOp::kFsync, real().fsync(fd)); }
int t_msync(void* a, size_t l, int f) { TRACED(IoOp::kMsync, real().msync(a, l, f)); }
int t_ftruncate(int fd, off_t l) { TRACED(IoOp::kFtruncate, real().ftruncate(fd, l)); }
int t_fallocate(int fd, off_t o, off_t l) { TRACED(IoOp::kFallocate, real().fallocate(fd, o, l)); }
void* t_mmap(void* a, size_t l, int p, int f, int fd, off_t o) { TRACED(IoOp::kMmap, real().mmap(a, l, p, f, fd, o)); }
int t_open(const char* p, int f, mode_t m) { TRACED(IoOp::kOpen, real().open(p, f, m)); }
void* t_mremap(void* a, size_t o, size_t n, int f) { TRACED(IoOp::kMremap, real().mremap(a, o, n, f)); }
void* t_alloc(size_t a, size_t s) { TRACED(IoOp::kAlloc, real().aligned_alloc(a, s)); }

const os::IoHooks kTracing = {t_pwrite, t_pwritev,   t_pread,     t_fdatasync, t_fsync, t_msync,
                              t_ftruncate, t_fallocate, t_mmap, t_open,   t_mremap, t_alloc};

// --- the scenario -------------------------------------------------------------------------------------

enum Step { kCreate, kOpen, kTxnGrow, kTxnDelete, kTxnMixed, kSync, kRead, kCopyCompact, kCopyPlain, kClose, kSteps };
const char* const kStepNames[] = {"create", "open", "txn-grow", "txn-delete", "txn-mixed", "sync", "read",
                                  "copy-compact", "copy", "close"};

bool is_commit_step(int s) { return s == kTxnGrow || s == kTxnDelete || s == kTxnMixed || s == kSync; }

struct Paths {
  std::string env, fresh, copies;
};

struct Outcome {
  int failed_step = -1;  // first step that returned an error
  int code = 0;
  int after_code = 0;    // begin_write right after a failed commit step
  bool panic_expected_ok = true;
  char note[160] = {};
};

// Runs the scenario; stops at the first failing step. `digests` (reference run) gets the digest after each
// step. `on_failure` runs with the open environment right after a failing step (the checks of a fault run).
Outcome run_scenario(const Paths& paths, unsigned flags, std::vector<uint64_t>* digests,
                     const std::function<void(Env*, int, Outcome*)>& on_failure = {}) {
  Outcome out;
  EnvOptions options;
  options.max_dbs = 4;
  options.flags = flags;
  Model model;
  std::unique_ptr<Env> env;
  auto fail = [&](int step, const Status& st) {
    out.failed_step = step;
    out.code = st.code();
    if (on_failure) on_failure(env.get(), step, &out);
    return out;
  };
  for (int step = 0; step < kSteps; ++step) {
    Status st;
    switch (step) {
      case kCreate: {
        Result<Env> fresh = Env::open(paths.fresh, options);
        st = fresh.ok() ? create_dbs(*fresh) : Status(fresh.error());
        break;
      }
      case kOpen: {
        Result<Env> opened = Env::open(paths.env, options);
        if (!opened.ok()) return fail(step, opened.error());
        env = std::make_unique<Env>(std::move(*opened));
        Result<Model> m = read_model(*env);
        if (!m.ok()) return fail(step, m.error());
        model = std::move(*m);
        break;
      }
      case kTxnGrow: case kTxnDelete: case kTxnMixed: {
        // Overflow values past the end of the map (it grows), then deletes (rebalance), then nesting.
        const Shape shape = step == kTxnGrow ? Shape::kOverflow : step == kTxnDelete ? Shape::kDeletes : Shape::kMixed;
        Workload w(shape, 100 + step, shape == Shape::kMixed && !(flags & kWriteMap));
        if (shape == Shape::kOverflow) w.set_ops(40);
        if (shape == Shape::kDeletes) w.assume_filled();
        st = w.run_txn(*env, &model);
        break;
      }
      case kSync: st = env->sync(true); break;
      case kRead: {
        Result<Model> m = read_model(*env);
        if (!m.ok()) st = m.error();
        else if (m->digest() != model.digest()) st = ASPEN_ERROR(code::kCorrupted);
        break;
      }
      case kCopyCompact: case kCopyPlain: {
        const std::string to = paths.copies + (step == kCopyCompact ? "/compact" : "/plain");
        remove_tree(to);
        ::mkdir(to.c_str(), 0755);
        st = env->copy(to.c_str(), step == kCopyCompact ? kCopyCompact : 0);
        break;
      }
      case kClose: env.reset(); break;
    }
    if (!st.ok()) return fail(step, st);
    if (digests) digests->push_back(model.digest());
  }
  return out;
}

// --- fault cases ----------------------------------------------------------------------------------------

enum class Fault { kEio, kEnospc, kShort, kEnomem };
const char* fault_name(Fault f) {
  switch (f) {
    case Fault::kEio: return "EIO";
    case Fault::kEnospc: return "ENOSPC";
    case Fault::kShort: return "short";
    case Fault::kEnomem: return "ENOMEM";
  }
  return "?";
}

struct Case {
  IoOp op;
  uint64_t nth;
  std::string site;
  Fault fault;
  bool always;
};

bool is_sync_op(IoOp op) { return op == IoOp::kFdatasync || op == IoOp::kFsync || op == IoOp::kMsync; }
bool is_write_op(IoOp op) { return op == IoOp::kPwrite || op == IoOp::kPwritev; }

struct Report {
  Outcome outcome;
  bool hit = false;          // the injected call happened
  uint64_t calls_after = 0;  // calls of the op after the failure returned (sync: must be none)
};

class FaultSuite {
 public:
  FaultSuite(const std::string& root, unsigned flags) : root_(root), flags_(flags) {}

  // Builds the populated base environment and records the reference run.
  bool prepare(SiteLog* log) {
    base_ = root_ + "/base";
    ::mkdir(base_.c_str(), 0755);
    {
      EnvOptions options;
      options.max_dbs = 4;
      options.flags = flags_;
      Result<Env> env = Env::open(base_, options);
      if (!env.ok() || !create_dbs(*env).ok()) return false;
      // About 0.9 MiB: the next transaction's overflow values take the file past the 1 MiB initial map.
      Model model;
      Workload w(Shape::kMixed, 7, false);
      for (;;) {
        Result<EnvInfo> info = env->info();
        if (!info.ok()) return false;
        if ((info->last_page + 1) * 4096 > 900 * 1024) break;
        if (!w.run_txn(*env, &model).ok()) return false;
      }
      base_digest_ = model.digest();
    }
    Paths p = fresh_paths("ref");
    g_log = log;
    os::set_io_hooks(&kTracing);
    Outcome o = run_scenario(p, flags_, &digests_);
    os::reset_io_hooks();
    g_log = nullptr;
    if (o.failed_step >= 0) {
      std::fprintf(stderr, "io_faults: the reference run failed at %s: %s\n", kStepNames[o.failed_step], error_message(o.code));
      return false;
    }
    return true;
  }

  // Runs one case in a child; returns "" when every requirement holds.
  std::string run_case(const Case& c) {
    Paths p = fresh_paths("case");
    Report r;
    std::string problem = run_in_child<Report>([&] { return child(c, p); }, &r);
    if (!problem.empty()) return problem;
    return judge(c, p, r);
  }

 private:
  Paths fresh_paths(const std::string& tag) {
    Paths p{root_ + "/" + tag + "-env", root_ + "/" + tag + "-fresh", root_ + "/" + tag + "-copies"};
    for (const std::string& d : {p.env, p.fresh, p.copies}) remove_tree(d);
    for (const std::string& d : {p.env, p.fresh, p.copies}) ::mkdir(d.c_str(), 0755);
    write_file(p.env + "/data.mdb", read_file(base_ + "/data.mdb"));
    return p;
  }

  Report child(const Case& c, const Paths& p) {
    Report r;
    os::FaultInjector inject;
    const int error = c.fault == Fault::kEio ? EIO : c.fault == Fault::kEnospc ? ENOSPC : ENOMEM;
    if (c.fault == Fault::kShort) {
      if (c.always) inject.short_from(c.op, c.nth, 1000);
      else inject.short_nth(c.op, c.nth, 100);
    } else if (c.always) {
      inject.fail_from(c.op, c.nth, error);
    } else {
      inject.fail_nth(c.op, c.nth, error);
    }
    uint64_t count_at_failure = 0;
    r.outcome = run_scenario(p, flags_, nullptr, [&](Env* env, int step, Outcome* out) {
      count_at_failure = inject.count(c.op);
      if (!env || !is_commit_step(step)) return;
      Result<WriteTxn> next = env->begin_write();
      out->after_code = next.code();
    });
    r.hit = inject.count(c.op) >= c.nth;
    r.calls_after = count_at_failure ? inject.count(c.op) - count_at_failure : 0;
    return r;
  }

  std::string judge(const Case& c, const Paths& p, const Report& r) {
    const Outcome& o = r.outcome;
    const bool hard = c.fault != Fault::kShort;
    if (r.hit && hard && o.failed_step < 0) return "the fault was swallowed: every step succeeded";
    if (!r.hit && o.failed_step >= 0) return std::string("a step failed without a fault: ") + error_message(o.code);
    if (o.failed_step >= 0 && hard) {
      if (o.code == EIO && c.fault == Fault::kEnospc) return "ENOSPC came back as EIO";
      const bool panics = is_commit_step(o.failed_step) &&
                          (is_sync_op(c.op) || (is_write_op(c.op) && c.site.find("write_meta") != std::string::npos));
      if (is_commit_step(o.failed_step) && panics && o.after_code != code::kPanic)
        return std::string("after a failed sync or meta write the environment is not in MDB_PANIC (begin_write: ") +
               error_message(o.after_code) + ")";
      if (is_commit_step(o.failed_step) && !panics && o.after_code != 0 && !c.always)
        return std::string("after a failed commit the environment is not usable: ") + error_message(o.after_code);
      if (panics && is_sync_op(c.op) && r.calls_after > 0) return "a failed sync was retried";
    }
    return verify_reopen(p, o);
  }

  std::string verify_reopen(const Paths& p, const Outcome& o) {
    // Allowed contents: before or after the failing step's transaction (the base before any transaction).
    const size_t s = o.failed_step < 0 ? kSteps - 1 : static_cast<size_t>(o.failed_step);
    const std::set<uint64_t> allowed = {s <= kOpen ? base_digest_ : digests_[s - 1], s <= kOpen ? base_digest_ : digests_[s]};
    EnvOptions options;
    options.max_dbs = 4;
    options.flags = flags_;
    {
      Result<Env> env = Env::open(p.env, options);
      if (!env.ok()) return std::string("reopen failed: ") + error_message(env.code());
      Result<Model> model = read_model(*env);
      if (!model.ok()) return std::string("reading after reopen failed: ") + error_message(model.code());
      if (!allowed.count(model->digest())) return "after reopen the content is neither the state before nor after the failing step";
    }
    std::string verdict = check_verdict(p.env, -1, true);
    if (!verdict.empty()) return "checker: " + verdict;
    // The freshly created environment, if its creation failed, must fail to open cleanly or be sound.
    Result<Env> fresh = Env::open(p.fresh, options);
    if (fresh.ok()) {
      fresh->close();
      std::string v = check_verdict(p.fresh, -1, true);
      if (!v.empty()) return "fresh environment: checker: " + v;
    }
    return "";
  }

  std::string root_, base_;
  unsigned flags_;
  uint64_t base_digest_ = 0;
  std::vector<uint64_t> digests_;
};

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  unsigned flags = 0;
  const std::string mode = opt.get("mode", "default");
  if (!parse_mode(mode, &flags) || (flags & (aspen::kNoSync | aspen::kMapAsync)))
    return usage("crash_io_faults: --mode default|nometasync|writemap|writemap+nometasync");
  const bool all_calls = opt.flag("all-calls"), verbose = opt.flag("verbose");
  const uint64_t max_cases = opt.number("max-cases", ~0ull);
  ScratchDir scratch("iofaults");
  if (opt.flag("keep")) scratch.keep();
  FaultSuite suite(scratch.path(), flags);
  SiteLog log;
  if (!suite.prepare(&log)) return 1;
  // Sites: distinct (op, caller). A case per site (its first call) or per call with --all-calls.
  std::vector<Case> cases;
  std::map<std::string, uint64_t> site_calls;
  for (const auto& [op, sites] : log.calls) {
    std::set<std::string> seen;
    for (uint64_t i = 0; i < sites.size(); ++i) {
      ++site_calls[sites[i]];
      if (!all_calls && !seen.insert(sites[i]).second) continue;
      std::vector<Fault> faults;
      if (op == aspen::os::IoOp::kAlloc) faults = {Fault::kEnomem};
      else if (is_write_op(op) || op == aspen::os::IoOp::kPread) faults = {Fault::kEio, Fault::kEnospc, Fault::kShort};
      else faults = {Fault::kEio, Fault::kEnospc};
      for (Fault f : faults)
        for (bool always : {false, true}) cases.push_back({op, i + 1, sites[i], f, always});
    }
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t run = 0, failures = 0;
  std::set<std::string> sites_hit;
  for (const Case& c : cases) {
    if (run >= max_cases) break;
    ++run;
    std::string why = suite.run_case(c);
    sites_hit.insert(c.site);
    if (!why.empty()) {
      ++failures;
      std::fprintf(stderr, "io_faults %s: %s call %llu [%s] %s %s: %s\n", mode.c_str(), aspen::os::io_op_name(c.op),
                   static_cast<unsigned long long>(c.nth), c.site.c_str(), fault_name(c.fault), c.always ? "always" : "once",
                   why.c_str());
    } else if (verbose) {
      std::printf("ok %s #%llu %s %s [%s]\n", aspen::os::io_op_name(c.op), static_cast<unsigned long long>(c.nth),
                  fault_name(c.fault), c.always ? "always" : "once", c.site.c_str());
    }
  }
  std::printf("sites (calls in the reference run):\n");
  for (const auto& [site, calls] : site_calls) std::printf("  %5llu  %s\n", static_cast<unsigned long long>(calls), site.c_str());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("io_faults mode=%s sites=%zu sites_hit=%zu cases=%llu failures=%llu seconds=%.1f\n", mode.c_str(),
              site_calls.size(), sites_hit.size(), static_cast<unsigned long long>(run),
              static_cast<unsigned long long>(failures), secs);
  if (failures) scratch.keep();
  return failures == 0 ? 0 : 1;
}
