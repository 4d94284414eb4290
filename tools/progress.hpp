// Progress lines for long operations (layer: tools).
//
// A Progress writes "\rLABEL: 42% (1234/2938)" to stderr at most a few times a second, and only when
// stderr is a terminal: in pipes, scripts and tests the tools print nothing extra, so their output stays
// byte-identical to LMDB's. finish() erases the line. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace aspen::tools {

class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return enabled_; }
  // Reports `done` units out of `total` (0: unknown total, only the count is shown).
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool shown_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace aspen::tools
