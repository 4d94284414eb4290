// UringPager: pages read asynchronously through an os::ReadQueue (io_uring or its fallbacks) (layer: pager).
//
// Two modes (PagerMode):
//   kPool    every page is read into the pager's BufferPool (page-aligned copies, CLOCK eviction, keyed by
//            snapshot and page number); later requests for it are pool hits. An overflow run is read as one
//            multi-page read; runs longer than `max_cached_run` pages are read into transient buffers that
//            live as long as their PageRefs. Independent of the map and of the page cache's state. With
//            `direct_io` (the default) reads bypass the page cache (O_DIRECT, when the file system supports it
//            and the page size is a multiple of 4 KiB): no second copy in the page cache, about half the
//            kernel CPU per read. Coherent with writers: the kernel writes dirty cached pages of the range
//            back before a direct read, and committed pages are never rewritten while a snapshot reads them.
//   kHybrid  zero-copy for resident pages: a page is answered from the map at once when it is known to be in
//            the page cache (a residency mark, or else a mincore probe, which marks the resident pages of the
//            whole aligned window of kProbeWindow pages around it, so that warm data costs one system call
//            per window and not per page); a cold page is read through the queue into a scratch buffer, which
//            brings it into the page cache: the requests that waited for it use that buffer (pinned, freed
//            with their last PageRef; a fault to map the page is saved), later ones use the map. When probes
//            keep finding cold pages, unmarked pages are read without probing (one request in 16 still
//            probes, to notice the data warming up). Marks expire after one to two residency epochs of
//            `residency_ms`, so that a page the kernel has evicted since is probed again; until then an
//            evicted page costs one synchronous fault (correct, only slower).
// Reads go through a private read-only descriptor of the data file with read-ahead off (a cold random read
// brings in one page, not a window).
//
// A full pool (every frame pinned or loading) does not fail a request while reads are in flight: the request
// waits ("starved") and is retried by poll(). It fails with ENOBUFS only when a poll finds no read in flight
// and wakes nobody, so that no frame can come free by itself (every one is pinned by a PageRef kept).
// Failure behaviour: a read error or a short read (past the end of the file) fails every waiter on it with
// the errno or MDB_PAGE_NOTFOUND; in kPool a page whose header names another page number is MDB_CORRUPTED.
// Nothing is cached from a failed read.
// Thread-safety: one thread. The pager must outlive every PageRef it handed out.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "os/uring.hpp"
#include "pager/buffer_pool.hpp"
#include "pager/pager.hpp"

namespace aspen::pager {

enum class PagerMode : uint8_t { kPool, kHybrid };

struct UringPagerOptions {
  PagerMode mode = PagerMode::kHybrid;
  // kPool: the cache, in pages. kHybrid: scratch buffers, i.e. cold reads outstanding at most.
  size_t pool_pages = 16384;
  size_t max_cached_run = 0;        // kPool: longer runs are not cached; 0 = pool_pages / 8
  bool direct_io = true;            // kPool: O_DIRECT reads where possible (see above)
  bool prefault_pool = false;       // kPool: back the pool with memory at open (BufferPool::create)
  uint32_t residency_ms = 200;      // kHybrid: length of a residency epoch (marks live one to two)
  os::ReadQueueOptions queue;
};

class UringPager final : public Pager {
 public:
  // `fd`: the data file. `map`: its mapping's first byte (page 0), used in kHybrid; it must stay mapped,
  // at this address, for the pager's life (Aspen's map never moves).
  static Result<std::unique_ptr<UringPager>> open(int fd, size_t page_size, const std::byte* map,
                                                  const UringPagerOptions& options);
  ~UringPager() override;

  size_t page_size() const override { return page_size_; }
  Result<bool> fetch(const PageRequest& request, PageRef* out, Waiter* waiter) override;
  Result<size_t> poll(bool wait) override;
  int event_fd() const override { return queue_->event_fd(); }
  size_t reads_pending() const override { return queue_->outstanding() + backlog_.size() + starved_.size(); }
  PagerStats stats() const override;

  PagerMode mode() const { return options_.mode; }
  os::ReadBackend backend() const { return queue_->backend(); }
  bool direct() const { return direct_; }

 private:
  UringPager(int fd, size_t page_size, const std::byte* map, const UringPagerOptions& options);
  struct Starved {
    PageRequest request;
    Waiter* waiter;
  };
  Result<bool> dispatch(const PageRequest& request, PageRef* out, Waiter* waiter);
  // Allocates a frame and starts its read; a full pool with reads in flight parks the request in starved_.
  Result<bool> read_into_new_frame(const PageRequest& request, uint64_t key, bool index, Waiter* waiter);
  void retry_starved();
  Result<bool> fetch_pool(const PageRequest& request, PageRef* out, Waiter* waiter);
  Result<bool> fetch_hybrid(const PageRequest& request, PageRef* out, Waiter* waiter);
  // Starts (or backlogs, when the queue is full) the read filling `frame`, with `waiter` as its first waiter.
  Status start_read(Frame* frame, Waiter* waiter);
  Status issue_backlog();
  // Finishes `frame`'s read and moves its waiters to wake_.
  void complete(Frame* frame, int64_t result);
  void fail_waiters(Frame* frame, const Error& error);
  bool marked_resident(uint64_t pgno, unsigned count) const;
  void mark_resident(uint64_t pgno, unsigned count);
  void advance_epoch();
  // Probes the window around the request, marks what is resident; true when the whole request is.
  bool probe(const PageRequest& request);

  int fd_;
  bool direct_ = false;
  size_t page_size_;
  const std::byte* map_;
  UringPagerOptions options_;
  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<os::ReadQueue> queue_;
  std::vector<uint32_t> backlog_;  // frames whose read waits for room in the queue
  std::vector<Starved> starved_;   // requests waiting for a frame to come free
  std::vector<Waiter*> wake_;      // waiters to wake at the end of poll()
  std::vector<Waiter*> waking_;    // those being woken (a woken waiter may start reads that add to wake_)
  std::vector<uint8_t> marks_;     // kHybrid: epoch at which each page was last seen resident (0 = never)
  std::vector<unsigned char> probe_vec_;  // mincore's answer
  int probe_score_ = 16;                  // recent probes' success: +2 resident, -1 cold (0..16)
  uint32_t probes_skipped_ = 0;
  uint8_t epoch_ = 1;
  uint32_t until_clock_check_ = 0;   // fetches before the clock is read again
  int64_t epoch_end_ns_ = 0;         // when the current epoch ends (steady clock)
  PagerStats stats_;
};

}  // namespace aspen::pager
