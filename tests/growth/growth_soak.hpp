// Shared by the two sides of the growth soak test (tests/growth): the writer/driver (growth_soak.cpp) and the
// reader process (growth_reader.cpp), which are one executable started in two modes.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>

namespace growth {

inline uint64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// The reader process's main loop; returns its exit status.
int run_reader(const std::string& dir, uint64_t seed, unsigned reopen_ms);

}  // namespace growth
