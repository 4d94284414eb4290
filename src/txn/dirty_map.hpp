// DirtyMap: the pages a write transaction has modified, by page number (layer: txn).
//
// An open-addressing hash table with linear probing and backward-shift deletion, so lookups on the hot path
// (every page access of a write transaction) cost one multiply and usually one probe. Entries own nothing:
// the transaction frees the buffers. Thread-safety: none (one write transaction).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace aspen::txn {

class DirtyMap {
 public:
  struct Entry {
    uint64_t pgno = kEmpty;
    std::byte* page = nullptr;
    unsigned pages = 0;  // 1, or the length of an overflow run
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  DirtyMap() { slots_.resize(64); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const Entry* find(uint64_t pgno) const {
    if (size_ == 0) return nullptr;
    for (size_t i = home(pgno);; i = (i + 1) & mask()) {
      if (slots_[i].pgno == pgno) return &slots_[i];
      if (slots_[i].pgno == kEmpty) return nullptr;
    }
  }
  std::byte* page(uint64_t pgno) const {
    const Entry* e = find(pgno);
    return e ? e->page : nullptr;
  }

  // Makes room for `n` entries in all, so that puts up to that many never allocate: a caller that must not
  // lose a buffer to std::bad_alloc reserves before it takes the buffer.
  void reserve(size_t n) {
    while (n * 4 > slots_.size() * 3) grow();
  }

  // Inserts or replaces the entry for `pgno`. May throw std::bad_alloc (growing), leaving the map unchanged.
  void put(uint64_t pgno, std::byte* page, unsigned pages) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    for (size_t i = home(pgno);; i = (i + 1) & mask()) {
      if (slots_[i].pgno == pgno) {
        slots_[i] = {pgno, page, pages};
        return;
      }
      if (slots_[i].pgno == kEmpty) {
        slots_[i] = {pgno, page, pages};
        ++size_;
        return;
      }
    }
  }

  // Removes `pgno`; returns whether it was there.
  bool erase(uint64_t pgno) {
    if (size_ == 0) return false;
    size_t i = home(pgno);
    while (slots_[i].pgno != pgno) {
      if (slots_[i].pgno == kEmpty) return false;
      i = (i + 1) & mask();
    }
    // Backward-shift: pull later entries of the probe run into the hole.
    for (size_t j = (i + 1) & mask(); slots_[j].pgno != kEmpty; j = (j + 1) & mask()) {
      size_t want = home(slots_[j].pgno);
      bool movable = (j > i) ? (want <= i || want > j) : (want <= i && want > j);
      if (movable) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Entry{};
    --size_;
    return true;
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Entry& e : slots_)
      if (e.pgno != kEmpty) fn(e);
  }
  std::vector<Entry> sorted() const {
    std::vector<Entry> out;
    out.reserve(size_);
    for_each([&](const Entry& e) { out.push_back(e); });
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.pgno < b.pgno; });
    return out;
  }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Entry{});
    size_ = 0;
  }

 private:
  size_t mask() const { return slots_.size() - 1; }
  size_t home(uint64_t pgno) const { return (pgno * 0x9E3779B97F4A7C15ULL >> 20) & mask(); }
  // Doubles the table. The new table is allocated before anything moves, so a std::bad_alloc leaves the map
  // as it was (a moved-from table would lose every entry and the buffers they own).
  void grow() {
    std::vector<Entry> old(slots_.size() * 2);
    old.swap(slots_);
    size_ = 0;
    for (const Entry& e : old)
      if (e.pgno != kEmpty) put(e.pgno, e.page, e.pages);
  }

  std::vector<Entry> slots_;
  size_t size_ = 0;
};

}  // namespace aspen::txn
