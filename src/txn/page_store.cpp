// Transaction as a tree::PageStore (layer: txn): page lookup through the dirty maps of the transaction and
// its ancestors, copy-on-write, allocation and release of pages. See transaction.hpp.
#include <cerrno>
#include <algorithm>
#include <cstring>
#include <functional>

#include "page/page.hpp"
#include "txn/transaction.hpp"

namespace aspen::txn {
namespace {

constexpr unsigned kWriteMap = 0x80000;

// Copies page `src` into `dst` but for the free gap [lower, upper) of a branch or leaf page, as liblmdb's
// mdb_page_copy: the gap of `dst` keeps what its buffer held (zeroes or an older image of one of this
// environment's pages, see EnvHost::take_buffer), which nothing reads and which is never foreign memory.
void copy_page(std::byte* dst, const std::byte* src, size_t psize) {
  const unsigned lower = page::lower(src), upper = page::upper(src);
  const bool nodes = (page::is_branch(src) || page::is_leaf(src)) && !page::is_leaf2(src);
  if (!nodes || !page::header_sane(src, psize) || upper - lower < 64) {
    std::memcpy(dst, src, psize);
    return;
  }
  std::memcpy(dst, src, lower);
  std::memcpy(dst + upper, src + upper, psize - upper);
}

}  // namespace

std::byte* Transaction::find_dirty(uint64_t pgno) const {
  for (const Transaction* t = this; t; t = t->parent_)
    if (std::byte* p = t->dirty_.page(pgno)) return p;
  return nullptr;
}

Result<std::byte*> Transaction::page(uint64_t pgno) {
  if (!read_only_ && !(geometry_.env_flags & kWriteMap)) {
    if (std::byte* p = find_dirty(pgno)) return p;
  }
  // Committed pages are read through the map, never past the end of the file (SIGBUS on a truncated file).
  if (pgno >= page_limit_ || (!read_only_ && pgno >= host_->mapped_pages()))
    return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  return host_->map() + pgno * geometry_.page_size;
}

Result<std::byte*> Transaction::touch(std::byte* p) {
  if (page::is_subpage(p)) return p;
  if (untouched_named_) ASPEN_TRY(touch_named_record());
  const uint64_t pgno = page::page_number(p);
  if (page::is_dirty(p)) {
    if (!parent_ || dirty_here(pgno)) return p;
    // Dirty in an ancestor: this transaction works on its own copy, under the same page number.
    dirty_.reserve(dirty_.size() + 1);  // before the buffer: a failed put must not lose it
    std::byte* copy = host_->take_buffer(1);
    if (!copy) return ASPEN_ERROR(ENOMEM);
    copy_page(copy, p, geometry_.page_size);
    dirty_.put(pgno, copy, 1);
    ++writes_;
    modified_ = true;
    return copy;
  }
  ASPEN_ASSIGN(std::byte* fresh, allocate(1));
  const uint64_t fresh_pgno = page::page_number(fresh);
  copy_page(fresh, p, geometry_.page_size);
  page::header(fresh)->pgno = fresh_pgno;
  page::header(fresh)->flags |= format::kPageDirty;
  freed_.push_back(pgno);
  return fresh;
}

Result<std::byte*> Transaction::writable_if_dirty(std::byte* run, unsigned count) {
  const uint64_t pgno = page::page_number(run);
  if (geometry_.env_flags & kWriteMap) return page::is_dirty(run) ? run : nullptr;
  if (dirty_here(pgno)) return run;
  if (!find_dirty(pgno)) return static_cast<std::byte*>(nullptr);
  dirty_.reserve(dirty_.size() + 1);  // before the buffer: a failed put must not lose it
  std::byte* copy = host_->take_buffer(count);
  if (!copy) return ASPEN_ERROR(ENOMEM);
  std::memcpy(copy, run, count * geometry_.page_size);
  dirty_.put(pgno, copy, count);
  ++writes_;
  modified_ = true;
  return copy;
}

Result<std::byte*> Transaction::allocate(unsigned count) {
  if (untouched_named_) {
    // The first page of an empty named database: LMDB marks it dirty without touching MAIN.
    dbs_[untouched_named_].dirty = true;
    untouched_named_ = 0;
  }
  std::byte* p;
  uint64_t pgno;
  if (count == 1 && !loose_.empty()) {
    // A loose page is still in the dirty map: reuse its buffer (LMDB's mt_loose_pgs come first).
    pgno = loose_.back();
    loose_.pop_back();
    p = dirty_.page(pgno);
    if (!p) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
  } else {
    ASPEN_ASSIGN(pgno, take_page_numbers(count));
    if (geometry_.env_flags & kWriteMap) {
      p = host_->map() + pgno * geometry_.page_size;
    } else {
      dirty_.reserve(dirty_.size() + 1);  // before the buffer: a failed put must not lose it
      p = host_->take_buffer(count);
      if (!p) return ASPEN_ERROR(ENOMEM);
    }
    dirty_.put(pgno, p, count);
  }
  auto* h = page::header(p);
  h->pgno = pgno;
  h->pad = 0;
  h->flags = format::kPageDirty;
  ++writes_;
  modified_ = true;
  return p;
}

// Drops a page this transaction dirtied from its dirty map without writing it, and gives its buffer back.
void Transaction::forget_dirty(uint64_t pgno) {
  const DirtyMap::Entry* e = dirty_.find(pgno);
  if (!e) return;
  std::byte* buffer = e->page;
  const unsigned pages = e->pages;
  dirty_.erase(pgno);
  if (!(geometry_.env_flags & kWriteMap)) host_->give_buffer(buffer, pages);
}

Status Transaction::release(const std::byte* p, unsigned count) {
  const uint64_t pgno = page::page_number(p);
  if (page::is_overflow(p)) {
    // mdb_ovpage_free: only a top-level transaction that already consumed FREE_DBI records takes a run it
    // dirtied itself straight back; nested ones would have to hide the run from their ancestors.
    if (have_reclaimed_ && !parent_ && dirty_here(pgno)) {
      forget_dirty(pgno);
      reclaim_run(pgno, count);
      return ok_status();
    }
    for (unsigned i = 0; i < count; ++i) freed_.push_back(pgno + i);
    return ok_status();
  }
  // mdb_page_loose: never for FREE_DBI's own pages (they are only written while the free list is saved).
  if (!saving_free_list_ && dirty_here(pgno)) {
    loose_.push_back(pgno);
    return ok_status();
  }
  freed_.push_back(pgno);
  return ok_status();
}

Status Transaction::retire(const std::byte* p, unsigned count) {
  const uint64_t pgno = page::page_number(p);
  for (unsigned i = 0; i < count; ++i) freed_.push_back(pgno + i);
  return ok_status();
}

}  // namespace aspen::txn
