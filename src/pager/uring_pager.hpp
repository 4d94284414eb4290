// UringPager: pages read asynchronously through an os::ReadQueue (io_uring or its fallbacks) (layer: pager).
//
// Two modes (PagerMode):
//   kPool    every page is read into the pager's BufferPool (page-aligned copies, CLOCK eviction, keyed by
//            snapshot and page number); later requests for it are pool hits. An overflow run is read as one
//            multi-page read; runs longer than `max_cached_run` pages are read into transient buffers that
//            live as long as their PageRefs. Independent of the map.
//   kHybrid  zero-copy for resident pages: a page is answered from the map at once when it is known to be in
//            the page cache (ResidencyMap: a mark, or else a mincore probe). A page that is not is read
//            through the queue, through the page cache, into a scratch frame that its waiters use (saving the
//            fault to map it) and that goes with their last pin; later requests use the map. With
//            `direct_io`, the first read of a point lookup's leaf or overflow run (PageRequest::shared =
//            false) goes around the page cache instead, with O_DIRECT, when a probe proves it is not
//            resident: such a read costs less kernel CPU (no page to allocate, insert and copy), which pays
//            where lookups seldom read a leaf twice; its frame serves the waiters and one more request, then
//            goes, and a leaf read again (it is being reused) goes through the page cache. The pool holds only
//            these frames; they are keyed by snapshot and page number like kPool's.
// O_DIRECT (`direct_io`: the executor turns it on for kPool, and for kHybrid only when asked to; where the
// file system accepts it and the page size is a multiple of 4 KiB) is used, in both modes, only for pages
// that a probe made for the request found not in the page cache:
// a page that is dirty there (a NOSYNC commit not yet written back) is resident, so what a direct read of a
// page proven not resident returns is the snapshot's bytes (the argument is in residency_map.hpp). Every
// other read goes through the page cache. A direct read that the file system refuses (EINVAL) is read again
// through the page cache, and the pager stops using O_DIRECT.
// Reads go through private read-only descriptors of the data file, the buffered one with read-ahead off (a
// cold random read brings in one page, not a window).
//
// A full pool (every frame pinned or loading) does not fail a request while reads are in flight: the request
// waits ("starved") and is retried by poll(). It fails with ENOBUFS only when a poll finds no read in flight
// and wakes nobody, so that no frame can come free by itself (every one is pinned by a PageRef kept).
// Failure behaviour: a read error or a short read (past the end of the file) fails every waiter on it with
// the errno or MDB_PAGE_NOTFOUND; a page read into a cached frame whose header names another page number is
// MDB_CORRUPTED.
// Nothing is cached from a failed read.
// Thread-safety: one thread. The pager must outlive every PageRef it handed out.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "os/uring.hpp"
#include "pager/buffer_pool.hpp"
#include "pager/pager.hpp"
#include "pager/residency_map.hpp"

namespace aspen::pager {

enum class PagerMode : uint8_t { kPool, kHybrid };

struct UringPagerOptions {
  PagerMode mode = PagerMode::kHybrid;
  // The cache, in pages (kHybrid: of leaves read with O_DIRECT, and scratch frames of reads in flight).
  size_t pool_pages = 16384;
  size_t max_cached_run = 0;        // longer runs are not cached; 0 = pool_pages / 8
  bool direct_io = true;            // O_DIRECT reads of pages proven not resident (kHybrid: leaves; see above)
  bool prefault_pool = false;       // back the pool with memory at open (BufferPool::create)
  uint32_t residency_ms = 200;      // length of a residency epoch (ResidencyMap)
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
  Status submit() override;
  Result<size_t> poll(bool wait) override;
  int event_fd() const override { return queue_->event_fd(); }
  size_t reads_pending() const override { return queue_->outstanding() + backlog_.size() + starved_.size(); }
  PagerStats stats() const override;

  PagerMode mode() const { return options_.mode; }
  os::ReadBackend backend() const { return queue_->backend(); }
  bool direct() const { return direct_usable(); }

 private:
  UringPager(int fd, int direct_fd, size_t page_size, const std::byte* map, const UringPagerOptions& options);
  struct Starved {
    PageRequest request;
    Waiter* waiter;
  };
  Result<bool> dispatch(const PageRequest& request, PageRef* out, Waiter* waiter);
  // Answers from a frame that holds the pages (a hit) or is reading them (the waiter joins the read).
  Result<bool> use_frame(Frame* frame, PageRef* out, Waiter* waiter);
  // Allocates a frame and starts its read; a full pool with reads in flight parks the request in starved_.
  // `index`: whether other requests may find the frame (not when another frame holds the same key);
  // `direct`: read it with O_DIRECT.
  Result<bool> read_into_new_frame(const PageRequest& request, bool direct, bool index, Waiter* waiter);
  void retry_starved();
  Result<bool> fetch_pool(const PageRequest& request, PageRef* out, Waiter* waiter);
  Result<bool> fetch_hybrid(const PageRequest& request, PageRef* out, Waiter* waiter);
  Result<bool> from_map(const PageRequest& request, PageRef* out);
  // Whether to read the request's pages with O_DIRECT: only when a probe proves they are not resident.
  bool read_directly(const PageRequest& request);
  // Starts (or backlogs, when the queue is full) the read filling `frame`, with `waiter` as its first waiter.
  Status start_read(Frame* frame, Waiter* waiter);
  Status queue_frame(Frame* frame);
  Status issue_backlog();
  // Finishes `frame`'s read and moves its waiters to wake_.
  void complete(Frame* frame, int64_t result);
  void fail_waiters(Frame* frame, const Error& error);

  int fd_;               // read through the page cache, read-ahead off
  int direct_fd_ = -1;   // O_DIRECT, or -1
  bool direct_refused_ = false;  // a direct read failed with EINVAL: no more of them
  bool direct_usable() const { return direct_fd_ >= 0 && !direct_refused_; }
  size_t page_size_;
  const std::byte* map_;
  UringPagerOptions options_;
  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<os::ReadQueue> queue_;
  ResidencyMap residency_;
  std::vector<uint32_t> backlog_;  // frames whose read waits for room in the queue
  std::vector<Starved> starved_;   // requests waiting for a frame to come free
  std::vector<Waiter*> wake_;      // waiters to wake at the end of poll()
  std::vector<Waiter*> waking_;    // those being woken (a woken waiter may start reads that add to wake_)
  PagerStats stats_;
};

}  // namespace aspen::pager
