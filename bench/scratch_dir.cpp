// ScratchDir (bench): see scratch_dir.hpp for the removal guarantees.
#include "scratch_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace aspen::bench {
namespace {

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// The watcher: ignores the terminal's signals (they reach the whole process group), sleeps until every write
// end of the pipe is closed, i.e. until the benchmark process has ended, then removes the directory.
[[noreturn]] void watch(int read_fd, const std::string& path) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) signal(sig, SIG_IGN);
  prctl(PR_SET_NAME, "aspen-bench-rm");
  char byte;
  while (read(read_fd, &byte, 1) != 0 && errno == EINTR) {
  }
  remove_tree(path);
  _exit(0);
}

[[noreturn]] void on_signal(int signo) {
  // The watcher removes the directory once this process is gone; leave at once.
  _exit(128 + signo);
}

}  // namespace

ScratchDir::~ScratchDir() {
  if (!path_.empty()) remove_tree(path_);
  if (watcher_pipe_ >= 0) close(watcher_pipe_);
  if (watcher_pid_ > 0) waitpid(watcher_pid_, nullptr, 0);
}

std::string ScratchDir::create(const std::string& parent) {
  std::string pattern = parent + "/aspen-bench-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    return "cannot create a scratch directory in '" + parent + "': " + std::strerror(errno);
  path_ = buf.data();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  pid_t pid = fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    close(fds[1]);
    watch(fds[0], path_);
  }
  close(fds[0]);
  watcher_pipe_ = fds[1];
  watcher_pid_ = pid;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  return {};
}

std::string ScratchDir::fresh_subdir(const std::string& name, std::string* error) const {
  std::string path = path_ + "/" + name;
  remove_tree(path);
  std::error_code ec;
  if (!std::filesystem::create_directory(path, ec)) {
    *error = "cannot create '" + path + "': " + ec.message();
    return {};
  }
  return path;
}

void ScratchDir::remove_subdir(const std::string& path) const { remove_tree(path); }

}  // namespace aspen::bench
