// ScratchDir: the one directory under which every benchmark database lives, removed however the run ends
// (bench).
//
// Created with mkdtemp under a parent directory. Removal is guaranteed three ways: the destructor removes it;
// the process-terminating signals (INT, TERM, HUP, QUIT) end the process at once with 128+signo; and a small
// watcher process forked before any thread starts waits for this process to end, by any means including
// SIGKILL or a crash, and then removes the directory. Databases left by engines' background threads are thus
// never left behind.
//
// Thread-safety: create() before starting threads; the rest from the thread that created it.
#pragma once

#include <string>

namespace aspen::bench {

class ScratchDir {
 public:
  ScratchDir() = default;
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Creates `parent`/aspen-bench-XXXXXX and the watcher. Returns an error message, empty on success.
  std::string create(const std::string& parent);
  const std::string& path() const { return path_; }
  // A fresh, empty subdirectory `name` (removed first if present). Returns its path, or "" with `*error` set.
  std::string fresh_subdir(const std::string& name, std::string* error) const;
  // Removes a subdirectory and everything in it.
  void remove_subdir(const std::string& path) const;

 private:
  std::string path_;
  int watcher_pipe_ = -1;  // write end; the watcher wakes up when it closes
  int watcher_pid_ = -1;
};

}  // namespace aspen::bench
