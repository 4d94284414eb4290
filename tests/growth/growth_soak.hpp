// Shared by the two sides of the growth soak test (tests/growth): the writer/driver (growth_soak.cpp) and the
// reader process (growth_reader.cpp), which are one executable started in two modes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace growth {

inline uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// The reader process's main loop; returns its exit status.
int run_reader(const std::string& dir, uint64_t seed, unsigned reopen_ms);

}  // namespace growth
