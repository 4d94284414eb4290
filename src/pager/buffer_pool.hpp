// BufferPool: page-aligned copies of file pages, found by (snapshot, page number), evicted by CLOCK
// (layer: pager).
//
// Memory: one slab of `capacity_pages` page-aligned pages, one per frame slot, holds single pages; an
// overflow run (several pages) gets its own page-aligned allocation, counted against the same capacity.
// Frames:
//   - kLoading: a read is filling it; waiters queue on it. Never evicted.
//   - kReady: holds the pages. Evictable when unpinned (no PageRef to it) and not referenced since the clock
//     hand last passed (the second-chance bit is set by every hit).
//   - an unindexed frame (forget(), or allocated with index = false) is found by nobody and is freed as soon
//     as its last pin goes: a transient buffer.
// Invariant: used_pages() <= capacity_pages() for indexed frames; a request that cannot be met because every
// frame is pinned or loading fails with ENOBUFS (the pool is too small for the reads kept in flight).
// Thread-safety: one thread (the pager's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "pager/pager.hpp"
#include "util/result.hpp"

namespace aspen::pager {

class BufferPool;

struct Frame {
  enum class State : uint8_t { kFree, kLoading, kReady };

  uint64_t snapshot = 0;
  uint64_t pgno = 0;
  std::byte* data = nullptr;
  uint32_t pages = 0;
  uint32_t pins = 0;
  uint32_t slot = 0;
  State state = State::kFree;
  bool referenced = false;  // CLOCK's second chance
  bool indexed = false;     // findable through the pool's index
  bool own_memory = false;  // data was allocated for this frame (a run), not a slab page
  bool direct = false;      // the pager reads it with O_DIRECT
  Waiter* waiters = nullptr;
  BufferPool* pool = nullptr;
};

class BufferPool {
 public:
  // A pool of `capacity_pages` pages of `page_size` bytes (ENOMEM when the slab cannot be allocated). With
  // `prefault`, the slab is written once now, so that the kernel backs it with memory at creation rather
  // than on the first read into each frame (a fault per frame inside the read's system call, which
  // measurably slows the first pass of reads through a large pool).
  static Result<std::unique_ptr<BufferPool>> create(size_t page_size, size_t capacity_pages, bool prefault = false);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The indexed frame holding (snapshot, pgno), or null.
  Frame* find(uint64_t snapshot, uint64_t pgno);
  // A frame for `pages` pages in state kLoading, unpinned, indexed under (snapshot, pgno) when `index`.
  // Evicts as needed. ENOBUFS when nothing can be evicted, ENOMEM when a run's memory cannot be allocated.
  Result<Frame*> allocate(uint64_t snapshot, uint64_t pgno, uint32_t pages, bool index);
  // Takes a frame out of the index; it is freed now if unpinned and not loading, else with its last pin (a
  // loading frame's reader sets its state, then calls forget() again).
  void forget(Frame* frame);
  // The frame in `slot` (reads carry the slot as their tag).
  Frame* frame(uint32_t slot) { return &frames_[slot]; }
  // Called when a frame's last pin goes.
  void on_unpinned(Frame* frame);

  size_t page_size() const { return page_size_; }
  size_t capacity_pages() const { return frames_.size(); }
  size_t used_pages() const { return used_pages_; }
  uint64_t evictions() const { return evictions_; }

 private:
  // The index: open addressing with linear probing over a power-of-two table at most half full, deletion by
  // backward shift (no tombstones). One cache line per lookup in the common case.
  struct Entry {
    uint64_t snapshot;
    uint64_t pgno;
    uint32_t slot;  // kEmpty when the entry is unused
  };
  static constexpr uint32_t kEmpty = ~0u;
  size_t home(uint64_t snapshot, uint64_t pgno) const {
    return static_cast<size_t>(((pgno ^ (snapshot * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  size_t index_find(uint64_t snapshot, uint64_t pgno) const;
  void index_insert(uint64_t snapshot, uint64_t pgno, uint32_t slot);
  void index_erase(size_t at);

  BufferPool(size_t page_size, size_t capacity_pages, std::byte* slab);
  // Evicts one frame (CLOCK). False when a full double sweep found nothing evictable.
  bool evict_one();
  void free_frame(Frame& frame);

  size_t page_size_;
  std::byte* slab_;
  std::vector<Frame> frames_;
  std::vector<uint32_t> free_slots_;
  std::vector<Entry> index_;
  unsigned shift_ = 0;  // 64 - log2(index_.size())
  size_t used_pages_ = 0;
  size_t hand_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace aspen::pager
