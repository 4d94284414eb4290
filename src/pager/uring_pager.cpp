// UringPager (layer: pager). See uring_pager.hpp.
#include "pager/uring_pager.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "page/page.hpp"

namespace aspen::pager {
namespace {

constexpr size_t kReapBatch = 64;

}  // namespace

Result<std::unique_ptr<UringPager>> UringPager::open(int fd, size_t page_size, const std::byte* map,
                                                     const UringPagerOptions& options) {
  if (options.mode == PagerMode::kHybrid && !map) return ASPEN_ERROR(EINVAL);
  // O_DIRECT needs the map too: only a residency probe licenses a direct read (residency_map.hpp).
  const bool want_direct = options.direct_io && map && page_size % 4096 == 0;
  ASPEN_ASSIGN(int own_fd, os::open_for_random_reads(fd));
  bool direct = false;
  Result<int> direct_fd = want_direct ? os::open_for_random_reads(fd, true, &direct) : Result<int>(-1);
  if (!direct_fd.ok() || !direct) {  // the file system refused O_DIRECT: a plain descriptor came back
    if (direct_fd.ok()) os::close_fd(*direct_fd);
    direct_fd = -1;
  }
  std::unique_ptr<UringPager> pager(new (std::nothrow) UringPager(own_fd, *direct_fd, page_size, map, options));
  if (!pager) {
    os::close_fd(own_fd);
    os::close_fd(*direct_fd);
    return ASPEN_ERROR(ENOMEM);
  }
  ASPEN_ASSIGN(pager->pool_, BufferPool::create(page_size, options.pool_pages, options.prefault_pool));
  ASPEN_ASSIGN(pager->queue_, os::ReadQueue::open(options.queue));
  return pager;
}

UringPager::UringPager(int fd, int direct_fd, size_t page_size, const std::byte* map, const UringPagerOptions& options)
    : fd_(fd),
      direct_fd_(direct_fd),
      page_size_(page_size),
      map_(map),
      options_(options),
      residency_(map, page_size, options.residency_ms) {
  if (options_.max_cached_run == 0) options_.max_cached_run = options_.pool_pages / 8 ? options_.pool_pages / 8 : 1;
}

UringPager::~UringPager() {
  queue_.reset();  // waits for reads in flight: their buffers are the pool's, their fds ours
  os::close_fd(fd_);
  os::close_fd(direct_fd_);
}

PagerStats UringPager::stats() const {
  PagerStats s = stats_;
  s.evictions = pool_->evictions();
  s.residency_probes = residency_.probes();
  return s;
}

Result<bool> UringPager::fetch(const PageRequest& request, PageRef* out, Waiter* waiter) {
  ++stats_.fetches;
  if (request.count == 0) return ASPEN_ERROR(EINVAL);
  return dispatch(request, out, waiter);
}

Result<bool> UringPager::dispatch(const PageRequest& request, PageRef* out, Waiter* waiter) {
  return options_.mode == PagerMode::kPool ? fetch_pool(request, out, waiter) : fetch_hybrid(request, out, waiter);
}

Result<bool> UringPager::use_frame(Frame* frame, PageRef* out, Waiter* waiter) {
  if (frame->state == Frame::State::kReady) {
    ++stats_.hits;
    frame->referenced = true;
    pin(frame);
    *out = PageRef(frame->data, frame);
    return true;
  }
  ++stats_.joined;
  waiter->next = frame->waiters;
  frame->waiters = waiter;
  return false;
}

Result<bool> UringPager::read_into_new_frame(const PageRequest& request, bool direct, bool index, Waiter* waiter) {
  Result<Frame*> fresh = pool_->allocate(request.snapshot, request.pgno, request.count, index);
  if (!fresh.ok()) {
    if (fresh.code() != ENOBUFS) return fresh.error();
    // Frames come free as reads complete and as tasks holding pins move on; poll() decides when none can.
    starved_.push_back({request, waiter});
    return false;
  }
  (*fresh)->direct = direct;
  ASPEN_TRY(start_read(*fresh, waiter));
  return false;
}

void UringPager::retry_starved() {
  std::vector<Starved> retry;
  retry.swap(starved_);
  for (const Starved& s : retry) {
    PageRef ref;
    Result<bool> now = dispatch(s.request, &ref, s.waiter);
    if (!now.ok()) {
      s.waiter->failed = true;
      s.waiter->error = now.error();
      wake_.push_back(s.waiter);
    } else if (*now) {
      s.waiter->page = std::move(ref);
      wake_.push_back(s.waiter);
    }
  }
  // Frames come free when reads in flight complete, or when the waiters woken by this poll move on.
  if (queue_->outstanding() + backlog_.size() > 0 || !wake_.empty()) return;
  for (const Starved& s : starved_) {  // no frame will come free by itself
    s.waiter->failed = true;
    s.waiter->error = ASPEN_ERROR(ENOBUFS);
    wake_.push_back(s.waiter);
  }
  starved_.clear();
}

bool UringPager::read_directly(const PageRequest& request) {
  return direct_usable() && residency_.probe(request) == Residency::kNotResident;
}

Result<bool> UringPager::fetch_pool(const PageRequest& request, PageRef* out, Waiter* waiter) {
  Frame* f = pool_->find(request.snapshot, request.pgno);
  if (f && f->pages >= request.count) return use_frame(f, out, waiter);
  // Not cached (or cached with another shape, which a sane file never shows): read it. A run too long to
  // cache is read into a transient frame.
  const bool cache = !f && request.count <= options_.max_cached_run;
  return read_into_new_frame(request, read_directly(request), cache, waiter);
}

Result<bool> UringPager::fetch_hybrid(const PageRequest& request, PageRef* out, Waiter* waiter) {
  residency_.tick();
  if (residency_.known_resident(request.pgno, request.count, request.shared)) return from_map(request, out);
  // A read of the page in flight, or a leaf read around the page cache: such a frame serves one more
  // request, which then reads from it (random lookups on cold data mostly read a leaf once: a second request
  // is about as rare as a third, and the frames of the pages read once are evicted).
  Frame* f = pool_->used_pages() > 0 ? pool_->find(request.snapshot, request.pgno) : nullptr;
  if (f && f->pages >= request.count) {
    Result<bool> now = use_frame(f, out, waiter);
    if (f->state == Frame::State::kReady) pool_->forget(f);  // freed with the pin just taken
    return now;
  }
  // The first read of a leaf goes around the page cache, when a probe proves that the file holds its bytes
  // (random lookups on cold data seldom read a leaf twice). A leaf read again is being reused, and a shared
  // page always is: those are read through the page cache, where they stay for the map to serve. A shared
  // page is probed only while probes pay off (if it is resident after all, its read through the page cache
  // completes inside the submit, for about the cost of a probe).
  // A run too long to keep is read into a frame nobody else finds (freed with its last pin).
  const bool index = !f && request.count <= options_.max_cached_run;
  if (!request.shared && direct_usable() && !residency_.read_directly_before(request.pgno)) {
    const Residency seen = residency_.probe(request);
    if (seen == Residency::kResident) return from_map(request, out);
    if (seen == Residency::kNotResident) {
      residency_.note_direct_read(request.pgno);
      return read_into_new_frame(request, true, index, waiter);
    }
  } else if (residency_.worth_probing() && residency_.probe(request) == Residency::kResident) {
    return from_map(request, out);
  }
  return read_into_new_frame(request, false, index, waiter);
}

Result<bool> UringPager::from_map(const PageRequest& request, PageRef* out) {
  ++stats_.hits;
  *out = PageRef(map_ + request.pgno * page_size_, nullptr);
  return true;
}

Status UringPager::start_read(Frame* frame, Waiter* waiter) {
  waiter->next = nullptr;
  frame->waiters = waiter;
  ++stats_.reads;
  stats_.read_pages += frame->pages;
  if (!backlog_.empty() || queue_->full()) {
    backlog_.push_back(frame->slot);
    return ok_status();
  }
  Status st = queue_frame(frame);
  if (!st.ok()) {
    frame->waiters = nullptr;
    frame->state = Frame::State::kReady;
    pool_->forget(frame);
  }
  return st;
}

Status UringPager::queue_frame(Frame* frame) {
  if (direct_refused_) frame->direct = false;
  if (frame->direct) ++stats_.direct_reads;
  return queue_->queue_read(frame->direct ? direct_fd_ : fd_, frame->data, frame->pages * page_size_,
                            frame->pgno * page_size_, frame->slot);
}

Status UringPager::issue_backlog() {
  size_t issued = 0;
  while (issued < backlog_.size() && !queue_->full()) {
    Frame* f = pool_->frame(backlog_[issued++]);
    Status st = queue_frame(f);
    if (!st.ok()) {
      fail_waiters(f, st.error());
    }
  }
  backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(issued));
  return ok_status();
}

void UringPager::fail_waiters(Frame* frame, const Error& error) {
  for (Waiter* w = frame->waiters; w; w = w->next) {
    w->failed = true;
    w->error = error;
    wake_.push_back(w);
  }
  frame->waiters = nullptr;
  frame->state = Frame::State::kReady;
  pool_->forget(frame);
}

void UringPager::complete(Frame* frame, int64_t result) {
  if (result == -EINVAL && frame->direct) {
    // The file system took the O_DIRECT open but refuses the read (alignment): through the page cache, now
    // and from now on. (The descriptor stays open: reads queued on it may still be in flight.)
    direct_refused_ = true;
    frame->direct = false;
    backlog_.push_back(frame->slot);
    return;
  }
  const uint64_t expected = uint64_t{frame->pages} * page_size_;
  if (result < 0) return fail_waiters(frame, ASPEN_PAGE_ERROR(static_cast<int>(-result), frame->pgno));
  if (static_cast<uint64_t>(result) < expected)
    return fail_waiters(frame, ASPEN_PAGE_ERROR(code::kPageNotFound, frame->pgno));
  const bool hybrid = options_.mode == PagerMode::kHybrid;
  if (!hybrid && page::page_number(frame->data) != frame->pgno)
    return fail_waiters(frame, ASPEN_PAGE_ERROR(code::kCorrupted, frame->pgno));
  if (hybrid && !frame->direct) residency_.mark(frame->pgno, frame->pages);
  frame->state = Frame::State::kReady;
  frame->referenced = true;
  for (Waiter* w = frame->waiters; w; w = w->next) {
    pin(frame);
    w->page = PageRef(frame->data, frame);
    wake_.push_back(w);
  }
  frame->waiters = nullptr;
  // kHybrid: the waiters use the copy they waited for (no page fault to map it). A copy read through the page
  // cache goes with their last pin: later requests use the map. One read around it stays for one request.
  if (hybrid && !frame->direct) pool_->forget(frame);
}

Status UringPager::submit() {
  ASPEN_TRY(issue_backlog());
  return queue_->submit(false);
}

Result<size_t> UringPager::poll(bool wait) {
  ASPEN_TRY(issue_backlog());
  ASPEN_TRY(queue_->submit(wait && wake_.empty()));
  os::ReadCompletion batch[kReapBatch];
  for (;;) {
    size_t n = queue_->reap(batch);
    for (size_t i = 0; i < n; ++i) complete(pool_->frame(static_cast<uint32_t>(batch[i].tag)), batch[i].result);
    if (n < kReapBatch) break;
  }
  if (!starved_.empty()) retry_starved();
  if (!backlog_.empty()) {
    ASPEN_TRY(issue_backlog());
    ASPEN_TRY(queue_->submit(false));
  }
  // Wake last: a waiter may fetch again right away, which may allocate frames or queue reads.
  waking_.swap(wake_);
  for (Waiter* w : waking_) w->ready(w);
  const size_t woken = waking_.size();
  waking_.clear();
  return woken;
}

}  // namespace aspen::pager
