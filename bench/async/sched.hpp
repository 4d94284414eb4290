// Run-queue wait of the calling thread, for bench/async: on a shared machine a run is slow either because it
// waits for the device or because it waits for a CPU; /proc/thread-self/schedstat tells the second apart
// (its second field: nanoseconds spent runnable but not running). Plain C++ only (see lmdb_reader.hpp).
#pragma once

#include <cstdio>

namespace aspen::async_bench {

// Seconds the calling thread has waited on a run queue since it started; 0 when schedstat is unavailable.
inline double runq_seconds_now() {
  std::FILE* f = std::fopen("/proc/thread-self/schedstat", "r");
  if (!f) return 0;
  unsigned long long on_cpu = 0, waiting = 0;
  const int got = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  return got == 2 ? static_cast<double>(waiting) / 1e9 : 0;
}

}  // namespace aspen::async_bench
