// Helpers for the multi-process drivers (tests/multiprocess): child processes with deadlines, lines from
// pipes, and the shared-counter data model that lmdb_peer.c implements on the liblmdb side.
//
// The counter model: "counter" and "mirror" hold the same u64 in every committed snapshot, and the log holds
// exactly the keys "log:<1..counter as 16 hex digits>", each with a one-byte tag naming the writer. A reader
// that sees anything else saw a torn transaction.
//
// Children are forked and report through exit codes; they open their own Env (never one inherited across
// fork(), which Aspen refuses with MDB_PANIC) and leave with _exit().
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"

namespace mp {

inline uint64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

inline void sleep_ms(unsigned ms) { usleep(ms * 1000u); }

// Exit status of a child: its exit code, 128 + signal, -1 on a waitpid error, -2 when it did not end by the
// deadline (it is then killed).
inline int wait_for(pid_t pid, unsigned timeout_ms) {
  const uint64_t deadline = now_ms() + timeout_ms;
  int status = 0;
  for (;;) {
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) return -1;
    if (now_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    sleep_ms(2);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A child process with optional pipes: `out` reads what it writes to its stdout (or to its report pipe),
// `in` writes to its stdin.
struct Child {
  pid_t pid = -1;
  int out = -1;
  int in = -1;
  void close_pipes() {
    if (out >= 0) close(out);
    if (in >= 0) close(in);
    out = in = -1;
  }
};

// Runs fn(report_fd, command_fd) in a forked child; its return value is the exit code.
template <class Fn>
Child fork_child(Fn&& fn) {
  int up[2], down[2];
  Child c;
  if (pipe(up) != 0 || pipe(down) != 0) return c;
  c.pid = fork();
  if (c.pid == 0) {
    close(up[0]);
    close(down[1]);
    _exit(fn(up[1], down[0]));
  }
  close(up[1]);
  close(down[0]);
  c.out = up[0];
  c.in = down[1];
  return c;
}

// Runs the program argv[0] with stdin and stdout on pipes.
inline Child spawn(const std::vector<std::string>& args) {
  int up[2], down[2];
  Child c;
  if (pipe(up) != 0 || pipe(down) != 0) return c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(down[0], 0);
    dup2(up[1], 1);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(up[1]);
  close(down[0]);
  c.out = up[0];
  c.in = down[1];
  return c;
}

// Reads one line (without the newline) from fd within timeout_ms; false on timeout or end of file.
inline bool read_line(int fd, std::string* line, unsigned timeout_ms) {
  line->clear();
  const uint64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    const uint64_t now = now_ms();
    if (now >= deadline) return false;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(deadline - now));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char ch;
    ssize_t n = read(fd, &ch, 1);
    if (n <= 0) return false;
    if (ch == '\n') return true;
    line->push_back(ch);
  }
}

inline bool write_line(int fd, const std::string& line) {
  std::string s = line + "\n";
  return write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
}

inline int fail(const char* who, const std::string& what) {
  std::fprintf(stderr, "%s[%d]: %s\n", who, static_cast<int>(getpid()), what.c_str());
  return 1;
}

// --- the counter model ------------------------------------------------------------------------------------

inline std::string log_key(uint64_t n) {
  char key[32];
  std::snprintf(key, sizeof key, "log:%016llx", static_cast<unsigned long long>(n));
  return key;
}

inline aspen::Bytes u64_bytes(const uint64_t& v) { return {reinterpret_cast<const std::byte*>(&v), sizeof v}; }

inline aspen::Result<uint64_t> get_u64(aspen::TxnRef& txn, aspen::Dbi dbi, const char* key) {
  auto v = txn.get(dbi, aspen::bytes_of(key));
  if (!v.ok() && v.code() == aspen::code::kNotFound) return uint64_t{0};
  if (!v.ok()) return v.error();
  if (v->size() != sizeof(uint64_t)) return ASPEN_ERROR(aspen::code::kCorrupted);
  uint64_t out;
  std::memcpy(&out, v->data(), sizeof out);
  return out;
}

// One increment of the counter model, committed. Returns the new counter value.
inline aspen::Result<uint64_t> increment(aspen::Env& env, char tag) {
  ASPEN_ASSIGN(aspen::WriteTxn txn, env.begin_write());
  const aspen::Dbi dbi = 1;  // the main database
  ASPEN_ASSIGN(uint64_t counter, get_u64(txn, dbi, "counter"));
  ++counter;
  ASPEN_TRY(txn.put(dbi, aspen::bytes_of("counter"), u64_bytes(counter)));
  ASPEN_TRY(txn.put(dbi, aspen::bytes_of("mirror"), u64_bytes(counter)));
  ASPEN_TRY(txn.put(dbi, aspen::bytes_of(log_key(counter)), aspen::Bytes{reinterpret_cast<const std::byte*>(&tag), 1},
                    aspen::kNoOverwrite));
  ASPEN_TRY(txn.commit());
  return counter;
}

// Checks one snapshot of the counter model; returns the counter, or a message in *why.
// The main database is handle 1 in every transaction: no open_db here, which (like mdb_dbi_open) must not
// run in concurrent transactions of one process.
inline bool check_counter_snapshot_once(aspen::TxnRef& txn, uint64_t* counter_out, std::string* why) {
  const aspen::Dbi main_db = 1;
  const aspen::Dbi* dbi = &main_db;
  auto counter = get_u64(txn, *dbi, "counter");
  auto mirror = get_u64(txn, *dbi, "mirror");
  if (!counter.ok() || !mirror.ok()) {
    *why = std::string("get: ") + aspen::error_message(counter.ok() ? mirror.code() : counter.code());
    return false;
  }
  if (*counter != *mirror) {
    *why = "counter != mirror (torn transaction)";
    return false;
  }
  auto cursor = txn.cursor(*dbi);
  if (!cursor.ok()) {
    *why = std::string("cursor: ") + aspen::error_message(cursor.code());  // ousted in between, say
    return false;
  }
  uint64_t seen = 0;
  auto e = cursor->seek(aspen::bytes_of("log:"));
  for (; e.ok() && e->key_string().substr(0, 4) == "log:"; e = cursor->get(aspen::CursorOp::kNext)) {
    ++seen;
    if (e->key_string() != log_key(seen) || e->value.size() != 1) {
      *why = "log entries out of order (torn transaction)";
      return false;
    }
  }
  if (!e.ok() && e.code() != aspen::code::kNotFound) {
    *why = std::string("cursor walk: ") + aspen::error_message(e.code());
    return false;
  }
  if (seen != *counter) {
    *why = "log entries != counter (torn transaction)";
    return false;
  }
  *counter_out = *counter;
  return true;
}

// check_counter_snapshot_once, judged as a leased reader must be: the bytes a read returns are the snapshot's
// when the read's own check passed, but a reader ousted just after may see them reused by the writer while it
// still compares them. So an inconsistency counts as torn only if the transaction was not ousted meanwhile
// (the next read tells); otherwise `why` says ASPEN_OUSTED.
inline bool check_counter_snapshot(aspen::TxnRef& txn, uint64_t* counter_out, std::string* why) {
  if (check_counter_snapshot_once(txn, counter_out, why)) return true;
  auto probe = txn.get(1, aspen::bytes_of("counter"));
  if (!probe.ok() && probe.code() == aspen::code::kOusted && why->find("ASPEN_OUSTED") == std::string::npos)
    *why = std::string(aspen::error_message(probe.code())) + " (after: " + *why + ")";
  return false;
}

}  // namespace mp
