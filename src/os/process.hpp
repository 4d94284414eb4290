// Process facts (layer: os): our pid, the calling thread's id as LMDB stores it, the OS page size, and fork
// detection.
//
// LMDB keeps a reader's pid (MDB_PID_T, a 32-bit pid_t) and thread (pthread_t, 64-bit on x86-64) in its slot of
// lock.mdb; thread_id() returns pthread_self() in exactly that representation. After fork() the child has a new
// pid, holds none of the parent's fcntl locks and must not use the parent's reader slots: code that recorded
// pid() at open compares with forked_since().
//
// Thread-safety: every function is safe to call from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace aspen::os {

// The calling process's id (getpid; not cached, so it is right in a forked child).
pid_t pid();

// The calling thread's pthread_self(), as the 64-bit integer LMDB writes in a reader slot.
uint64_t thread_id();

// The OS page size (sysconf(_SC_PAGESIZE)), read once.
size_t page_size();

// True when the calling process is not the one whose pid was `recorded`, i.e. we are a forked child.
bool forked_since(pid_t recorded);

// How many fork()s separate this process from the original one: 0 in a process that never forked since its
// first call, incremented in the child by a pthread_atfork handler (registered when the library loads). Cheap
// (one relaxed load), so hot paths may compare it with a value recorded at open to detect a forked child.
// Children made without fork() handlers (vfork, raw clone) are not counted.
namespace detail {
extern std::atomic<uint64_t> fork_generation;  // counted by a pthread_atfork handler registered at load time
}  // namespace detail
inline uint64_t fork_generation() { return detail::fork_generation.load(std::memory_order_relaxed); }

// Milliseconds of CLOCK_MONOTONIC_COARSE (system-wide: comparable between processes of one boot; resolution
// a few ms). For reader ages and leases.
uint64_t monotonic_ms();

}  // namespace aspen::os
