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
  const uint64_t pgno = page::page_number(p);
  if (page::is_dirty(p)) {
    if (!parent_ || dirty_here(pgno)) return p;
    // Dirty in an ancestor: this transaction works on its own copy, under the same page number.
    dirty_.reserve(dirty_.size() + 1);  // before the buffer: a failed put must not lose it
    std::byte* copy = host_->take_buffer(1);
    if (!copy) return ASPEN_ERROR(ENOMEM);
    std::memcpy(copy, p, geometry_.page_size);
    dirty_.put(pgno, copy, 1);
    return copy;
  }
  ASPEN_ASSIGN(std::byte* fresh, allocate(1));
  const uint64_t fresh_pgno = page::page_number(fresh);
  std::memcpy(fresh, p, geometry_.page_size);
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
  return copy;
}

Result<std::byte*> Transaction::allocate(unsigned count) {
  ASPEN_ASSIGN(uint64_t pgno, take_page_numbers(count));
  std::byte* p;
  if (geometry_.env_flags & kWriteMap) {
    p = host_->map() + pgno * geometry_.page_size;
  } else {
    dirty_.reserve(dirty_.size() + 1);  // before the buffer: a failed put must not lose it
    p = host_->take_buffer(count);
    if (!p) return ASPEN_ERROR(ENOMEM);
  }
  dirty_.put(pgno, p, count);
  auto* h = page::header(p);
  h->pgno = pgno;
  h->pad = 0;
  h->flags = format::kPageDirty;
  modified_ = true;
  return p;
}

Status Transaction::release(const std::byte* p, unsigned count) {
  const uint64_t pgno = page::page_number(p);
  if (const DirtyMap::Entry* e = dirty_.find(pgno)) {
    // Allocated by this very transaction: never visible to anyone, reusable at once.
    std::byte* buffer = e->page;
    dirty_.erase(pgno);
    if (!(geometry_.env_flags & kWriteMap)) host_->give_buffer(buffer, count);
    for (unsigned i = 0; i < count; ++i) {
      auto at = std::lower_bound(reclaimed_.begin(), reclaimed_.end(), pgno + i, std::greater<uint64_t>());
      reclaimed_.insert(at, pgno + i);
    }
    return ok_status();
  }
  for (unsigned i = 0; i < count; ++i) freed_.push_back(pgno + i);
  return ok_status();
}

}  // namespace aspen::txn
