// ReadQueue backends (layer: os): io_uring, a pread thread pool, synchronous pread. See uring.hpp.
#include "os/uring.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "os/io_hooks.hpp"

#ifdef ASPEN_HAVE_LIBURING
#include <liburing.h>
#endif

namespace aspen::os {
namespace {

std::atomic<bool> g_uring_disabled{false};

// One outstanding read. `done` counts bytes already transferred (short transfers are continued).
struct Request {
  int fd = -1;
  std::byte* buf = nullptr;
  size_t n = 0;
  uint64_t off = 0;
  size_t done = 0;
  uint64_t tag = 0;
};

// Slots for depth() requests and the list of free ones.
class RequestTable {
 public:
  explicit RequestTable(unsigned depth) : requests_(depth) {
    free_.reserve(depth);
    for (unsigned i = depth; i > 0; --i) free_.push_back(i - 1);
  }
  bool full() const { return free_.empty(); }
  uint32_t take(int fd, void* buf, size_t n, uint64_t off, uint64_t tag) {
    uint32_t slot = free_.back();
    free_.pop_back();
    requests_[slot] = Request{fd, static_cast<std::byte*>(buf), n, off, 0, tag};
    return slot;
  }
  void give_back(uint32_t slot) { free_.push_back(slot); }
  Request& operator[](uint32_t slot) { return requests_[slot]; }

 private:
  std::vector<Request> requests_;
  std::vector<uint32_t> free_;
};

// pread until `n` bytes, end of file or an error other than EINTR. Returns the bytes read or -errno.
int64_t read_fully(const Request& r) {
  size_t done = r.done;
  while (done < r.n) {
    ssize_t got = io().pread(r.fd, r.buf + done, r.n - done, static_cast<off_t>(r.off + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return static_cast<int64_t>(done);
}

Result<int> make_eventfd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return ASPEN_ERROR(errno);
  return fd;
}

void signal_eventfd(int fd) {
  uint64_t one = 1;
  ssize_t rc = ::write(fd, &one, sizeof one);
  (void)rc;  // EAGAIN only when the counter would overflow: it is signalled then anyway
}

void drain_eventfd(int fd) {
  uint64_t value;
  ssize_t rc = ::read(fd, &value, sizeof value);
  (void)rc;  // EAGAIN when already clear
}

// Completions the pread backends keep until reaped, with the eventfd that says some wait.
// REQUIRES: callers hold whatever lock guards it (the thread pool's mutex; nothing for kSync).
class CompletionList {
 public:
  ~CompletionList() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open() {
    ASPEN_ASSIGN(fd_, make_eventfd());
    return ok_status();
  }
  int fd() const { return fd_; }
  bool empty() const { return done_.empty(); }
  // Moves completions into `out` and the slots they used into `slots_out`.
  size_t pop(std::span<ReadCompletion> out, std::vector<uint32_t>& slots_out) {
    size_t k = 0;
    while (k < out.size() && !done_.empty()) {
      out[k++] = done_.front().completion;
      slots_out.push_back(done_.front().slot);
      done_.pop_front();
    }
    if (done_.empty()) drain_eventfd(fd_);
    return k;
  }
  void push_slot(uint32_t slot, ReadCompletion c) {
    if (done_.empty()) signal_eventfd(fd_);
    done_.push_back({slot, c});
  }

 private:
  struct Done {
    uint32_t slot;
    ReadCompletion completion;
  };
  int fd_ = -1;
  std::deque<Done> done_;
};

// --- kSync ---------------------------------------------------------------------------------------------

class SyncQueue final : public ReadQueue {
 public:
  explicit SyncQueue(unsigned depth) : ReadQueue(depth), table_(depth) {}
  Status init() { return done_.open(); }

  ReadBackend backend() const override { return ReadBackend::kSync; }
  Status queue_read(int fd, void* buf, size_t n, uint64_t off, uint64_t tag) override {
    if (full()) return ASPEN_ERROR(EBUSY);
    queued_.push_back(table_.take(fd, buf, n, off, tag));
    ++outstanding_;
    return ok_status();
  }
  Status submit(bool) override {
    for (uint32_t slot : queued_) done_.push_slot(slot, {table_[slot].tag, read_fully(table_[slot])});
    queued_.clear();
    return ok_status();
  }
  size_t reap(std::span<ReadCompletion> out) override {
    slots_.clear();
    size_t k = done_.pop(out, slots_);
    for (uint32_t slot : slots_) table_.give_back(slot);
    outstanding_ -= static_cast<unsigned>(k);
    return k;
  }
  int event_fd() const override { return done_.fd(); }

 private:
  RequestTable table_;
  std::vector<uint32_t> queued_;
  std::vector<uint32_t> slots_;
  CompletionList done_;
};

// --- kThreads ------------------------------------------------------------------------------------------

class ThreadQueue final : public ReadQueue {
 public:
  ThreadQueue(unsigned depth, unsigned threads) : ReadQueue(depth), table_(depth), threads_(threads ? threads : 1) {}
  ~ThreadQueue() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  Status init() {
    ASPEN_TRY(done_.open());
    try {
      for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this] { work(); });
    } catch (const std::system_error& e) {
      return ASPEN_ERROR(e.code().value());
    }
    return ok_status();
  }

  ReadBackend backend() const override { return ReadBackend::kThreads; }
  Status queue_read(int fd, void* buf, size_t n, uint64_t off, uint64_t tag) override {
    if (full()) return ASPEN_ERROR(EBUSY);
    std::lock_guard<std::mutex> lock(mu_);  // the table is shared with the workers
    queued_.push_back(table_.take(fd, buf, n, off, tag));
    ++outstanding_;
    return ok_status();
  }
  Status submit(bool wait) override {
    std::unique_lock<std::mutex> lock(mu_);
    const bool any = !queued_.empty();
    for (uint32_t slot : queued_) pending_.push_back(slot);
    queued_.clear();
    if (any) work_cv_.notify_all();
    if (wait && outstanding_ > 0) done_cv_.wait(lock, [this] { return !done_.empty(); });
    return ok_status();
  }
  size_t reap(std::span<ReadCompletion> out) override {
    std::lock_guard<std::mutex> lock(mu_);
    slots_.clear();
    size_t k = done_.pop(out, slots_);
    for (uint32_t slot : slots_) table_.give_back(slot);
    outstanding_ -= static_cast<unsigned>(k);
    return k;
  }
  int event_fd() const override { return done_.fd(); }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (stop_) return;
      uint32_t slot = pending_.front();
      pending_.pop_front();
      Request r = table_[slot];
      lock.unlock();
      int64_t result = read_fully(r);
      lock.lock();
      done_.push_slot(slot, {r.tag, result});
      done_cv_.notify_one();
    }
  }

  RequestTable table_;
  unsigned threads_;
  std::mutex mu_;  // guards everything below and table_
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<uint32_t> queued_;
  std::deque<uint32_t> pending_;
  std::vector<uint32_t> slots_;
  CompletionList done_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// --- kUring --------------------------------------------------------------------------------------------

#ifdef ASPEN_HAVE_LIBURING
class UringQueue final : public ReadQueue {
 public:
  explicit UringQueue(unsigned depth) : ReadQueue(depth), table_(depth) {}
  ~UringQueue() override {
    if (!ring_open_) return;
    // The kernel may still write into buffers of reads in flight: wait for them before the ring goes.
    (void)io_uring_submit(&ring_);
    while (in_kernel_ > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
      io_uring_cqe_seen(&ring_, cqe);
      --in_kernel_;
    }
    io_uring_queue_exit(&ring_);
  }
  Status init() {
    if (g_uring_disabled.load(std::memory_order_relaxed)) return ASPEN_ERROR(EPERM);
    int rc = io_uring_queue_init(depth_, &ring_, 0);
    if (rc < 0) return ASPEN_ERROR(-rc);
    ring_open_ = true;
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    const bool can_read = probe && io_uring_opcode_supported(probe, IORING_OP_READ);
    if (probe) io_uring_free_probe(probe);
    if (!can_read) return ASPEN_ERROR(ENOSYS);  // kernels before 5.6
    return ok_status();
  }

  ReadBackend backend() const override { return ReadBackend::kUring; }
  Status queue_read(int fd, void* buf, size_t n, uint64_t off, uint64_t tag) override {
    if (full()) return ASPEN_ERROR(EBUSY);
    uint32_t slot = table_.take(fd, buf, n, off, tag);
    ++outstanding_;
    prepare(slot);
    return ok_status();
  }
  Status submit(bool wait) override {
    const unsigned want = (wait && in_kernel_ > 0 && io_uring_cq_ready(&ring_) == 0) ? 1 : 0;
    for (;;) {
      int rc = io_uring_submit_and_wait(&ring_, want);
      if (rc >= 0) return ok_status();
      if (rc != -EINTR && rc != -EAGAIN) return ASPEN_ERROR(-rc);
      if (rc == -EAGAIN && !want) return ok_status();  // resources short: the next submit retries
    }
  }
  size_t reap(std::span<ReadCompletion> out) override {
    size_t k = 0;
    io_uring_cqe* cqe = nullptr;
    while (k < out.size() && io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe) {
      auto slot = static_cast<uint32_t>(cqe->user_data);
      int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      --in_kernel_;
      Request& r = table_[slot];
      if (res == -EINTR || res == -EAGAIN) {
        prepare(slot);  // retried by the next submit()
        continue;
      }
      if (res > 0 && r.done + static_cast<size_t>(res) < r.n) {
        r.done += static_cast<size_t>(res);
        prepare(slot);  // a short transfer: read the rest
        continue;
      }
      int64_t result = res < 0 ? res : static_cast<int64_t>(r.done + static_cast<size_t>(res));
      out[k++] = {r.tag, result};
      table_.give_back(slot);
      --outstanding_;
    }
    return k;
  }
  int event_fd() const override { return ring_.ring_fd; }

 private:
  void prepare(uint32_t slot) {
    Request& r = table_[slot];
    // The SQ ring has at least depth() entries and at most depth() reads are outstanding: never null.
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_read(sqe, r.fd, r.buf + r.done, static_cast<unsigned>(r.n - r.done), r.off + r.done);
    io_uring_sqe_set_data64(sqe, slot);
    ++in_kernel_;
  }

  RequestTable table_;
  io_uring ring_{};
  bool ring_open_ = false;
  unsigned in_kernel_ = 0;  // SQEs prepared whose CQE has not been seen
};
#endif

template <class Queue, class... Args>
Result<std::unique_ptr<ReadQueue>> make_queue(Args... args) {
  std::unique_ptr<Queue> q(new (std::nothrow) Queue(args...));
  if (!q) return ASPEN_ERROR(ENOMEM);
  ASPEN_TRY(q->init());
  return std::unique_ptr<ReadQueue>(std::move(q));
}

}  // namespace

const char* backend_name(ReadBackend backend) {
  switch (backend) {
    case ReadBackend::kAuto: return "auto";
    case ReadBackend::kUring: return "io_uring";
    case ReadBackend::kThreads: return "threads";
    case ReadBackend::kSync: return "sync";
  }
  return "?";
}

Result<std::unique_ptr<ReadQueue>> ReadQueue::open(const ReadQueueOptions& options) {
  const unsigned depth = options.depth ? options.depth : 1;
  switch (options.backend) {
    case ReadBackend::kSync: return make_queue<SyncQueue>(depth);
    case ReadBackend::kThreads: return make_queue<ThreadQueue>(depth, options.threads);
    case ReadBackend::kUring:
#ifdef ASPEN_HAVE_LIBURING
      return make_queue<UringQueue>(depth);
#else
      return ASPEN_ERROR(ENOTSUP);
#endif
    case ReadBackend::kAuto: break;
  }
#ifdef ASPEN_HAVE_LIBURING
  auto ring = make_queue<UringQueue>(depth);
  if (ring.ok()) return ring;
#endif
  return make_queue<ThreadQueue>(depth, options.threads);
}

void set_uring_disabled_for_testing(bool disabled) { g_uring_disabled.store(disabled, std::memory_order_relaxed); }

bool uring_compiled_in() {
#ifdef ASPEN_HAVE_LIBURING
  return true;
#else
  return false;
#endif
}

Result<bool> resident(const void* addr, size_t len) {
  constexpr size_t kBatch = 64;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  unsigned char vec[kBatch];
  auto* p = static_cast<std::byte*>(const_cast<void*>(addr));
  size_t pages = (len + page - 1) / page;
  while (pages > 0) {
    size_t now = pages < kBatch ? pages : kBatch;
    if (::mincore(p, now * page, vec) != 0) return ASPEN_ERROR(errno);
    for (size_t i = 0; i < now; ++i)
      if (!(vec[i] & 1)) return false;
    p += now * page;
    pages -= now;
  }
  return true;
}

Status residency(const void* addr, size_t len, unsigned char* vec) {
  if (::mincore(const_cast<void*>(addr), len, vec) != 0) return ASPEN_ERROR(errno);
  return ok_status();
}

Result<int> open_for_random_reads(int fd, bool direct, bool* is_direct) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int copy = direct ? io().open(path, O_RDONLY | O_CLOEXEC | O_DIRECT, 0) : -1;
  if (is_direct) *is_direct = copy >= 0;
  if (copy >= 0) return copy;  // no read-ahead to turn off: nothing goes through the page cache
  copy = io().open(path, O_RDONLY | O_CLOEXEC, 0);
  if (copy < 0) return ASPEN_ERROR(errno);
  (void)::posix_fadvise(copy, 0, 0, POSIX_FADV_RANDOM);  // advice only: a refusal changes nothing we rely on
  return copy;
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace aspen::os
