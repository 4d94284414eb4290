// Pager: how committed pages reach memory for the asynchronous read path (layer: pager).
//
// Implementations:
//   MmapPager   the page inside the environment's map, always at once (zero-copy; a cold page stalls the
//               thread in a page fault when it is first touched). The synchronous engine's way, for comparison.
//   UringPager  reads through an os::ReadQueue (io_uring, or its fallbacks): either into its own buffer pool
//               (PagerMode::kPool), or only the pages that are not in the page cache while resident pages
//               are read from the map (PagerMode::kHybrid). See uring_pager.hpp.
//
// Protocol: fetch() answers at once (true, `*out` set) when the pages are in memory; otherwise it starts
// reading them and answers false: the Waiter is then completed later, from poll(), by setting its `page` or
// `error` and calling its `ready` function. poll() hands queued reads to the kernel, collects completions and
// wakes their waiters; an event loop calls it when event_fd() polls readable. Several waiters may wait for the
// same page; it is read once.
//
// Contract of a request: the run [pgno, pgno + count) lies inside the snapshot's used pages (the caller checks
// it against the transaction's page_limit()) and the snapshot stays pinned from the request until every
// waiter on it has been woken (that is also what makes a direct read of a page proven not resident return
// the snapshot's bytes: residency_map.hpp). `snapshot` (the snapshot's txnid) keys cached copies: a copy
// read for one snapshot is never handed to a reader of another, since pages freed in between may have been
// rewritten.
// The pager validates nothing inside pages; the tree code that reads them does (page::header_sane, ...).
// Thread-safety: a pager belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pager/page_ref.hpp"
#include "util/result.hpp"

namespace aspen::pager {

struct PageRequest {
  uint64_t pgno = 0;
  unsigned count = 1;     // pages: 1, or the length of an overflow run
  uint64_t snapshot = 0;  // txnid of the reader's snapshot
  uint64_t limit = 0;     // one past the snapshot's last page (0: pgno + count); bounds batched probes
  // A hint: many reads will visit these pages (branch pages, MAIN's path to a record, whatever a cursor
  // reads), so they belong in the page cache. False for a point lookup's leaf or overflow run, which random
  // lookups on cold data seldom read twice: kHybrid may read it around the page cache. Only where a page is
  // read from depends on it, never what is answered.
  bool shared = true;
};

// Someone waiting for a page. Filled in by the pager before `ready(this)` is called.
struct Waiter {
  void (*ready)(Waiter*) = nullptr;
  Waiter* next = nullptr;  // the pager's list of waiters on one read
  PageRef page;
  Error error;
  bool failed = false;
};

struct PagerStats {
  uint64_t fetches = 0;         // requests
  uint64_t hits = 0;            // answered at once from the pool or the map
  uint64_t reads = 0;           // reads issued
  uint64_t read_pages = 0;      // pages read
  uint64_t joined = 0;          // requests that joined a read already in flight
  uint64_t residency_probes = 0;  // mincore calls
  uint64_t direct_reads = 0;    // reads issued with O_DIRECT (of pages a probe found not resident)
  uint64_t evictions = 0;       // frames evicted (kPool)
};

class Pager {
 public:
  virtual ~Pager() = default;

  virtual size_t page_size() const = 0;
  // The pages now (true, `*out` set) or later (false; `waiter` completed from poll()). An error means nothing
  // was started and `waiter` will not be called.
  virtual Result<bool> fetch(const PageRequest& request, PageRef* out, Waiter* waiter) = 0;
  // Hands the reads queued so far to the kernel now, without collecting completions (a no-op when none are
  // queued, or for a pager that never reads). poll() does this too; an executor calls it between tasks so
  // that the device works on the first reads while the thread runs the rest.
  virtual Status submit() { return ok_status(); }
  // Submits queued reads and wakes the waiters of finished ones. With `wait`, blocks until at least one read
  // finishes when reads are in flight. Returns the number of waiters woken.
  virtual Result<size_t> poll(bool wait) = 0;
  // Readable when poll() has completions to deliver; -1 for a pager that never reads.
  virtual int event_fd() const = 0;
  // Reads started and not yet delivered (0 for a pager that never reads).
  virtual size_t reads_pending() const = 0;
  virtual PagerStats stats() const = 0;
};

}  // namespace aspen::pager
