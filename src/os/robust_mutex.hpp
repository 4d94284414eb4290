// RobustMutex: a process-shared, robust pthread mutex living in shared memory (layer: os).
//
// The 40 bytes at `mem` are a glibc x86-64 pthread_mutex_t, initialised exactly as LMDB 0.9 does for lock.mdb
// (PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST, default type), so an LMDB process and an Aspen process lock
// the same mutex. Robustness: when the owner dies holding it, the next lock() returns "owner died" (true); the
// new owner repairs what the mutex protects and calls make_consistent() BEFORE unlock(). Unlocking without
// make_consistent() makes the mutex permanently unusable (ENOTRECOVERABLE) for every process, which is why
// callers in Aspen make it consistent first and repair afterwards while still holding it.
//
// REQUIRES for every function: `mem` is 8-byte aligned, points at kSize bytes of memory shared by all users
// (MAP_SHARED), and init() ran on it once before any other use (for lock.mdb: by the exclusive opener).
// unlock() must be called by the thread that locked (glibc robust mutexes check the owner: EPERM otherwise).
// Never unmap the memory while holding the mutex: at thread exit the kernel finds held robust mutexes through
// their addresses, and an unmapped one is never marked owner-died, so every later locker blocks forever.
//
// Thread-safety: lock/unlock/make_consistent are the synchronisation; init/destroy must not race with use.
#pragma once

#include <pthread.h>

#include <cstddef>

#include "format/lock_file.hpp"
#include "util/result.hpp"

namespace aspen::os {

class RobustMutex {
 public:
  static constexpr size_t kSize = sizeof(pthread_mutex_t);
  static_assert(sizeof(pthread_mutex_t) == 40, "LMDB 0.9 lock.mdb layout needs glibc x86-64's 40-byte mutex");
  static_assert(kSize == format::kPthreadMutexSize);

  // Zeroes the memory and initialises a process-shared robust mutex in it.
  static Status init(void* mem);
  // Blocks until the mutex is ours. Returns true when the previous owner died holding it (EOWNERDEAD): we own
  // it, its data may be half-updated, and make_consistent() must be called before unlock(). Errors:
  // ENOTRECOVERABLE (an earlier owner-died was never made consistent), EINVAL (not initialised).
  // REQUIRES: the calling thread does not hold it (the default mutex type deadlocks on a second lock).
  static Result<bool> lock(void* mem);
  // Like lock() but never blocks: EBUSY when another thread or process holds it.
  static Result<bool> try_lock(void* mem);
  static Status unlock(void* mem);
  // Marks a mutex recovered after lock() returned true. REQUIRES: the caller holds it.
  static Status make_consistent(void* mem);
  // pthread_mutex_destroy. Only for memory no other process can reach (never on lock.mdb, as LMDB 0.9.24+
  // learned: ITS#9278 was reverted because destroying shared mutexes broke other processes).
  static void destroy(void* mem);
};

}  // namespace aspen::os
