// mp_stress: one writer and three reader processes on one environment for a bounded time, with processes
// SIGKILLed at random moments and replaced.
//
// Usage: mp_stress [DURATION_MS] [SEED]
//
// The data: 64 accounts whose balances always sum to 64000; "0seq" and "zseq", the first and last keys,
// both equal to the number of committed transactions; filler records "f:<seq>:<n>" of random sizes (some on
// overflow pages) inserted by each transaction and deleted 40 transactions later, so that pages are freed and
// reused all the time; "nfill", their number. Every write transaction moves money between random accounts,
// adds and drops fillers, and bumps both seq keys; after its commit the writer acknowledges the new seq to the
// parent through a pipe.
//
// Readers check every snapshot they see: the two seq keys are equal and never go back, the balances sum to
// 64000, the fillers number nfill and none is newer than seq. Some snapshots are held while sleeping (so the
// writer must not reuse their pages) and one reader runs with a reader lease (max lag 25 commits): when it
// is ousted it must get code::kOusted, and it starts over.
//
// The parent keeps the environment open for the whole run (so lock.mdb is never re-initialised and the slots of
// killed readers stay until something clears them: the writer's automatic reclaim, or reader_check at the end),
// and forks its children with it open: they must open their own (an inherited Env answers MDB_PANIC).
//
// The parent kills a random child (the writer a third of the time) every 100-500 ms. At the end it kills
// everything and checks: no child ever failed a check, the writer made progress, the final snapshot holds
// the invariants and a seq >= the last acknowledged one (no acknowledged commit lost), the integrity checker
// (src/check) passes, and after one reader_check no reader slot is left.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "mp_util.hpp"

namespace {

const char* const kWho = "mp_stress";
constexpr int kAccounts = 64;
constexpr int64_t kInitialBalance = 1000;
constexpr int64_t kTotal = kAccounts * kInitialBalance;
constexpr uint64_t kFillerLife = 40;
constexpr int kReaders = 3;

using aspen::Bytes;
using aspen::bytes_of;
using aspen::code::kNotFound;
using aspen::code::kOusted;

std::string account_key(int i) {
  char key[16];
  std::snprintf(key, sizeof key, "acct:%03d", i);
  return key;
}

std::string filler_key(uint64_t seq, int n) {
  char key[40];
  std::snprintf(key, sizeof key, "f:%012" PRIu64 ":%02d", seq, n);
  return key;
}

uint64_t filler_seq(std::string_view key) { return std::strtoull(std::string(key.substr(2, 12)).c_str(), nullptr, 10); }

Bytes i64_bytes(const int64_t& v) { return {reinterpret_cast<const std::byte*>(&v), sizeof v}; }

aspen::Result<int64_t> get_i64(aspen::TxnRef& txn, aspen::Dbi dbi, const std::string& key) {
  ASPEN_ASSIGN(Bytes v, txn.get(dbi, bytes_of(key)));
  if (v.size() != sizeof(int64_t)) return ASPEN_ERROR(aspen::code::kCorrupted);
  int64_t out;
  std::memcpy(&out, v.data(), sizeof out);
  return out;
}

aspen::Result<aspen::Env> open_env(const std::string& dir, uint32_t lease_lag = 0) {
  aspen::EnvOptions options;
  options.reader_lease_lag = lease_lag;
  return aspen::Env::open(dir, options);
}

aspen::Status initialise(const std::string& dir) {
  ASPEN_ASSIGN(aspen::Env env, open_env(dir));
  ASPEN_ASSIGN(aspen::WriteTxn txn, env.begin_write());
  for (int i = 0; i < kAccounts; ++i) ASPEN_TRY(txn.put(1, bytes_of(account_key(i)), i64_bytes(kInitialBalance)));
  const uint64_t zero = 0;
  for (const char* k : {"0seq", "zseq", "nfill"}) ASPEN_TRY(txn.put(1, bytes_of(k), mp::u64_bytes(zero)));
  return txn.commit();
}

// --- the writer ---------------------------------------------------------------------------------------

aspen::Status transfer(aspen::TxnRef& txn, std::mt19937_64& rng) {
  const int from = static_cast<int>(rng() % kAccounts), to = static_cast<int>(rng() % kAccounts);
  ASPEN_ASSIGN(int64_t a, get_i64(txn, 1, account_key(from)));
  ASPEN_ASSIGN(int64_t b, get_i64(txn, 1, account_key(to)));
  const int64_t amount = static_cast<int64_t>(rng() % 200) - 50;  // balances may go negative: only sums matter
  if (from == to) return aspen::ok_status();
  a -= amount;
  b += amount;
  ASPEN_TRY(txn.put(1, bytes_of(account_key(from)), i64_bytes(a)));
  return txn.put(1, bytes_of(account_key(to)), i64_bytes(b));
}

// Adds 1-3 fillers for `seq` and deletes those older than kFillerLife commits; returns the new count.
aspen::Result<uint64_t> churn_fillers(aspen::TxnRef& txn, uint64_t seq, uint64_t count, std::mt19937_64& rng) {
  const int add = 1 + static_cast<int>(rng() % 3);
  for (int n = 0; n < add; ++n) {
    size_t size = rng() % 8 == 0 ? 3000 + rng() % 6000 : 40 + rng() % 400;
    std::string value(size, static_cast<char>('a' + seq % 26));
    ASPEN_TRY(txn.put(1, bytes_of(filler_key(seq, n)), bytes_of(value), aspen::kNoOverwrite));
    ++count;
  }
  if (seq <= kFillerLife) return count;
  ASPEN_ASSIGN(aspen::Cursor cursor, txn.cursor(1));
  auto e = cursor.seek(bytes_of("f:"));
  while (e.ok() && e->key_string().substr(0, 2) == "f:" && filler_seq(e->key_string()) + kFillerLife < seq) {
    ASPEN_TRY(cursor.del());
    --count;
    e = cursor.get(aspen::CursorOp::kGetCurrent);
    if (!e.ok() && e.code() != kNotFound) return e.error();
    if (!e.ok()) e = cursor.get(aspen::CursorOp::kNext);
  }
  if (!e.ok() && e.code() != kNotFound) return e.error();
  return count;
}

aspen::Result<uint64_t> write_one(aspen::Env& env, std::mt19937_64& rng) {
  ASPEN_ASSIGN(aspen::WriteTxn txn, env.begin_write());
  ASPEN_ASSIGN(uint64_t seq, mp::get_u64(txn, 1, "0seq"));
  ASPEN_ASSIGN(uint64_t nfill, mp::get_u64(txn, 1, "nfill"));
  ++seq;
  for (int i = 0; i < 8; ++i) ASPEN_TRY(transfer(txn, rng));
  ASPEN_ASSIGN(nfill, churn_fillers(txn, seq, nfill, rng));
  ASPEN_TRY(txn.put(1, bytes_of("nfill"), mp::u64_bytes(nfill)));
  ASPEN_TRY(txn.put(1, bytes_of("0seq"), mp::u64_bytes(seq)));
  ASPEN_TRY(txn.put(1, bytes_of("zseq"), mp::u64_bytes(seq)));
  ASPEN_TRY(txn.commit());
  return seq;
}

int writer_main(const std::string& dir, int ack_fd, uint64_t seed) {
  auto env = open_env(dir);
  if (!env.ok()) return mp::fail("writer", std::string("open: ") + aspen::error_message(env.code())) + 20;
  std::mt19937_64 rng(seed);
  for (;;) {
    auto seq = write_one(*env, rng);
    if (!seq.ok()) return mp::fail("writer", std::string("write: ") + aspen::error_message(seq.code())) + 21;
    if (write(ack_fd, &*seq, sizeof *seq) != sizeof *seq) return 22;
  }
}

// --- the readers ----------------------------------------------------------------------------------------

// Checks one snapshot; `hold_ms` > 0 sleeps in the middle of it. Returns kOusted when the lease ran out, a
// description of a broken invariant in *why.
aspen::Status check_snapshot(aspen::Env& env, unsigned hold_ms, uint64_t* last_seq, std::string* why) {
  ASPEN_ASSIGN(aspen::ReadTxn txn, env.begin_read());
  ASPEN_ASSIGN(uint64_t seq, mp::get_u64(txn, 1, "0seq"));
  int64_t sum = 0;
  for (int i = 0; i < kAccounts; ++i) {
    ASPEN_ASSIGN(int64_t balance, get_i64(txn, 1, account_key(i)));
    sum += balance;
    if (hold_ms && i == kAccounts / 2) mp::sleep_ms(hold_ms);
  }
  ASPEN_ASSIGN(uint64_t zseq, mp::get_u64(txn, 1, "zseq"));
  ASPEN_ASSIGN(uint64_t nfill, mp::get_u64(txn, 1, "nfill"));
  ASPEN_ASSIGN(aspen::Cursor cursor, txn.cursor(1));
  uint64_t fillers = 0;
  auto e = cursor.seek(bytes_of("f:"));
  for (; e.ok() && e->key_string().substr(0, 2) == "f:"; e = cursor.get(aspen::CursorOp::kNext)) {
    ++fillers;
    if (filler_seq(e->key_string()) > seq) *why = "a filler newer than seq";
    if (e->value.empty() || e->value[0] != static_cast<std::byte>('a' + filler_seq(e->key_string()) % 26))
      *why = "a filler with the wrong bytes";
  }
  if (!e.ok() && e.code() != kNotFound) return e.error();
  if (seq != zseq) *why = "0seq != zseq (torn transaction)";
  if (sum != kTotal) *why = "balances sum to " + std::to_string(sum);
  if (fillers != nfill) *why = "fillers " + std::to_string(fillers) + " != nfill " + std::to_string(nfill);
  if (seq < *last_seq) *why = "seq went back";
  *last_seq = seq;
  return aspen::ok_status();
}

int reader_main(const std::string& dir, int report_fd, uint64_t seed, bool leased) {
  auto env = open_env(dir, leased ? 5 : 0);
  if (!env.ok()) return mp::fail("reader", std::string("open: ") + aspen::error_message(env.code())) + 30;
  std::mt19937_64 rng(seed);
  uint64_t last_seq = 0, reads = 0;
  for (;;) {
    unsigned hold = rng() % 6 == 0 ? static_cast<unsigned>(rng() % 80) : 0;
    std::string why;
    aspen::Status st = check_snapshot(*env, hold, &last_seq, &why);
    if (!why.empty()) return mp::fail("reader", why) + 31;
    if (!st.ok() && st.code() == kOusted && leased) {
      if (write(report_fd, "o", 1) != 1) return 32;
      continue;
    }
    if (!st.ok()) return mp::fail("reader", std::string("read: ") + aspen::error_message(st.code())) + 33;
    if (++reads % 200 == 0 && write(report_fd, "r", 1) != 1) return 34;
  }
}

// --- the parent -----------------------------------------------------------------------------------------

struct Worker {
  mp::Child child;
  bool writer = false;
  int index = 0;
};

struct Totals {
  uint64_t max_acked = 0;
  uint64_t acks = 0;
  uint64_t ousted = 0;
  uint64_t reads = 0;
  int kills = 0;
  int failures = 0;
  uint64_t last_ack_ms = 0;
  uint64_t max_lag = 0;         // reader lag seen by health()
  unsigned max_stale = 0;       // dead processes' slots not cleared yet, seen by health()
  uint64_t max_held_back = 0;   // pages readers kept from reuse
};

Worker start(const std::string& dir, bool writer, int index, uint64_t seed) {
  Worker w;
  w.writer = writer;
  w.index = index;
  w.child = mp::fork_child([&](int up, int) {
    return writer ? writer_main(dir, up, seed) : reader_main(dir, up, seed, index == kReaders - 1);
  });
  fcntl(w.child.out, F_SETFL, O_NONBLOCK);
  return w;
}

// Reads whatever a worker reported: acknowledged seqs (writer) or 'r'/'o' bytes (readers).
void drain(Worker& w, Totals* t) {
  unsigned char buf[512];
  static std::vector<unsigned char> partial;  // the writer's acks may arrive split (never in practice)
  for (;;) {
    ssize_t n = read(w.child.out, buf, sizeof buf);
    if (n <= 0) return;
    if (!w.writer) {
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == 'o') ++t->ousted;
        if (buf[i] == 'r') t->reads += 200;
      }
      continue;
    }
    partial.insert(partial.end(), buf, buf + n);
    size_t whole = partial.size() / 8 * 8;
    for (size_t i = 0; i < whole; i += 8) {
      uint64_t seq;
      std::memcpy(&seq, partial.data() + i, 8);
      t->max_acked = std::max(t->max_acked, seq);
      ++t->acks;
      t->last_ack_ms = mp::now_ms();
    }
    partial.erase(partial.begin(), partial.begin() + static_cast<long>(whole));
  }
}

// Kills a worker and reaps it. A worker that had already exited by itself failed a check.
void stop(Worker& w, Totals* t) {
  int status = 0;
  pid_t gone = waitpid(w.child.pid, &status, WNOHANG);
  if (gone == w.child.pid) {
    std::fprintf(stderr, "%s: %s %d exited by itself (status %d)\n", kWho, w.writer ? "writer" : "reader", w.index,
                 status);
    ++t->failures;
  } else {
    kill(w.child.pid, SIGKILL);
    waitpid(w.child.pid, &status, 0);
  }
  drain(w, t);
  w.child.close_pipes();
}

// Sleeps `ms`, reading reports meanwhile.
void pump(std::vector<Worker>& workers, Totals* t, unsigned ms) {
  const uint64_t end = mp::now_ms() + ms;
  while (mp::now_ms() < end) {
    std::vector<struct pollfd> fds;
    for (Worker& w : workers) fds.push_back({w.child.out, POLLIN, 0});
    poll(fds.data(), fds.size(), static_cast<int>(std::min<uint64_t>(end - mp::now_ms() + 1, 50)));
    for (Worker& w : workers) drain(w, t);
  }
}

bool verify(const std::string& dir, aspen::Env* env, const Totals& t) {
  auto dead = env->reader_check();
  int leaked = 0;
  env->reader_list([&](const aspen::ReaderInfo& r) { leaked += r.pid != static_cast<int>(getpid()); });
  if (!dead.ok() || leaked != 0) return mp::fail(kWho, std::to_string(leaked) + " reader slots left after reader_check") == 0;
  uint64_t seq = 0;
  std::string why;
  aspen::Status st = check_snapshot(*env, 0, &seq, &why);
  if (!st.ok() || !why.empty()) return mp::fail(kWho, "final snapshot: " + why + aspen::error_message(st.code())) == 0;
  if (seq < t.max_acked) return mp::fail(kWho, "acknowledged commit lost: seq " + std::to_string(seq) + " < acked " +
                                                   std::to_string(t.max_acked)) == 0;
  auto report = aspen::check::check_environment(dir);
  if (!report.ok() || !report->ok()) {
    if (report.ok())
      for (const auto& p : report->problems) std::fprintf(stderr, "  %s\n", aspen::check::to_string(p).c_str());
    return mp::fail(kWho, "the integrity checker failed") == 0;
  }
  struct stat sb;
  stat((dir + "/data.mdb").c_str(), &sb);
  std::fprintf(stderr,
               "%s: seq %" PRIu64 " (acked %" PRIu64 ", %" PRIu64 " acks), %d kills, %" PRIu64 " reads, %" PRIu64
               " ousted, %d dead slots cleared at the end, data.mdb %lld KiB, check ok\n"
               "%s: during the run: reader lag <= %" PRIu64 ", dead slots <= %u, pages held back <= %" PRIu64 "\n",
               kWho, seq, t.max_acked, t.acks, t.kills, t.reads, t.ousted, dead.value(),
               static_cast<long long>(sb.st_size / 1024), kWho, t.max_lag, t.max_stale, t.max_held_back);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned duration_ms = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 15000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : static_cast<uint64_t>(time(nullptr));
  std::fprintf(stderr, "%s: %u ms, seed %" PRIu64 "\n", kWho, duration_ms, seed);
  std::mt19937_64 rng(seed);
  const char* base = getenv("TMPDIR");
  std::string dir = std::string(base && *base ? base : "/tmp") + "/aspen-mp-stress-XXXXXX";
  if (!mkdtemp(dir.data())) return mp::fail(kWho, "mkdtemp");
  if (aspen::Status st = initialise(dir); !st.ok()) return mp::fail(kWho, "initialise");
  auto monitor = open_env(dir);  // held open throughout: see the header
  if (!monitor.ok()) return mp::fail(kWho, "open");

  Totals t;
  t.last_ack_ms = mp::now_ms();
  std::vector<Worker> workers;
  workers.push_back(start(dir, true, 0, rng()));
  for (int i = 0; i < kReaders; ++i) workers.push_back(start(dir, false, i, rng()));
  const uint64_t end = mp::now_ms() + duration_ms;
  uint64_t longest_stall = 0;
  while (mp::now_ms() < end) {
    pump(workers, &t, 100 + static_cast<unsigned>(rng() % 400));
    longest_stall = std::max(longest_stall, mp::now_ms() - t.last_ack_ms);
    if (auto h = monitor->health(); h.ok()) {
      t.max_lag = std::max(t.max_lag, h->reader_lag);
      t.max_stale = std::max(t.max_stale, h->stale_slots);
      t.max_held_back = std::max(t.max_held_back, h->pages_held_back);
    }
    Worker& victim = workers[rng() % 3 == 0 ? 0 : 1 + rng() % kReaders];
    stop(victim, &t);
    ++t.kills;
    victim = start(dir, victim.writer, victim.index, rng());
  }
  pump(workers, &t, 200);
  for (Worker& w : workers) stop(w, &t);

  bool ok = t.failures == 0;
  if (!ok) mp::fail(kWho, std::to_string(t.failures) + " workers failed a check");
  if (t.acks < 20) {
    mp::fail(kWho, "the writer made almost no progress");
    ok = false;
  }
  if (longest_stall > 10000) {
    mp::fail(kWho, "the writer stalled for " + std::to_string(longest_stall) + " ms");
    ok = false;
  }
  ok = verify(dir, &*monitor, t) && ok;
  monitor->close();
  if (ok) std::filesystem::remove_all(dir);
  else std::fprintf(stderr, "%s: FAILED, environment kept in %s\n", kWho, dir.c_str());
  return ok ? 0 : 1;
}
