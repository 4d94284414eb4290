// Process facts (layer: os). See process.hpp.
#include "os/process.hpp"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace aspen::os {

pid_t pid() { return ::getpid(); }

uint64_t thread_id() {
  static_assert(sizeof(pthread_t) == sizeof(uint64_t), "LMDB 0.9 on x86-64 stores pthread_t in 8 bytes");
  pthread_t self = ::pthread_self();
  uint64_t id = 0;
  std::memcpy(&id, &self, sizeof id);
  return id;
}

size_t page_size() {
  static const size_t kPageSize = [] {
    long size = ::sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<size_t>(size) : size_t{4096};
  }();
  return kPageSize;
}

bool forked_since(pid_t recorded) { return pid() != recorded; }

namespace detail {
std::atomic<uint64_t> fork_generation{0};
}  // namespace detail

namespace {

void count_fork_in_child() { detail::fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered when the library is loaded, so that fork_generation() is one relaxed load (it runs on every
// point read and cursor step).
[[maybe_unused]] const bool g_fork_counter_registered = ::pthread_atfork(nullptr, nullptr, count_fork_in_child) == 0;

}  // namespace

uint64_t monotonic_ms() {
  struct timespec ts;
  if (::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace aspen::os
