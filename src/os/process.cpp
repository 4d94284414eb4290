// Process facts (layer: os). See process.hpp.
#include "os/process.hpp"

#include <pthread.h>
#include <unistd.h>

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

}  // namespace aspen::os
