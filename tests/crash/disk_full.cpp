// crash_disk_full: a real full disk (tests/crash).
//
// On a 4 MiB tmpfs and on an 8 MiB loop-mounted ext4, in the default and WRITEMAP modes, a writer commits
// growing transactions until the file system is full, then keeps trying (more inserts, and deletes that may
// reuse free pages). Requirements:
//   - every failure is MDB_MAP_FULL or ENOSPC (never EIO, never SIGBUS: each run is a forked child, and a
//     signal is a failure);
//   - after the first failure the environment still reads the last committed state, and (unless a failed
//     sync poisoned it, which is reported) keeps accepting transactions that fit;
//   - closed and reopened, it holds exactly the last committed state and the checker finds no problem.
// Mounting needs root (CAP_SYS_ADMIN) and, for ext4, mkfs.ext4 and loop devices: a file system that cannot be
// set up is reported as SKIPPED, and the suite exits 77 (ctest's skip code) when none could be.
//
// usage: crash_disk_full [--keep]
#include <execinfo.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crash_support.hpp"

namespace aspen::crash {
namespace {

struct Run {
  int commits = 0, failures = 0, map_full = 0, enospc = 0, other = 0, after_ok = 0;
  bool poisoned = false;
  char note[200] = {};
};

EnvOptions options_for(unsigned flags) {
  EnvOptions o;
  o.max_dbs = 4;
  o.flags = flags;
  return o;
}

// The child: fill until full, keep trying, then verify the open environment. Returns via the pipe.
void on_fatal_signal(int sig);

Run fill(const std::string& dir, unsigned flags, uint64_t* last_digest) {
  Run run;
  Result<Env> env = Env::open(dir, options_for(flags));
  if (!env.ok() || !create_dbs(*env).ok()) {
    std::snprintf(run.note, sizeof run.note, "open/create failed: %s", error_message(env.code()));
    ++run.other;
    return run;
  }
  Model model;
  Workload grow(Shape::kGrowth, 5, false), del(Shape::kDeletes, 6, false);
  del.assume_filled();
  for (int attempt = 0; attempt < 4000 && run.failures < 60; ++attempt) {
    const bool deleting = run.failures > 0 && attempt % 3 == 0;
    Status st = (deleting ? del : grow).run_txn(*env, &model);
    if (st.ok()) {
      ++run.commits;
      run.after_ok += run.failures > 0;
      continue;
    }
    ++run.failures;
    if (st.code() == code::kMapFull) ++run.map_full;
    else if (st.code() == ENOSPC) ++run.enospc;
    else if (st.code() == code::kPanic) run.poisoned = true;
    else if (++run.other == 1) std::snprintf(run.note, sizeof run.note, "a commit failed with %s", error_message(st.code()));
    if (run.poisoned) break;
  }
  // A second environment created on the full disk: an error, never a crash (its lock file and meta pages
  // need blocks too).
  {
    const std::string other = dir + "-second";
    const bool have_dir = ::mkdir(other.c_str(), 0755) == 0;  // itself may need a block the disk lacks
    Result<Env> second = have_dir ? Env::open(other, options_for(flags)) : Result<Env>(ASPEN_ERROR(ENOSPC));
    if (!second.ok() && second.code() != ENOSPC && second.code() != code::kMapFull) {
      ++run.other;
      std::snprintf(run.note, sizeof run.note, "opening a new environment on the full disk: %s", error_message(second.code()));
    }
  }
  // The model tracks committed transactions only (run_txn leaves it alone on failure).
  Result<Model> seen = read_model(*env);
  if (!run.poisoned && (!seen.ok() || seen->digest() != model.digest())) {
    ++run.other;
    std::snprintf(run.note, sizeof run.note, "after the disk filled, the open environment reads other content");
  }
  *last_digest = model.digest();
  return run;
}

std::string scenario(const std::string& fs, const std::string& mount_point, unsigned flags, const char* mode) {
  const std::string dir = mount_point + "/env-" + mode;
  ::mkdir(dir.c_str(), 0755);
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    for (int sig : {SIGBUS, SIGSEGV}) ::signal(sig, on_fatal_signal);
    uint64_t digest = 0;
    Run r = fill(dir, flags, &digest);
    (void)!::write(fds[1], &r, sizeof r);
    (void)!::write(fds[1], &digest, sizeof digest);
    ::_exit(0);
  }
  ::close(fds[1]);
  Run r;
  uint64_t digest = 0;
  const bool got = ::read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r) &&
                   ::read(fds[0], &digest, sizeof digest) == static_cast<ssize_t>(sizeof digest);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return std::string("the writer died of ") + strsignal(WTERMSIG(status));
  if (!got) return "the writer did not report";
  std::printf("  %-5s %-8s commits=%d failures=%d (MDB_MAP_FULL %d, ENOSPC %d, other %d) commits_after_full=%d%s\n",
              fs.c_str(), mode, r.commits, r.failures, r.map_full, r.enospc, r.other, r.after_ok,
              r.poisoned ? " POISONED" : "");
  if (r.other) return r.note;
  if (r.failures == 0) return "the disk never filled";
  if (r.poisoned) return "a full disk poisoned the environment (a failed sync)";
  Result<Env> env = Env::open(dir, options_for(flags));
  if (!env.ok()) return std::string("reopen failed: ") + error_message(env.code());
  Result<Model> model = read_model(*env);
  if (!model.ok() || model->digest() != digest) return "after reopen the content is not the last committed state";
  env->close();
  std::string verdict = check_verdict(dir, -1, false);
  if (!verdict.empty()) return "checker: " + verdict;
  remove_tree(dir);  // the next scenario gets the whole file system
  remove_tree(dir + "-second");
  return "";
}

// In the writer: a fatal signal prints where it happened (a SIGBUS here is the bug this suite hunts).
void on_fatal_signal(int sig) {
  void* frames[32];
  const int n = ::backtrace(frames, 32);
  char head[64];
  const int len = std::snprintf(head, sizeof head, "disk_full: writer got signal %d at:\n", sig);
  (void)!::write(2, head, static_cast<size_t>(len));
  ::backtrace_symbols_fd(frames, n, 2);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool run_command(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  ScratchDir scratch("diskfull");
  if (opt.flag("keep")) scratch.keep();
  int ran = 0, failures = 0;
  auto run_fs = [&](const std::string& fs, const std::string& mp) {
    for (auto [flags, mode] : {std::pair<unsigned, const char*>{0u, "default"}, {aspen::kWriteMap, "writemap"}}) {
      std::string why = scenario(fs, mp, flags, mode);
      ++ran;
      if (!why.empty()) {
        ++failures;
        std::fprintf(stderr, "disk_full %s %s: %s\n", fs.c_str(), mode, why.c_str());
      }
    }
  };
  const std::string tmpfs = scratch.sub("tmpfs");
  if (::mount("tmpfs", tmpfs.c_str(), "tmpfs", 0, "size=4m") == 0) {
    run_fs("tmpfs", tmpfs);
    ::umount2(tmpfs.c_str(), MNT_DETACH);
  } else {
    std::printf("  tmpfs SKIPPED: mount -t tmpfs -o size=4m not permitted (%s)\n", std::strerror(errno));
  }
  const std::string ext4 = scratch.sub("ext4"), image = scratch.path() + "/ext4.img";
  if (!run_command("command -v mkfs.ext4") || !run_command("command -v losetup")) {
    std::printf("  ext4  SKIPPED: mkfs.ext4 or losetup not installed\n");
  } else if (!run_command("truncate -s 8M " + image) || !run_command("mkfs.ext4 -q -F " + image) ||
             !run_command("mount -o loop " + image + " " + ext4)) {
    std::printf("  ext4  SKIPPED: cannot make or loop-mount an ext4 image (no loop devices or not permitted)\n");
  } else {
    run_fs("ext4", ext4);
    run_command("umount " + ext4);
  }
  std::printf("disk_full scenarios=%d failures=%d\n", ran, failures);
  if (ran == 0) return 77;
  if (failures) scratch.keep();
  return failures == 0 ? 0 : 1;
}
