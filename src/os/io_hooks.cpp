// IoHooks: the real system-call table and the FaultInjector (layer: os). See io_hooks.hpp.
#include "os/io_hooks.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace aspen::os {
namespace {

ssize_t real_pwrite(int fd, const void* buf, size_t n, off_t off) { return ::pwrite(fd, buf, n, off); }
ssize_t real_pwritev(int fd, const struct iovec* iov, int count, off_t off) { return ::pwritev(fd, iov, count, off); }
ssize_t real_pread(int fd, void* buf, size_t n, off_t off) { return ::pread(fd, buf, n, off); }
int real_fdatasync(int fd) { return ::fdatasync(fd); }
int real_fsync(int fd) { return ::fsync(fd); }
int real_msync(void* addr, size_t len, int flags) { return ::msync(addr, len, flags); }
int real_ftruncate(int fd, off_t len) { return ::ftruncate(fd, len); }
int real_fallocate(int fd, off_t off, off_t len) { return ::fallocate(fd, 0, off, len); }
void* real_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  return ::mmap(addr, len, prot, flags, fd, off);
}
int real_open(const char* path, int flags, mode_t mode) { return ::open(path, flags, mode); }
void* real_mremap(void* addr, size_t old_len, size_t new_len, int flags) {
  return ::mremap(addr, old_len, new_len, flags);
}
void* real_aligned_alloc(size_t alignment, size_t size) { return std::aligned_alloc(alignment, size); }

const IoHooks kRealHooks = {real_pwrite, real_pwritev,   real_pread,     real_fdatasync, real_fsync,
                            real_msync,  real_ftruncate, real_fallocate, real_mmap,      real_open,
                            real_mremap, real_aligned_alloc};

// The FaultInjector currently installed (at most one).
std::atomic<FaultInjector*> g_injector{nullptr};

FaultInjector& injector() { return *g_injector.load(std::memory_order_acquire); }

// Applies the injector's decision for one call. Returns true when the call must fail (errno set).
bool should_fail(IoOp op, FaultInjector::Decision* d) {
  *d = injector().decide(op);
  if (!d->fail) return false;
  errno = d->error;
  return true;
}

void trace(IoOp op, int fd, uint64_t off, uint64_t len, int64_t result) {
  int error = result < 0 ? errno : 0;
  injector().record(IoTraceEntry{op, fd, off, len, result, error});
  errno = error;
}

size_t iov_total(const struct iovec* iov, int count) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  return total;
}

ssize_t hook_pwrite(int fd, const void* buf, size_t n, off_t off) {
  FaultInjector::Decision d;
  ssize_t r = should_fail(IoOp::kPwrite, &d) ? -1 : real_pwrite(fd, buf, n < d.short_bytes ? n : d.short_bytes, off);
  trace(IoOp::kPwrite, fd, static_cast<uint64_t>(off), n, r);
  return r;
}

// A short pwritev writes the first `limit` bytes of the vector as one pwritev over a trimmed copy.
ssize_t short_pwritev(int fd, const struct iovec* iov, int count, off_t off, size_t limit) {
  std::vector<struct iovec> trimmed;
  for (int i = 0; i < count && limit > 0; ++i) {
    size_t len = iov[i].iov_len < limit ? iov[i].iov_len : limit;
    trimmed.push_back({iov[i].iov_base, len});
    limit -= len;
  }
  if (trimmed.empty()) return 0;
  return real_pwritev(fd, trimmed.data(), static_cast<int>(trimmed.size()), off);
}

ssize_t hook_pwritev(int fd, const struct iovec* iov, int count, off_t off) {
  FaultInjector::Decision d;
  ssize_t r = -1;
  if (!should_fail(IoOp::kPwritev, &d)) {
    r = d.short_bytes == SIZE_MAX ? real_pwritev(fd, iov, count, off)
                                  : short_pwritev(fd, iov, count, off, d.short_bytes);
  }
  trace(IoOp::kPwritev, fd, static_cast<uint64_t>(off), iov_total(iov, count), r);
  return r;
}

ssize_t hook_pread(int fd, void* buf, size_t n, off_t off) {
  FaultInjector::Decision d;
  ssize_t r = should_fail(IoOp::kPread, &d) ? -1 : real_pread(fd, buf, n < d.short_bytes ? n : d.short_bytes, off);
  trace(IoOp::kPread, fd, static_cast<uint64_t>(off), n, r);
  return r;
}

int hook_fdatasync(int fd) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kFdatasync, &d) ? -1 : real_fdatasync(fd);
  trace(IoOp::kFdatasync, fd, 0, 0, r);
  return r;
}

int hook_fsync(int fd) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kFsync, &d) ? -1 : real_fsync(fd);
  trace(IoOp::kFsync, fd, 0, 0, r);
  return r;
}

int hook_msync(void* addr, size_t len, int flags) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kMsync, &d) ? -1 : real_msync(addr, len, flags);
  trace(IoOp::kMsync, -1, reinterpret_cast<uintptr_t>(addr), len, r);
  return r;
}

int hook_ftruncate(int fd, off_t len) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kFtruncate, &d) ? -1 : real_ftruncate(fd, len);
  trace(IoOp::kFtruncate, fd, static_cast<uint64_t>(len), 0, r);
  return r;
}

int hook_fallocate(int fd, off_t off, off_t len) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kFallocate, &d) ? -1 : real_fallocate(fd, off, len);
  trace(IoOp::kFallocate, fd, static_cast<uint64_t>(off), static_cast<uint64_t>(len), r);
  return r;
}

void* hook_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  FaultInjector::Decision d;
  void* r = should_fail(IoOp::kMmap, &d) ? MAP_FAILED : real_mmap(addr, len, prot, flags, fd, off);
  trace(IoOp::kMmap, fd, static_cast<uint64_t>(off), len, r == MAP_FAILED ? -1 : 0);
  return r;
}

int hook_open(const char* path, int flags, mode_t mode) {
  FaultInjector::Decision d;
  int r = should_fail(IoOp::kOpen, &d) ? -1 : real_open(path, flags, mode);
  trace(IoOp::kOpen, r, 0, 0, r);
  return r;
}

void* hook_mremap(void* addr, size_t old_len, size_t new_len, int flags) {
  FaultInjector::Decision d;
  void* r = should_fail(IoOp::kMremap, &d) ? MAP_FAILED : real_mremap(addr, old_len, new_len, flags);
  trace(IoOp::kMremap, -1, old_len, new_len, r == MAP_FAILED ? -1 : 0);
  return r;
}

void* hook_aligned_alloc(size_t alignment, size_t size) {
  FaultInjector::Decision d;
  void* r = should_fail(IoOp::kAlloc, &d) ? nullptr : real_aligned_alloc(alignment, size);
  if (!r) errno = d.fail ? d.error : ENOMEM;
  trace(IoOp::kAlloc, -1, 0, size, r ? 0 : -1);
  return r;
}

const IoHooks kInjectorHooks = {hook_pwrite, hook_pwritev,   hook_pread,     hook_fdatasync, hook_fsync,
                                hook_msync,  hook_ftruncate, hook_fallocate, hook_mmap,      hook_open,
                                hook_mremap, hook_aligned_alloc};

}  // namespace

namespace detail {
std::atomic<const IoHooks*> g_io_hooks{&kRealHooks};
}

const IoHooks& real_io_hooks() { return kRealHooks; }

void set_io_hooks(const IoHooks* hooks) {
  detail::g_io_hooks.store(hooks ? hooks : &kRealHooks, std::memory_order_release);
}

void reset_io_hooks() { set_io_hooks(nullptr); }

const char* io_op_name(IoOp op) {
  static const char* const kNames[] = {"pwrite",    "pwritev", "pread", "fdatasync", "fsync",  "msync",
                                       "ftruncate", "fallocate", "mmap", "open",      "mremap", "alloc"};
  static_assert(sizeof kNames / sizeof kNames[0] == static_cast<unsigned>(IoOp::kCount));
  unsigned i = static_cast<unsigned>(op);
  return i < static_cast<unsigned>(IoOp::kCount) ? kNames[i] : "?";
}

FaultInjector::FaultInjector() : previous_(&io()) {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  g_injector.store(this, std::memory_order_release);
  set_io_hooks(&kInjectorHooks);
}

FaultInjector::~FaultInjector() {
  set_io_hooks(previous_);
  g_injector.store(nullptr, std::memory_order_release);
}

void FaultInjector::fail_nth(IoOp op, uint64_t nth, int error) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{op, nth, false, error, SIZE_MAX});
}

void FaultInjector::fail_from(IoOp op, uint64_t nth, int error) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{op, nth, true, error, SIZE_MAX});
}

void FaultInjector::short_nth(IoOp op, uint64_t nth, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{op, nth, false, 0, bytes});
}

void FaultInjector::short_from(IoOp op, uint64_t nth, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{op, nth, true, 0, bytes});
}

void FaultInjector::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
  trace_.clear();
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

uint64_t FaultInjector::count(IoOp op) const {
  return counts_[static_cast<unsigned>(op)].load(std::memory_order_relaxed);
}

void FaultInjector::set_tracing(bool on) { tracing_.store(on, std::memory_order_relaxed); }

std::vector<IoTraceEntry> FaultInjector::trace() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trace_;
}

FaultInjector::Decision FaultInjector::decide(IoOp op) {
  uint64_t n = counts_[static_cast<unsigned>(op)].fetch_add(1, std::memory_order_relaxed) + 1;
  Decision d;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Rule& rule : rules_) {
    if (rule.op != op || n < rule.nth || (!rule.sticky && n != rule.nth)) continue;
    if (rule.short_bytes != SIZE_MAX) {
      d.short_bytes = rule.short_bytes;
    } else {
      d.fail = true;
      d.error = rule.error;
    }
    break;
  }
  return d;
}

void FaultInjector::record(const IoTraceEntry& entry) {
  if (!tracing_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mu_);
  trace_.push_back(entry);
}

}  // namespace aspen::os
