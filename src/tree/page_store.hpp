// PageStore: how the tree reaches pages (layer: tree). The transaction layer implements it.
//
// The tree never asks how a page reached memory (mmap, a dirty buffer, an io_uring buffer pool); it asks for a
// page by number, for a writable version of one (copy-on-write), for new pages, and gives pages back.
// Pointers returned stay valid until the page is touched or released by the same transaction, or the
// transaction ends. Thread-safety: a store belongs to one transaction, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/result.hpp"

namespace aspen::tree {

class PageStore {
 public:
  virtual ~PageStore() = default;

  virtual size_t page_size() const = 0;
  // Largest node kept on a page (format::node_max); larger leaf data goes to overflow pages.
  virtual size_t node_max() const = 0;
  // One past the highest page number that may be read (the end of the used part of the file).
  virtual uint64_t page_limit() const = 0;

  // The page `pgno` as this transaction sees it. MDB_PAGE_NOTFOUND when pgno >= page_limit().
  virtual Result<std::byte*> page(uint64_t pgno) = 0;
  // A writable version of `page` (copy-on-write); may carry a new page number. Sub-pages and pages already
  // dirty in this transaction come back unchanged. REQUIRES: a write transaction.
  virtual Result<std::byte*> touch(std::byte* page) = 0;
  // The writable version of an overflow run of `count` pages if it is already dirty in this transaction or an
  // ancestor (a copy with the same page number for the latter), or null for a clean run.
  virtual Result<std::byte*> writable_if_dirty(std::byte* run, unsigned count) = 0;
  // `count` new contiguous dirty pages (count > 1 only for overflow runs); the header's pgno is set, the rest
  // of the page is unspecified.
  virtual Result<std::byte*> allocate(unsigned count) = 0;
  // Gives back a page (or an overflow run of `count` pages) the tree no longer references.
  virtual Status release(const std::byte* page, unsigned count) = 0;
};

}  // namespace aspen::tree
