// Progress lines on a terminal (layer: tools). See progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace aspen::tools {

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

void Progress::update(uint64_t done, uint64_t total) {
  if (!enabled_ || (++calls_ % 256 != 0 && shown_)) return;  // cheap enough to call once per record
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  if (total) {
    std::fprintf(stderr, "\r%s: %3u%% (%llu/%llu)", label_.c_str(), static_cast<unsigned>(done * 100 / total),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  } else {
    std::fprintf(stderr, "\r%s: %llu", label_.c_str(), static_cast<unsigned long long>(done));
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace aspen::tools
