// UringPager (layer: pager). See uring_pager.hpp.
#include "pager/uring_pager.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "page/page.hpp"

namespace aspen::pager {
namespace {

constexpr uint64_t kHybridKey = 0;  // kHybrid frames are scratch buffers, the same for every snapshot
constexpr size_t kReapBatch = 64;
constexpr uint64_t kProbeWindow = 64;     // pages per mincore probe (aligned)
constexpr uint32_t kClockInterval = 256;  // fetches between two readings of the clock (kHybrid)
constexpr int kMaxProbeScore = 16;
constexpr uint32_t kProbeSample = 16;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<UringPager>> UringPager::open(int fd, size_t page_size, const std::byte* map,
                                                     const UringPagerOptions& options) {
  if (options.mode == PagerMode::kHybrid && !map) return ASPEN_ERROR(EINVAL);
  const bool want_direct = options.mode == PagerMode::kPool && options.direct_io && page_size % 4096 == 0;
  bool direct = false;
  ASPEN_ASSIGN(int own_fd, os::open_for_random_reads(fd, want_direct, &direct));
  std::unique_ptr<UringPager> pager(new (std::nothrow) UringPager(own_fd, page_size, map, options));
  if (!pager) {
    os::close_fd(own_fd);
    return ASPEN_ERROR(ENOMEM);
  }
  pager->direct_ = direct;
  const bool prefault = options.mode == PagerMode::kPool && options.prefault_pool;
  ASPEN_ASSIGN(pager->pool_, BufferPool::create(page_size, options.pool_pages, prefault));
  ASPEN_ASSIGN(pager->queue_, os::ReadQueue::open(options.queue));
  return pager;
}

UringPager::UringPager(int fd, size_t page_size, const std::byte* map, const UringPagerOptions& options)
    : fd_(fd), page_size_(page_size), map_(map), options_(options) {
  if (options_.max_cached_run == 0) options_.max_cached_run = options_.pool_pages / 8 ? options_.pool_pages / 8 : 1;
  if (options_.residency_ms == 0) options_.residency_ms = 1;
  epoch_end_ns_ = now_ns() + int64_t{options_.residency_ms} * 1000000;
}

UringPager::~UringPager() {
  queue_.reset();  // waits for reads in flight: their buffers are the pool's, their fd is fd_
  os::close_fd(fd_);
}

PagerStats UringPager::stats() const {
  PagerStats s = stats_;
  s.evictions = pool_->evictions();
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

Result<bool> UringPager::read_into_new_frame(const PageRequest& request, uint64_t key, bool index, Waiter* waiter) {
  Result<Frame*> fresh = pool_->allocate(key, request.pgno, request.count, index);
  if (!fresh.ok()) {
    if (fresh.code() != ENOBUFS) return fresh.error();
    // Frames come free as reads complete and as tasks holding pins move on; poll() decides when none can.
    starved_.push_back({request, waiter});
    return false;
  }
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

Result<bool> UringPager::fetch_pool(const PageRequest& request, PageRef* out, Waiter* waiter) {
  Frame* f = pool_->find(request.snapshot, request.pgno);
  if (f && f->pages >= request.count) {
    if (f->state == Frame::State::kReady) {
      ++stats_.hits;
      f->referenced = true;
      pin(f);
      *out = PageRef(f->data, f);
      return true;
    }
    ++stats_.joined;
    waiter->next = f->waiters;
    f->waiters = waiter;
    return false;
  }
  // Not cached (or cached with another shape, which a sane file never shows): read it.
  const bool cache = !f && request.count <= options_.max_cached_run;
  return read_into_new_frame(request, request.snapshot, cache, waiter);
}

Result<bool> UringPager::fetch_hybrid(const PageRequest& request, PageRef* out, Waiter* waiter) {
  if (++until_clock_check_ >= kClockInterval) {
    until_clock_check_ = 0;
    if (now_ns() >= epoch_end_ns_) advance_epoch();
  }
  const std::byte* in_map = map_ + request.pgno * page_size_;
  if (marked_resident(request.pgno, request.count)) {
    ++stats_.hits;
    *out = PageRef(in_map, nullptr);
    return true;
  }
  Frame* f = pool_->find(kHybridKey, request.pgno);
  if (f && f->pages >= request.count) {
    ++stats_.joined;
    waiter->next = f->waiters;
    f->waiters = waiter;
    return false;
  }
  // Probe while probes pay off; when unmarked pages have mostly been cold lately, read at once (a read of a
  // page that is resident after all completes inside the submit, for about the cost of the probe), probing
  // one request in kProbeSample to notice the data warming up.
  if (probe_score_ > 0 || ++probes_skipped_ % kProbeSample == 0) {
    const bool resident = probe(request);
    probe_score_ = resident ? std::min(probe_score_ + 2, kMaxProbeScore) : std::max(probe_score_ - 1, 0);
    if (resident) {
      ++stats_.hits;
      *out = PageRef(in_map, nullptr);
      return true;
    }
  }
  return read_into_new_frame(request, kHybridKey, !f, waiter);
}

bool UringPager::probe(const PageRequest& request) {
  ++stats_.residency_probes;
  const uint64_t end = request.pgno + request.count;
  const uint64_t limit = request.limit > end ? request.limit : end;
  uint64_t first = request.pgno & ~(kProbeWindow - 1);
  uint64_t last = std::min(first + kProbeWindow, limit);
  if (last < end) first = request.pgno, last = end;  // a long run: probe exactly it
  probe_vec_.resize(last - first);
  if (!os::residency(map_ + first * page_size_, (last - first) * page_size_, probe_vec_.data()).ok()) return false;
  for (uint64_t p = first; p < last; ++p)
    if (probe_vec_[p - first] & 1) mark_resident(p, 1);
  for (uint64_t p = request.pgno; p < end; ++p)
    if (!(probe_vec_[p - first] & 1)) return false;
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
  Status st = queue_->queue_read(fd_, frame->data, frame->pages * page_size_, frame->pgno * page_size_, frame->slot);
  if (!st.ok()) {
    frame->waiters = nullptr;
    frame->state = Frame::State::kReady;
    pool_->forget(frame);
  }
  return st;
}

Status UringPager::issue_backlog() {
  size_t issued = 0;
  while (issued < backlog_.size() && !queue_->full()) {
    Frame* f = pool_->frame(backlog_[issued++]);
    Status st = queue_->queue_read(fd_, f->data, f->pages * page_size_, f->pgno * page_size_, f->slot);
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
  const uint64_t expected = uint64_t{frame->pages} * page_size_;
  if (result < 0) return fail_waiters(frame, ASPEN_PAGE_ERROR(static_cast<int>(-result), frame->pgno));
  if (static_cast<uint64_t>(result) < expected) return fail_waiters(frame, ASPEN_PAGE_ERROR(code::kPageNotFound, frame->pgno));
  const bool hybrid = options_.mode == PagerMode::kHybrid;
  if (!hybrid && page::page_number(frame->data) != frame->pgno)
    return fail_waiters(frame, ASPEN_PAGE_ERROR(code::kCorrupted, frame->pgno));
  if (hybrid) mark_resident(frame->pgno, frame->pages);
  frame->state = Frame::State::kReady;
  frame->referenced = true;
  for (Waiter* w = frame->waiters; w; w = w->next) {
    pin(frame);
    w->page = PageRef(frame->data, frame);
    wake_.push_back(w);
  }
  frame->waiters = nullptr;
  // kHybrid: the waiters use the copy they waited for (no page fault to map it); later requests find the
  // page in the page cache and use the map. The copy goes with their last pin.
  if (hybrid) pool_->forget(frame);
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

bool UringPager::marked_resident(uint64_t pgno, unsigned count) const {
  if (pgno + count > marks_.size()) return false;
  for (unsigned i = 0; i < count; ++i) {
    const uint8_t mark = marks_[pgno + i];
    if (mark == 0 || static_cast<uint8_t>(epoch_ - mark) > 1) return false;
  }
  return true;
}

void UringPager::mark_resident(uint64_t pgno, unsigned count) {
  if (pgno + count > marks_.size()) marks_.resize(std::max<size_t>(pgno + count, marks_.size() * 2), 0);
  std::memset(marks_.data() + pgno, epoch_, count);
}

void UringPager::advance_epoch() {
  epoch_end_ns_ = now_ns() + int64_t{options_.residency_ms} * 1000000;
  if (++epoch_ == 0) {  // wrapped: forget every mark rather than trust one 255 epochs old
    std::fill(marks_.begin(), marks_.end(), 0);
    epoch_ = 1;
  }
}

}  // namespace aspen::pager
