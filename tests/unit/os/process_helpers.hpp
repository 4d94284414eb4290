// Test helpers for the os and env unit tests: a temporary directory and forked children that report back.
//
// A forked child must not use gtest assertions (they would not reach the parent); it returns an exit code
// instead, and leaves with _exit() so that no destructor of the parent's objects runs twice.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

namespace aspen::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/aspen-test-XXXXXX";
    path_ = mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Exit status of a child that ended normally, or 128 + signal number, or -1 on a waitpid error.
inline int wait_child(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs fn() in a forked child and returns the child's exit status (fn's return value).
template <class Fn>
int run_in_child(Fn&& fn) {
  pid_t child = fork();
  if (child == 0) _exit(fn());
  if (child < 0) return -1;
  return wait_child(child);
}

// A forked child that runs fn(ChildLink&) and can exchange single bytes with the parent, for "do X, tell me,
// wait until I say go" choreography.
class ChildLink {
 public:
  // In the child: tell the parent / wait for the parent.
  bool signal_parent(char c = 'r') { return write(to_parent_, &c, 1) == 1; }
  bool wait_parent() {
    char c;
    return read(from_parent_, &c, 1) == 1;
  }

  int to_parent_ = -1;
  int from_parent_ = -1;
};

class Child {
 public:
  template <class Fn>
  explicit Child(Fn&& fn) {
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(up[0]);
      close(down[1]);
      ChildLink link;
      link.to_parent_ = up[1];
      link.from_parent_ = down[0];
      _exit(fn(link));
    }
    close(up[1]);
    close(down[0]);
    from_child_ = up[0];
    to_child_ = down[1];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      wait_child(pid_);
    }
    if (from_child_ >= 0) close(from_child_);
    if (to_child_ >= 0) close(to_child_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  // Waits for the child's next byte; false if it exited first.
  bool wait_signal() {
    char c;
    return read(from_child_, &c, 1) == 1;
  }
  bool tell(char c = 'g') { return write(to_child_, &c, 1) == 1; }
  int kill_and_wait(int sig = SIGKILL) {
    kill(pid_, sig);
    return wait();
  }
  int wait() {
    reaped_ = true;
    return wait_child(pid_);
  }

 private:
  pid_t pid_ = -1;
  int from_child_ = -1;
  int to_child_ = -1;
  bool reaped_ = false;
};

}  // namespace aspen::test
