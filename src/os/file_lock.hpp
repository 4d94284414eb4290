// fcntl byte-range locks (layer: os): the POSIX record locks LMDB 0.9 uses on lock.mdb.
//
// LMDB uses classic POSIX locks (F_SETLK/F_SETLKW/F_GETLK, not open-file-description locks), so Aspen does too:
// an LMDB process and an Aspen process see each other's locks. Properties callers must keep in mind:
//   - Locks belong to the process, not to the fd or the thread: a second lock by the same process on the same
//     range converts the first (this is how an exclusive lock is downgraded to shared), and threads of one
//     process never conflict with each other.
//   - Closing ANY fd of the file drops ALL of this process's locks on it.
//   - A forked child holds none of its parent's locks.
//
// Thread-safety: the functions are thread-safe (they are single fcntl calls), but see "belong to the process".
#pragma once

#include <cstdint>

#include "util/result.hpp"

namespace aspen::os {

enum class LockMode { kShared, kExclusive, kUnlock };

// The code lock_range returns when a non-waiting request conflicts with another process's lock. The kernel
// says EAGAIN or EACCES for that; both come back as kLockBusy.
inline constexpr int kLockBusy = 11;  // EAGAIN on Linux
inline bool is_lock_busy(const Status& s) { return !s.ok() && s.code() == kLockBusy; }

// Sets (kShared/kExclusive) or clears (kUnlock) the lock on bytes [start, start+len) of `fd`; len == 0 means
// "to the end of the file, however long it grows". With `wait` the call blocks until the lock is granted
// (retrying EINTR); without it a conflict returns kLockBusy. Other errors (EBADF, EDEADLK, ENOLCK) are returned.
Status lock_range(int fd, uint64_t start, uint64_t len, LockMode mode, bool wait);

// True if another process holds a lock on [start, start+len) that would conflict with an exclusive lock
// (F_GETLK). Locks held by this process never count.
Result<bool> range_locked_by_other(int fd, uint64_t start, uint64_t len);

}  // namespace aspen::os
