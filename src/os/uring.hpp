// ReadQueue: asynchronous positional reads (layer: os) through io_uring, or through a thread pool or plain
// pread when io_uring is unavailable, behind one interface. Also the two calls the hybrid pager needs beside
// it: a residency probe (mincore) and a read-only descriptor with read-ahead off.
//
// Model: queue_read() records a read (nothing reaches the kernel yet); submit() hands every queued read over
// in one batch (one io_uring_enter for the ring) and may wait for a completion; reap() collects finished reads
// as (tag, result) pairs. A read completes whole: the queue re-issues the rest of a short transfer itself, so
// `result` is the byte count asked for, fewer only at end of file, or -errno.
//
// Backends:
//   kUring    io_uring (liburing, built with ASPEN_WITH_URING). event_fd() is the ring's fd: poll it for
//             POLLIN to learn that completions are waiting (an event loop adds it to its own epoll set).
//   kThreads  worker threads doing pread (through io(): faults can be injected); event_fd() is an eventfd.
//   kSync     submit() performs every queued read at once with pread (through io()); event_fd() an eventfd.
//   kAuto     io_uring when the kernel lets this process create a ring (sandboxes refuse with EPERM or
//             ENOSYS, /proc/sys/kernel/io_uring_disabled may forbid it), the thread pool otherwise.
// io_uring reads bypass the io() hooks: tests that inject read faults use kThreads or kSync.
//
// Invariants: at most depth() reads are outstanding (queued + in flight + completed but not reaped); each
// outstanding read's buffer must stay valid until its completion is reaped, and so must the queue itself
// (destroying a queue with reads in flight waits for them).
// Thread-safety: one thread uses a ReadQueue (the thread pool's workers are internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "util/result.hpp"

namespace aspen::os {

enum class ReadBackend : uint8_t { kAuto, kUring, kThreads, kSync };
const char* backend_name(ReadBackend backend);

struct ReadCompletion {
  uint64_t tag;
  int64_t result;  // bytes read (== requested unless end of file), or -errno
};

struct ReadQueueOptions {
  unsigned depth = 256;                      // outstanding reads at most
  ReadBackend backend = ReadBackend::kAuto;  // what to use; kAuto picks at run time
  unsigned threads = 4;                      // workers of the kThreads backend
};

class ReadQueue {
 public:
  // Opens a queue. An explicit kUring fails with the kernel's errno (EPERM, ENOSYS, ...) when io_uring is
  // unavailable, or ENOTSUP when Aspen was built without liburing; kAuto falls back instead.
  static Result<std::unique_ptr<ReadQueue>> open(const ReadQueueOptions& options);
  virtual ~ReadQueue() = default;

  virtual ReadBackend backend() const = 0;
  unsigned depth() const { return depth_; }
  // Reads queued, in flight or completed but not yet reaped.
  unsigned outstanding() const { return outstanding_; }
  bool full() const { return outstanding_ >= depth_; }

  // Queues a read of `n` bytes at `off` of `fd` into `buf`. EBUSY when full(). REQUIRES: n > 0.
  virtual Status queue_read(int fd, void* buf, size_t n, uint64_t off, uint64_t tag) = 0;
  // Hands the queued reads over. With `wait` and reads outstanding but none completed, blocks until one is.
  virtual Status submit(bool wait) = 0;
  // Moves up to out.size() completions into `out`; returns how many.
  virtual size_t reap(std::span<ReadCompletion> out) = 0;
  // A descriptor that polls readable while completions wait to be reaped (see the backends above).
  virtual int event_fd() const = 0;

 protected:
  explicit ReadQueue(unsigned depth) : depth_(depth) {}
  unsigned depth_;
  unsigned outstanding_ = 0;
};

// For tests: makes io_uring look unavailable (as a sandbox's EPERM would) to every queue opened from now on,
// so that kAuto takes the fallback. Process-wide.
void set_uring_disabled_for_testing(bool disabled);
// Whether this build has io_uring support compiled in (ASPEN_WITH_URING and liburing found).
bool uring_compiled_in();

// Residency of [addr, addr + len) in the page cache (mincore): true when every page is resident. `addr`
// must be page-aligned and inside a mapping. Errors (ENOMEM outside a mapping, ...) come back as values.
Result<bool> resident(const void* addr, size_t len);
// Per-page residency of [addr, addr + len): vec[i] & 1 for page i (mincore). Same rules as resident().
Status residency(const void* addr, size_t len, unsigned char* vec);
// A new read-only descriptor of the file `fd` refers to (through /proc/self/fd), with its own file position
// and read-ahead state set to random access (POSIX_FADV_RANDOM): a cold 4 KiB read then brings in 4 KiB, not
// a read-ahead window. With `direct`, the descriptor bypasses the page cache (O_DIRECT: reads must then be
// aligned to the file system's block size, in buffers so aligned) when the file system allows it, and is a
// plain one otherwise; `*is_direct` says which. The caller closes it. The file must carry no fcntl locks of
// this process that closing it would drop (data.mdb carries none; lock.mdb does).
Result<int> open_for_random_reads(int fd, bool direct = false, bool* is_direct = nullptr);
void close_fd(int fd);

}  // namespace aspen::os
