// crash_kill9: the kill -9 loop (tests/crash).
//
// Each cycle forks a writer that opens the environment, rebuilds its model from the database, says READY,
// then commits random transactions forever. Before each commit it sends the INTENT (the txnid and digest the
// commit will produce), after it the ACK (the txnid and digest now durable as the mode promises; in the
// nosync+sync mode only after Env::sync). The parent kills it with SIGKILL at a random moment, reopens the
// environment and requires:
//   - the database holds exactly the last acknowledged commit, or exactly the commit that was in flight;
//   - the checker finds nothing wrong with the newest snapshot.
// A few cycles kill the writer before it is READY (in the middle of opening), where the previous verified
// state must remain.
//
// The oneflush mode is the default flags with the one-flush commit (docs/COMMIT.md §7): the killed writer may
// leave a meta whose txnid nobody published, which the reopen checks against its manifest; the pages are in the
// page cache, so the check must pass and the commit stay.
//
// usage: crash_kill9 [--mode default|nometasync|nosync+sync|writemap|oneflush] [--cycles N] [--seed S]
//                    [--max-delay-us U] [--shape mixed|...] [--keep]
// Exit status 0 when every cycle verified; the last line is a summary for docs/RELIABILITY.md.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "crash_support.hpp"

namespace aspen::crash {
namespace {

enum MsgType : uint32_t { kReady = 1, kIntent = 2, kAck = 3, kError = 4 };

struct Msg {
  uint32_t type;
  int32_t code;
  uint64_t txnid;
  uint64_t digest;
};
static_assert(sizeof(Msg) <= PIPE_BUF, "pipe writes of one message are atomic");

struct Mode {
  std::string name;
  unsigned flags = 0;
  bool sync_after_commit = false;  // nosync+sync: Env::sync(true) after each commit, then the ACK
  bool single_flush = false;       // oneflush: EnvOptions::single_flush_commit
};

bool parse_kill_mode(const std::string& name, Mode* mode) {
  mode->name = name;
  if (name == "nosync+sync") {
    mode->flags = kNoSync;
    mode->sync_after_commit = true;
    return true;
  }
  if (name == "oneflush") {
    mode->single_flush = true;
    return true;
  }
  return parse_mode(name, &mode->flags);
}

EnvOptions env_options(const Mode& mode) {
  EnvOptions o;
  o.max_dbs = 4;
  o.flags = mode.flags;
  o.single_flush_commit = mode.single_flush;
  return o;
}

void send(int fd, MsgType type, uint64_t txnid, uint64_t digest, int code = 0) {
  Msg m{type, code, txnid, digest};
  if (::write(fd, &m, sizeof m) != static_cast<ssize_t>(sizeof m)) ::_exit(5);
}

// The child: commits until killed. Never returns.
[[noreturn]] void run_writer(const std::string& dir, const Mode& mode, Shape shape, uint64_t seed, int fd) {
  Result<Env> env = Env::open(dir, env_options(mode));
  if (!env.ok()) send(fd, kError, 0, 0, env.code()), ::_exit(3);
  Result<Model> model = read_model(*env);
  Result<EnvInfo> info = env->info();
  if (!model.ok() || !info.ok()) send(fd, kError, 0, 0, model.ok() ? info.code() : model.code()), ::_exit(3);
  uint64_t txnid = info->last_txnid;
  send(fd, kReady, txnid, model->digest());
  Workload workload(shape, seed, !(mode.flags & kWriteMap));
  for (;;) {
    Status st = workload.run_txn(*env, &*model, [&](const Model& next) { send(fd, kIntent, txnid + 1, next.digest()); });
    if (st.ok() && mode.sync_after_commit) st = env->sync(true);
    if (st.ok()) {
      info = env->info();
      if (!info.ok()) st = info.error();
    }
    if (!st.ok()) send(fd, kError, txnid, 0, st.code()), ::_exit(4);
    txnid = info->last_txnid;
    send(fd, kAck, txnid, model->digest());
  }
}

struct Totals {
  uint64_t cycles = 0, acked = 0, in_flight_survived = 0, early_kills = 0, failures = 0;
};

class KillLoop {
 public:
  KillLoop(const std::string& dir, Mode mode, Shape shape, uint64_t seed, uint64_t max_delay_us)
      : dir_(dir), mode_(std::move(mode)), shape_(shape), rng_(seed), max_delay_us_(max_delay_us) {}

  // Creates the environment and records its first verified state.
  bool setup() {
    Result<Env> env = Env::open(dir_, env_options(mode_));
    if (!env.ok() || !create_dbs(*env).ok()) return false;
    Result<Model> model = read_model(*env);
    Result<EnvInfo> info = env->info();
    if (!model.ok() || !info.ok()) return false;
    verified_txnid_ = info->last_txnid;
    verified_digest_ = model->digest();
    return true;
  }

  bool cycle(uint64_t n) {
    int fds[2];
    if (::pipe(fds) != 0) return fail(n, "pipe failed");
    const uint64_t child_seed = rng_();
    const pid_t pid = ::fork();
    if (pid < 0) return fail(n, "fork failed");
    if (pid == 0) {
      ::close(fds[0]);
      run_writer(dir_, mode_, shape_, child_seed, fds[1]);
    }
    ::close(fds[1]);
    const bool early = rng_() % 20 == 0;  // kill while it opens, before READY
    std::vector<Msg> msgs;
    // Most kills come within --max-delay-us of READY; one in five waits up to five times longer, so that
    // the writer also gets far into its run of commits now and then.
    const uint64_t delay = rng_() % 5 == 0 ? rng_() % (5 * max_delay_us_) : rng_() % max_delay_us_;
    std::string problem = early ? run_until(fds[0], rng_() % 3000, &msgs, false) : run_until(fds[0], delay, &msgs, true);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    drain(fds[0], &msgs);
    ::close(fds[0]);
    if (!problem.empty()) return fail(n, problem);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) return fail(n, "the writer ended by itself: " + describe(msgs));
    totals_.early_kills += early;
    return verify(n, msgs);
  }

  const Totals& totals() const { return totals_; }

 private:
  // Reads messages until READY (when `wait_ready`) and then for `delay_us` more.
  std::string run_until(int fd, uint64_t delay_us, std::vector<Msg>* msgs, bool wait_ready) {
    using Clock = std::chrono::steady_clock;
    if (wait_ready) {
      const auto limit = Clock::now() + std::chrono::seconds(20);
      while (msgs->empty() || msgs->front().type != kReady) {
        if (Clock::now() > limit) return "no READY from the writer within 20 s";
        Got got = read_one(fd, msgs, 100000);
        if (got == Got::kEnd) return "the writer closed its pipe before READY: " + describe(*msgs);
        if (got == Got::kMessage && msgs->back().type == kError) return "the writer failed: " + describe(*msgs);
      }
    }
    const auto end = Clock::now() + std::chrono::microseconds(delay_us);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(end - Clock::now()).count();
      if (left <= 0) return "";
      Got got = read_one(fd, msgs, left);
      if (got == Got::kEnd) return "";
      if (got == Got::kMessage && msgs->back().type == kError) return "the writer failed: " + describe(*msgs);
    }
  }

  enum class Got { kMessage, kTimeout, kEnd };

  // Waits up to `timeout_us` for one message.
  static Got read_one(int fd, std::vector<Msg>* msgs, int64_t timeout_us) {
    struct pollfd p{fd, POLLIN, 0};
    struct timespec ts{static_cast<time_t>(timeout_us / 1000000), static_cast<long>(timeout_us % 1000000) * 1000};
    int ready = ::ppoll(&p, 1, &ts, nullptr);
    if (ready == 0 || (ready < 0 && errno == EINTR)) return Got::kTimeout;
    Msg m;
    if (ready < 0 || ::read(fd, &m, sizeof m) != static_cast<ssize_t>(sizeof m)) return Got::kEnd;
    msgs->push_back(m);
    return Got::kMessage;
  }

  static void drain(int fd, std::vector<Msg>* msgs) {
    Msg m;
    while (::read(fd, &m, sizeof m) == static_cast<ssize_t>(sizeof m)) msgs->push_back(m);
  }

  static std::string describe(const std::vector<Msg>& msgs) {
    std::string s = std::to_string(msgs.size()) + " messages";
    if (!msgs.empty()) {
      const Msg& m = msgs.back();
      s += ", last type " + std::to_string(m.type) + " txnid " + std::to_string(m.txnid);
      if (m.type == kError) s += std::string(" error ") + error_message(m.code);
    }
    return s;
  }

  // The recovered state must be the last acknowledged one or the one in flight; then the checker runs.
  bool verify(uint64_t n, const std::vector<Msg>& msgs) {
    uint64_t ack_txnid = verified_txnid_, ack_digest = verified_digest_;
    Msg intent{};
    bool in_flight = false;
    for (const Msg& m : msgs) {
      if (m.type == kReady && (m.txnid != verified_txnid_ || m.digest != verified_digest_))
        return fail(n, "the writer started from a state other than the verified one");
      if (m.type == kAck) {
        ack_txnid = m.txnid, ack_digest = m.digest, in_flight = false;
        ++totals_.acked;
      }
      if (m.type == kIntent) intent = m, in_flight = true;
    }
    uint64_t txnid = 0, digest = 0;
    {
      Result<Env> env = Env::open(dir_, env_options(mode_));
      if (!env.ok()) return fail(n, std::string("reopen failed: ") + error_message(env.code()));
      Result<Model> model = read_model(*env);
      Result<EnvInfo> info = env->info();
      if (!model.ok()) return fail(n, std::string("reading the database failed: ") + error_message(model.code()));
      if (!info.ok()) return fail(n, "env info failed");
      txnid = info->last_txnid;
      digest = model->digest();
    }
    const bool is_ack = txnid == ack_txnid && digest == ack_digest;
    const bool is_intent = in_flight && txnid == intent.txnid && digest == intent.digest;
    if (!is_ack && !is_intent) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "recovered txnid %llu digest %016llx; acknowledged %llu/%016llx; in flight %s",
                    static_cast<unsigned long long>(txnid), static_cast<unsigned long long>(digest),
                    static_cast<unsigned long long>(ack_txnid), static_cast<unsigned long long>(ack_digest),
                    in_flight ? std::to_string(intent.txnid).c_str() : "none");
      return fail(n, buf);
    }
    totals_.in_flight_survived += !is_ack;
    verified_txnid_ = txnid;
    verified_digest_ = digest;
    std::string verdict = check_verdict(dir_, -1, false);
    if (!verdict.empty()) return fail(n, "checker: " + verdict);
    return true;
  }

  bool fail(uint64_t n, const std::string& why) {
    std::fprintf(stderr, "kill9 %s cycle %llu: %s\n", mode_.name.c_str(), static_cast<unsigned long long>(n), why.c_str());
    ++totals_.failures;
    return false;
  }

  std::string dir_;
  Mode mode_;
  Shape shape_;
  std::mt19937_64 rng_;
  uint64_t max_delay_us_;
  uint64_t verified_txnid_ = 0, verified_digest_ = 0;
  Totals totals_;
};

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  Mode mode;
  Shape shape;
  if (!parse_kill_mode(opt.get("mode", "default"), &mode)) return usage("crash_kill9: unknown --mode");
  if (!parse_shape(opt.get("shape", "mixed"), &shape)) return usage("crash_kill9: unknown --shape");
  const uint64_t cycles = opt.number("cycles", 100), seed = opt.number("seed", 1);
  const uint64_t max_delay = std::max<uint64_t>(1, opt.number("max-delay-us", 20000));
  ScratchDir scratch("kill9");
  if (opt.flag("keep")) scratch.keep();
  const std::string dir = scratch.sub("env");
  KillLoop loop(dir, mode, shape, seed, max_delay);
  if (!loop.setup()) return usage("crash_kill9: cannot create the environment");
  const auto start = std::chrono::steady_clock::now();
  uint64_t done = 0;
  for (; done < cycles; ++done) {
    if (!loop.cycle(done)) break;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Totals& t = loop.totals();
  std::printf("kill9 mode=%s shape=%s seed=%llu cycles=%llu/%llu acked_commits=%llu in_flight_survived=%llu "
              "early_kills=%llu failures=%llu seconds=%.1f\n",
              mode.name.c_str(), shape_name(shape), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(done), static_cast<unsigned long long>(cycles),
              static_cast<unsigned long long>(t.acked), static_cast<unsigned long long>(t.in_flight_survived),
              static_cast<unsigned long long>(t.early_kills), static_cast<unsigned long long>(t.failures), secs);
  if (t.failures) scratch.keep(), std::printf("kept %s\n", scratch.path().c_str());
  return t.failures == 0 && done == cycles ? 0 : 1;
}
