// IoHooks: the one seam between Aspen and the kernel's I/O calls (layer: os).
//
// Every pwrite, pwritev, pread, fdatasync, fsync, msync, ftruncate, fallocate, mmap, mremap and open that Aspen
// issues goes through io(), a table of function pointers that defaults to the real system calls. A test swaps
// the table (set_io_hooks) to make the disk lie: fail the N-th write with ENOSPC, tear a write short, fail an
// fsync with EIO, refuse an mmap with ENOMEM. FaultInjector is a ready-made table for that.
// The table also holds the allocation seam: `aligned_alloc` gives the dirty-page buffers (the engine's large
// allocations), so a test can make them fail (nullptr, errno ENOMEM) the same way.
//
// Contract of every hook: the same as the libc call it replaces (return -1 or MAP_FAILED and set errno),
// except `fallocate`, which behaves like fallocate(2) with mode 0 (-1 and errno, not posix_fallocate's
// returned error number).
//
// Cost: io() is one atomic load of a pointer, then an indirect call; nothing else in release builds.
//
// Thread-safety: io() may be called from any thread. set_io_hooks/reset_io_hooks are meant for tests: swap the
// table while no other thread does I/O. The table passed in must outlive its installation. FaultInjector is
// thread-safe; at most one may be alive at a time.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace aspen::os {

struct IoHooks {
  ssize_t (*pwrite)(int fd, const void* buf, size_t n, off_t off);
  ssize_t (*pwritev)(int fd, const struct iovec* iov, int count, off_t off);
  ssize_t (*pread)(int fd, void* buf, size_t n, off_t off);
  int (*fdatasync)(int fd);
  int (*fsync)(int fd);
  int (*msync)(void* addr, size_t len, int flags);
  int (*ftruncate)(int fd, off_t len);
  int (*fallocate)(int fd, off_t off, off_t len);
  void* (*mmap)(void* addr, size_t len, int prot, int flags, int fd, off_t off);
  int (*open)(const char* path, int flags, mode_t mode);
  void* (*mremap)(void* addr, size_t old_len, size_t new_len, int flags);
  void* (*aligned_alloc)(size_t alignment, size_t size);  // memory from it is given back with free()
};

// The table of real system calls.
const IoHooks& real_io_hooks();

// Installs `hooks` (nullptr means the real calls). REQUIRES: *hooks outlives its installation.
void set_io_hooks(const IoHooks* hooks);
void reset_io_hooks();

namespace detail {
extern std::atomic<const IoHooks*> g_io_hooks;
}

// The hooks in force. Every system call of the kinds above goes through this.
inline const IoHooks& io() { return *detail::g_io_hooks.load(std::memory_order_acquire); }

// The kinds of call a test can count and fail.
enum class IoOp : unsigned { kPwrite, kPwritev, kPread, kFdatasync, kFsync, kMsync, kFtruncate, kFallocate, kMmap,
                             kOpen, kMremap, kAlloc, kCount };
const char* io_op_name(IoOp op);

// One call seen by a FaultInjector with tracing on. `offset`/`length` are 0 where the call has none.
struct IoTraceEntry {
  IoOp op;
  int fd;
  uint64_t offset;
  uint64_t length;
  int64_t result;  // the return value handed back to Aspen (-1 on an injected or real failure)
  int error;       // errno when result is -1, else 0
};

// FaultInjector installs hooks that count every call by kind, optionally trace them, and apply fault rules:
//   fail_nth(kPwrite, 2, ENOSPC)  -> the 2nd pwrite after installation returns -1/ENOSPC, others are real;
//   fail_from(kFsync, 1, EIO)     -> every fsync from the 1st on fails;
//   short_nth(kPwrite, 1, 100)    -> the 1st pwrite writes only its first 100 bytes and reports 100;
//   short_from(kPwrite, 1, 100)   -> every pwrite from the 1st on writes at most 100 bytes.
// Counting starts at 1 with installation (or clear()). Rules apply to their own kind only. Construction
// installs, destruction restores the previous table.
class FaultInjector {
 public:
  FaultInjector();
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  void fail_nth(IoOp op, uint64_t nth, int error);
  void fail_from(IoOp op, uint64_t nth, int error);
  void short_nth(IoOp op, uint64_t nth, size_t bytes);
  void short_from(IoOp op, uint64_t nth, size_t bytes);
  // Drops every rule and resets the counters and the trace.
  void clear();

  uint64_t count(IoOp op) const;
  void set_tracing(bool on);
  std::vector<IoTraceEntry> trace() const;

  // Used by the hook functions; not for tests.
  struct Decision {
    bool fail = false;
    int error = 0;
    size_t short_bytes = SIZE_MAX;  // SIZE_MAX: no truncation
  };
  Decision decide(IoOp op);
  void record(const IoTraceEntry& entry);

 private:
  struct Rule {
    IoOp op;
    uint64_t nth;
    bool sticky;
    int error;
    size_t short_bytes;
  };

  const IoHooks* previous_;
  std::atomic<uint64_t> counts_[static_cast<unsigned>(IoOp::kCount)];
  std::atomic<bool> tracing_{false};
  mutable std::mutex mu_;  // guards rules_ and trace_
  std::vector<Rule> rules_;
  std::vector<IoTraceEntry> trace_;
};

}  // namespace aspen::os
