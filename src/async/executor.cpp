// async::Executor (layer: async): one thread's task queue over one pager. See executor_impl.hpp.
#include <cerrno>
#include <new>
#include <utility>

#include "async/executor_impl.hpp"
#include "env/environment.hpp"
#include "pager/mmap_pager.hpp"

namespace aspen::async {
namespace {

os::ReadBackend to_os(IoBackend backend) {
  switch (backend) {
    case IoBackend::kUring: return os::ReadBackend::kUring;
    case IoBackend::kThreads: return os::ReadBackend::kThreads;
    case IoBackend::kSync: return os::ReadBackend::kSync;
    case IoBackend::kAuto: break;
  }
  return os::ReadBackend::kAuto;
}

IoBackend from_os(os::ReadBackend backend) {
  switch (backend) {
    case os::ReadBackend::kUring: return IoBackend::kUring;
    case os::ReadBackend::kThreads: return IoBackend::kThreads;
    case os::ReadBackend::kSync: return IoBackend::kSync;
    case os::ReadBackend::kAuto: break;
  }
  return IoBackend::kAuto;
}

}  // namespace

namespace detail {
void task_finished(Executor* executor) { --executor->impl().live; }

namespace {

// Per-thread caches of coroutine frames by size class (64-byte steps up to 8 KiB), each at most kCached deep.
constexpr size_t kClassBytes = 64;
constexpr size_t kClasses = 128;
constexpr size_t kCached = 256;

struct FrameCache {
  struct Free {
    Free* next;
  };
  Free* lists[kClasses] = {};
  uint16_t counts[kClasses] = {};
  ~FrameCache() {
    for (Free*& list : lists)
      while (list) ::operator delete(std::exchange(list, list->next));
  }
};

thread_local FrameCache t_frames;

}  // namespace

void* allocate_frame(size_t size) {
  const size_t c = (size + kClassBytes - 1) / kClassBytes;
  if (c < kClasses && t_frames.lists[c]) {
    --t_frames.counts[c];
    return std::exchange(t_frames.lists[c], t_frames.lists[c]->next);
  }
  return ::operator new(c < kClasses ? c * kClassBytes : size);
}

void free_frame(void* frame, size_t size) noexcept {
  const size_t c = (size + kClassBytes - 1) / kClassBytes;
  if (c >= kClasses || t_frames.counts[c] >= kCached) return ::operator delete(frame);
  ++t_frames.counts[c];
  t_frames.lists[c] = new (frame) FrameCache::Free{t_frames.lists[c]};
}
}  // namespace detail

const char* mode_name(ReadMode mode) {
  switch (mode) {
    case ReadMode::kHybrid: return "hybrid";
    case ReadMode::kPool: return "pool";
    case ReadMode::kMap: return "map";
  }
  return "?";
}

const char* backend_name(IoBackend backend) { return os::backend_name(to_os(backend)); }

Result<std::unique_ptr<Executor>> Executor::open(Env& env, const ExecutorOptions& options) {
  if (!env.is_open()) return ASPEN_ERROR(EINVAL);
  std::unique_ptr<detail::ExecutorImpl> impl(new (std::nothrow) detail::ExecutorImpl);
  if (!impl) return ASPEN_ERROR(ENOMEM);
  impl->env = &env;
  impl->environment = env.native();
  impl->options = options;
  const size_t page_size = impl->environment->geometry().page_size;
  const std::byte* map = impl->environment->map();
  if (options.mode == ReadMode::kMap) {
    impl->pager.reset(new (std::nothrow) pager::MmapPager(map, page_size));
    if (!impl->pager) return ASPEN_ERROR(ENOMEM);
  } else {
    pager::UringPagerOptions po;
    po.mode = options.mode == ReadMode::kPool ? pager::PagerMode::kPool : pager::PagerMode::kHybrid;
    po.pool_pages = options.pool_pages;
    po.residency_ms = options.residency_ms;
    po.direct_io = options.mode == ReadMode::kPool ? options.direct_io : options.direct_leaves;
    po.prefault_pool = options.prefault_pool;
    po.queue = os::ReadQueueOptions{options.queue_depth, to_os(options.backend), options.io_threads};
    ASPEN_ASSIGN(std::unique_ptr<pager::UringPager> uring,
                 pager::UringPager::open(impl->environment->data_file().fd(), page_size, map, po));
    impl->uring = uring.get();
    impl->pager = std::move(uring);
  }
  std::unique_ptr<Executor> ex(new (std::nothrow) Executor(std::move(impl)));
  if (!ex) return ASPEN_ERROR(ENOMEM);
  return ex;
}

Executor::Executor(std::unique_ptr<detail::ExecutorImpl> impl) : impl_(std::move(impl)) {}

Executor::~Executor() {
  if (impl_->live > 0) (void)run();
}

void Executor::spawn(Task<void> task) {
  auto h = task.release();
  if (!h) return;
  h.promise().owner = this;
  ++impl_->live;
  impl_->ready.push_back(h);
}

Result<size_t> Executor::run_once(bool wait) {
  detail::ExecutorImpl& x = *impl_;
  size_t resumed = 0;
  // Only the tasks ready now: those they wake run at the next step, after their reads were submitted.
  // Completions come in bursts (the device finishes many reads at once), and running a burst's tasks takes
  // longer than a read: the reads its first tasks queue are handed over while the thread runs the rest
  // (submits_per_step times per step), so that the device is not idle meanwhile.
  const size_t n = x.ready.size();
  const size_t groups = x.options.submits_per_step ? x.options.submits_per_step : 1;
  const size_t every = n / groups > 0 ? n / groups : 1;
  for (; resumed < n;) {
    std::coroutine_handle<> h = x.ready.front();
    x.ready.pop_front();
    h.resume();
    if (++resumed % every == 0 && resumed < n) ASPEN_TRY(x.pager->submit());
  }
  if (x.pager->reads_pending() > 0) {
    ASPEN_ASSIGN(size_t woken, x.pager->poll(wait && x.ready.empty()));
    (void)woken;
  }
  return resumed;
}

Status Executor::run() {
  detail::ExecutorImpl& x = *impl_;
  while (x.live > 0) {
    if (x.ready.empty() && x.pager->reads_pending() == 0) return ASPEN_ERROR(EDEADLK);
    ASPEN_ASSIGN(size_t resumed, run_once(true));
    (void)resumed;
  }
  return ok_status();
}

int Executor::event_fd() const { return impl_->pager->event_fd(); }
size_t Executor::tasks() const { return impl_->live; }
bool Executor::ready() const { return !impl_->ready.empty(); }
ReadMode Executor::mode() const { return impl_->options.mode; }
IoBackend Executor::backend() const {
  return impl_->uring ? from_os(impl_->uring->backend()) : IoBackend::kSync;
}
Env& Executor::env() const { return *impl_->env; }

ExecutorStats Executor::stats() const {
  const pager::PagerStats p = impl_->pager->stats();
  ExecutorStats s;
  s.fetches = p.fetches;
  s.hits = p.hits;
  s.reads = p.reads;
  s.read_pages = p.read_pages;
  s.joined = p.joined;
  s.residency_probes = p.residency_probes;
  s.direct_reads = p.direct_reads;
  s.evictions = p.evictions;
  s.suspensions = impl_->suspensions;
  return s;
}

}  // namespace aspen::async
