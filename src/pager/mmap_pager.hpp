// MmapPager: pages straight from the environment's memory map (layer: pager). See pager.hpp.
//
// Zero-copy and always immediate; a page not in memory is brought in by a page fault when the caller first
// touches it, stalling the thread: this is the synchronous engine's way, offered behind the Pager interface so
// the coroutine API can run over it (and be compared with the UringPager).
// Thread-safety: none needed beyond the map's; fetch() only computes an address.
#pragma once

#include "pager/pager.hpp"

namespace aspen::pager {

class MmapPager final : public Pager {
 public:
  // `map`: the first byte of the environment's map (page 0). REQUIRES: the map outlives the pager.
  MmapPager(const std::byte* map, size_t page_size) : map_(map), page_size_(page_size) {}

  size_t page_size() const override { return page_size_; }
  Result<bool> fetch(const PageRequest& request, PageRef* out, Waiter*) override {
    ++stats_.fetches;
    ++stats_.hits;
    *out = PageRef(map_ + request.pgno * page_size_, nullptr);
    return true;
  }
  Result<size_t> poll(bool) override { return size_t{0}; }
  int event_fd() const override { return -1; }
  size_t reads_pending() const override { return 0; }
  PagerStats stats() const override { return stats_; }

 private:
  const std::byte* map_;
  size_t page_size_;
  PagerStats stats_;
};

}  // namespace aspen::pager
