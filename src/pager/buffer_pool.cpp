// BufferPool (layer: pager). See buffer_pool.hpp.
#include "pager/buffer_pool.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "os/io_hooks.hpp"

namespace aspen::pager {

void pin(Frame* frame) { ++frame->pins; }

void unpin(Frame* frame) {
  if (--frame->pins == 0) frame->pool->on_unpinned(frame);
}

Result<std::unique_ptr<BufferPool>> BufferPool::create(size_t page_size, size_t capacity_pages, bool prefault) {
  if (page_size == 0 || capacity_pages == 0) return ASPEN_ERROR(EINVAL);
  auto* slab = static_cast<std::byte*>(os::io().aligned_alloc(page_size, page_size * capacity_pages));
  if (!slab) return ASPEN_ERROR(ENOMEM);
  if (prefault) std::memset(slab, 0, page_size * capacity_pages);
  std::unique_ptr<BufferPool> pool(new (std::nothrow) BufferPool(page_size, capacity_pages, slab));
  if (!pool) {
    std::free(slab);
    return ASPEN_ERROR(ENOMEM);
  }
  return pool;
}

BufferPool::BufferPool(size_t page_size, size_t capacity_pages, std::byte* slab)
    : page_size_(page_size), slab_(slab), frames_(capacity_pages) {
  free_slots_.reserve(capacity_pages);
  for (size_t i = capacity_pages; i > 0; --i) free_slots_.push_back(static_cast<uint32_t>(i - 1));
  for (size_t i = 0; i < capacity_pages; ++i) {
    frames_[i].slot = static_cast<uint32_t>(i);
    frames_[i].pool = this;
  }
  size_t size = 2;
  unsigned bits = 1;
  while (size < 2 * capacity_pages) size <<= 1, ++bits;
  index_.assign(size, Entry{0, 0, kEmpty});
  shift_ = 64 - bits;
}

size_t BufferPool::index_find(uint64_t snapshot, uint64_t pgno) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = home(snapshot, pgno);; i = (i + 1) & mask) {
    const Entry& e = index_[i];
    if (e.slot == kEmpty || (e.pgno == pgno && e.snapshot == snapshot)) return i;
  }
}

void BufferPool::index_insert(uint64_t snapshot, uint64_t pgno, uint32_t slot) {
  index_[index_find(snapshot, pgno)] = Entry{snapshot, pgno, slot};
}

void BufferPool::index_erase(size_t at) {
  const size_t mask = index_.size() - 1;
  size_t hole = at;
  for (size_t j = (at + 1) & mask; index_[j].slot != kEmpty; j = (j + 1) & mask) {
    const size_t want = home(index_[j].snapshot, index_[j].pgno);
    // Move entry j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
    if (!stays) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole].slot = kEmpty;
}

BufferPool::~BufferPool() {
  // REQUIRES: no PageRef outlives the pool, no read into it is in flight.
  for (Frame& f : frames_)
    if (f.own_memory) std::free(f.data);
  std::free(slab_);
}

Frame* BufferPool::find(uint64_t snapshot, uint64_t pgno) {
  const Entry& e = index_[index_find(snapshot, pgno)];
  return e.slot == kEmpty ? nullptr : &frames_[e.slot];
}

Result<Frame*> BufferPool::allocate(uint64_t snapshot, uint64_t pgno, uint32_t pages, bool index) {
  const size_t budget = index ? pages : 0;
  while (free_slots_.empty() || used_pages_ + budget > frames_.size()) {
    if (!evict_one()) return ASPEN_ERROR(ENOBUFS);
  }
  const uint32_t slot = free_slots_.back();
  Frame& f = frames_[slot];
  if (pages > 1) {
    f.data = static_cast<std::byte*>(os::io().aligned_alloc(page_size_, page_size_ * pages));
    if (!f.data) return ASPEN_ERROR(ENOMEM);
    f.own_memory = true;
  } else {
    f.data = slab_ + slot * page_size_;
    f.own_memory = false;
  }
  free_slots_.pop_back();
  f.snapshot = snapshot;
  f.pgno = pgno;
  f.pages = pages;
  f.pins = 0;
  f.state = Frame::State::kLoading;
  f.referenced = false;
  f.indexed = index;
  f.waiters = nullptr;
  if (index) {
    index_insert(snapshot, pgno, slot);
    used_pages_ += pages;
  }
  return &f;
}

void BufferPool::forget(Frame* frame) {
  if (frame->indexed) {
    index_erase(index_find(frame->snapshot, frame->pgno));
    used_pages_ -= frame->pages;
    frame->indexed = false;
  }
  if (frame->pins == 0 && frame->state != Frame::State::kLoading) free_frame(*frame);
}

void BufferPool::on_unpinned(Frame* frame) {
  if (!frame->indexed && frame->state != Frame::State::kLoading) free_frame(*frame);
}

void BufferPool::free_frame(Frame& f) {
  if (f.own_memory) std::free(f.data);
  f.data = nullptr;
  f.own_memory = false;
  f.state = Frame::State::kFree;
  f.waiters = nullptr;
  free_slots_.push_back(f.slot);
}

bool BufferPool::evict_one() {
  const size_t n = frames_.size();
  for (size_t step = 0; step < 2 * n; ++step) {
    Frame& f = frames_[hand_];
    hand_ = hand_ + 1 == n ? 0 : hand_ + 1;
    if (f.state != Frame::State::kReady || !f.indexed || f.pins > 0) continue;
    if (f.referenced) {
      f.referenced = false;
      continue;
    }
    ++evictions_;
    forget(&f);
    return true;
  }
  return false;
}

}  // namespace aspen::pager
