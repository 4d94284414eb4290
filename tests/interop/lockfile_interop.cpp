// lockfile_interop: Aspen's side of the lock.mdb interop test with the real liblmdb (tests/interop).
//
// Usage: lockfile_interop PATH_TO_lockfile_probe
//
// Aspen creates lock.mdb with env::ReaderTable (50 readers, not LMDB's default, so the probe must read the size
// from the file), pins txnid 0 in a slot, and leaves a stale slot from a forked child that died. It then runs
// lockfile_probe (linked with liblmdb) and checks both directions while the probe holds a read transaction:
// LMDB lists our slot, clears only the dead child's, and its own slot appears in our table with a live pid lock.
// After the probe commits a write, our table shows the txnid LMDB published and the writer mutex is usable.
// Exit status 0 on success; a message on stderr otherwise.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "env/reader_table.hpp"
#include "os/process.hpp"

namespace {

using aspen::env::ReaderInfo;
using aspen::env::ReaderTable;

int fail(const char* what) {
  std::fprintf(stderr, "lockfile_interop: %s\n", what);
  return 1;
}

bool has_slot(const ReaderTable& t, pid_t pid, uint64_t txnid) {
  bool found = false;
  t.list([&](const ReaderInfo& r) { found = found || (r.pid == pid && r.txnid == txnid); });
  return found;
}

// Leaves a slot behind: a forked child claims one through the inherited table and exits without freeing it.
bool leave_stale_slot(ReaderTable& t, pid_t* child_pid) {
  pid_t child = fork();
  if (child == 0) _exit(t.acquire_slot().ok() ? 0 : 1);
  int status = 0;
  *child_pid = child;
  return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Probe {
  pid_t pid = -1;
  FILE* out = nullptr;  // the probe's stdout
  FILE* in = nullptr;   // the probe's stdin
};

bool start_probe(const char* exe, const std::string& dir, unsigned max_readers, Probe* probe) {
  int to_probe[2], from_probe[2];
  if (pipe(to_probe) != 0 || pipe(from_probe) != 0) return false;
  std::string peer = std::to_string(aspen::os::pid());
  std::string readers = std::to_string(max_readers);
  probe->pid = fork();
  if (probe->pid == 0) {
    dup2(to_probe[0], 0);
    dup2(from_probe[1], 1);
    close(to_probe[1]);
    close(from_probe[0]);
    execl(exe, exe, dir.c_str(), peer.c_str(), "0", "1", readers.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_probe[0]);
  close(from_probe[1]);
  probe->out = fdopen(from_probe[0], "r");
  probe->in = fdopen(to_probe[1], "w");
  return probe->pid > 0 && probe->out && probe->in;
}

int finish_probe(Probe* probe) {
  int status = 0;
  if (probe->in) std::fclose(probe->in);
  if (probe->out) std::fclose(probe->out);
  if (waitpid(probe->pid, &status, 0) != probe->pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// While the probe holds its read transaction: its slot is ours to see, and it is alive.
int check_probe_reader(ReaderTable& table, Probe* probe, pid_t dead_child) {
  char line[64] = {};
  long probe_pid = 0;
  if (!std::fgets(line, sizeof line, probe->out) || std::sscanf(line, "READY %ld", &probe_pid) != 1)
    return fail("the probe did not get ready");
  if (!has_slot(table, static_cast<pid_t>(probe_pid), 0)) return fail("the probe's read slot is not in our table");
  if (has_slot(table, dead_child, aspen::format::kIdleReader)) return fail("LMDB did not clear the dead child's slot");
  auto stale = table.check_stale();
  if (!stale.ok() || stale.value() != 0) return fail("our stale check took the live probe for dead");
  std::fputs("go\n", probe->in);
  std::fflush(probe->in);
  if (!std::fgets(line, sizeof line, probe->out) || std::strncmp(line, "DONE", 4) != 0)
    return fail("the probe did not finish");
  return 0;
}

int run(const char* probe_exe, const std::string& dir) {
  const unsigned kReaders = 50;
  aspen::env::ReaderTableOptions options;
  options.max_readers = kReaders;
  auto opened = ReaderTable::open(dir + "/lock.mdb", options);
  if (!opened.ok() || !opened->exclusive()) return fail("could not create lock.mdb exclusively");
  ReaderTable table = std::move(opened).value();
  if (!table.share().ok()) return fail("share");
  auto slot = table.acquire_slot();
  if (!slot.ok()) return fail("acquire_slot");
  table.set_slot_txnid(slot.value(), 0);
  pid_t dead_child = -1;
  if (!leave_stale_slot(table, &dead_child)) return fail("could not leave a stale slot");

  Probe probe;
  if (!start_probe(probe_exe, dir, kReaders, &probe)) return fail("could not start the probe");
  int rc = check_probe_reader(table, &probe, dead_child);
  int probe_rc = finish_probe(&probe);
  if (rc != 0) return rc;
  if (probe_rc != 0) return fail("the probe failed (see its message above)");

  if (table.last_txnid() != 1) return fail("LMDB's commit did not publish txnid 1 in our table");
  if (!has_slot(table, aspen::os::pid(), 0)) return fail("our own slot was disturbed");
  auto locked = table.lock_writer();
  if (!locked.ok() || locked.value()) return fail("writer mutex unusable after LMDB's write transaction");
  table.unlock_writer();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PATH_TO_lockfile_probe\n", argv[0]);
    return 64;
  }
  std::string pattern = std::filesystem::temp_directory_path().string() + "/aspen-lockfile-XXXXXX";
  if (!mkdtemp(pattern.data())) return fail("mkdtemp");
  int rc = run(argv[1], pattern);
  std::error_code ec;
  std::filesystem::remove_all(pattern, ec);
  if (rc == 0) std::printf("lockfile_interop: PASS\n");
  return rc;
}
