// One page at a time (layer: page): reading and editing the nodes of a branch, leaf, LEAF2 or sub-page in place.
//
// A page is addressed by a pointer to its first byte; the caller owns the memory and guarantees that the page
// is `page_size` bytes (or, for a sub-page, as large as its upper bound says). Nothing here knows about files
// or transactions. Editing functions assume the caller checked there is room (see leaf_node_size /
// branch_node_size / size_left), exactly as LMDB's callers do; they never allocate.
//
// Invariants kept by every editing function (LMDB 0.9 layout, see docs/FORMAT.md):
//   - ptrs[] (u16 offsets from the page start) are in key order; lower = 16 + 2 * count; nodes live in
//     [upper, end) packed without gaps, each of an even size;
//   - on LEAF2 pages keys are packed from offset 16 with no ptrs[], and lower/upper still count them.
// Thread-safety: none; a page being edited belongs to one write transaction.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/constants.hpp"
#include "format/node.hpp"
#include "format/page_header.hpp"
#include "util/bytes.hpp"

namespace aspen::page {

using format::kNodeHeaderSize;
using format::kPageHeaderSize;

inline format::PageHeader* header(std::byte* p) { return reinterpret_cast<format::PageHeader*>(p); }
inline const format::PageHeader* header(const std::byte* p) {
  return reinterpret_cast<const format::PageHeader*>(p);
}

// Header fields are read and written with memcpy: a DUPSORT sub-page lives inside a node, only 2-byte aligned.
inline uint64_t page_number(const std::byte* p) { return load<uint64_t>(p); }
inline void set_page_number(std::byte* p, uint64_t v) { store<uint64_t>(p, v); }
inline uint16_t pad(const std::byte* p) { return load<uint16_t>(p + 8); }
inline void set_pad(std::byte* p, uint16_t v) { store<uint16_t>(p + 8, v); }
inline uint16_t flags(const std::byte* p) { return load<uint16_t>(p + 10); }
inline void set_flags(std::byte* p, uint16_t v) { store<uint16_t>(p + 10, v); }
inline bool is_leaf(const std::byte* p) { return flags(p) & format::kPageLeaf; }
inline bool is_branch(const std::byte* p) { return flags(p) & format::kPageBranch; }
inline bool is_leaf2(const std::byte* p) { return flags(p) & format::kPageLeaf2; }
inline bool is_overflow(const std::byte* p) { return flags(p) & format::kPageOverflow; }
inline bool is_subpage(const std::byte* p) { return flags(p) & format::kPageSubpage; }
inline bool is_dirty(const std::byte* p) { return flags(p) & format::kPageDirty; }
inline uint16_t lower(const std::byte* p) { return load<uint16_t>(p + 12); }
inline void set_lower(std::byte* p, unsigned v) { store<uint16_t>(p + 12, static_cast<uint16_t>(v)); }
inline uint16_t upper(const std::byte* p) { return load<uint16_t>(p + 14); }
inline void set_upper(std::byte* p, unsigned v) { store<uint16_t>(p + 14, static_cast<uint16_t>(v)); }
inline unsigned num_keys(const std::byte* p) { return (lower(p) - kPageHeaderSize) >> 1; }
inline unsigned size_left(const std::byte* p) { return upper(p) - lower(p); }

// Fill of a page in tenths of a percent (PAGEFILL), as LMDB measures it for rebalancing.
inline unsigned fill(const std::byte* p, size_t page_size) {
  size_t usable = page_size - kPageHeaderSize;
  return static_cast<unsigned>(1000 * (usable - size_left(p)) / usable);
}

// Starts an empty page of the given kind.
void init(std::byte* p, uint64_t pgno, uint16_t flags, size_t page_size);

// --- nodes -----------------------------------------------------------------------------------------
inline uint16_t node_offset(const std::byte* p, unsigned i) {
  return load<uint16_t>(p + kPageHeaderSize + 2 * i);
}
inline std::byte* node(std::byte* p, unsigned i) { return p + node_offset(p, i); }
inline const std::byte* node(const std::byte* p, unsigned i) { return p + node_offset(p, i); }

inline format::NodeHeader* node_header(std::byte* n) { return reinterpret_cast<format::NodeHeader*>(n); }
inline const format::NodeHeader* node_header(const std::byte* n) {
  return reinterpret_cast<const format::NodeHeader*>(n);
}
// Node fields are read and written with memcpy: a DUPSORT sub-page starts right after its node's key, so in
// LMDB's layout its nodes may sit at odd addresses (unaligned for a u16 member access).
inline uint16_t node_flags(const std::byte* n) { return load<uint16_t>(n + 4); }
inline uint16_t node_key_size(const std::byte* n) { return load<uint16_t>(n + 6); }
inline Bytes node_key(const std::byte* n) { return {n + kNodeHeaderSize, node_key_size(n)}; }
// Size of a leaf node's data (the real size even when the data lives on overflow pages).
inline uint32_t node_data_size(const std::byte* n) {
  return load<uint16_t>(n) | (uint32_t{load<uint16_t>(n + 2)} << 16);
}
inline void set_node_data_size(std::byte* n, uint32_t size) {
  store<uint16_t>(n, static_cast<uint16_t>(size));
  store<uint16_t>(n + 2, static_cast<uint16_t>(size >> 16));
}
inline std::byte* node_data(std::byte* n) { return n + kNodeHeaderSize + node_key_size(n); }
inline const std::byte* node_data(const std::byte* n) { return n + kNodeHeaderSize + node_key_size(n); }
// The child page of a branch node (48 bits across lo, hi and flags).
inline uint64_t node_child(const std::byte* n) {
  return load<uint16_t>(n) | (uint64_t{load<uint16_t>(n + 2)} << 16) | (uint64_t{load<uint16_t>(n + 4)} << 32);
}
inline void set_node_child(std::byte* n, uint64_t pgno) {
  store<uint16_t>(n, static_cast<uint16_t>(pgno));
  store<uint16_t>(n + 2, static_cast<uint16_t>(pgno >> 16));
  store<uint16_t>(n + 4, static_cast<uint16_t>(pgno >> 32));
}
// The first page of a F_BIGDATA node's overflow run.
inline uint64_t node_overflow_page(const std::byte* n) { return load<uint64_t>(node_data(n)); }

// Bytes a node occupies on its page, without its pointer (even).
size_t node_size_on_page(const std::byte* p, const std::byte* n);

// Key `i` of a LEAF2 page whose keys are `key_size` bytes.
inline std::byte* leaf2_key(std::byte* p, unsigned i, size_t key_size) {
  return p + kPageHeaderSize + i * key_size;
}
inline const std::byte* leaf2_key(const std::byte* p, unsigned i, size_t key_size) {
  return p + kPageHeaderSize + i * key_size;
}

// Key at index i of any leaf or branch page (LEAF2 pages need their key size).
inline Bytes key_at(const std::byte* p, unsigned i, size_t leaf2_key_size) {
  if (is_leaf2(p)) return {leaf2_key(p, i, leaf2_key_size), leaf2_key_size};
  return node_key(node(p, i));
}

// --- validation (anything read from the file is checked before it is followed) ----------------------
// The header of a branch/leaf page of `size` bytes is coherent: pointer array and heap inside the page.
inline bool header_sane(const std::byte* p, size_t size) {
  const unsigned lo = lower(p), up = upper(p);
  return lo >= kPageHeaderSize && lo <= up && up <= size && !(lo & 1);
}
// Node `i` of a branch or leaf page (not LEAF2) lies inside the page, key and inline data included, at an
// even offset as LMDB lays nodes out.
inline bool node_sane(const std::byte* p, unsigned i, size_t size) {
  const size_t off = node_offset(p, i);
  if ((off & 1) || off < upper(p) || off + kNodeHeaderSize > size) return false;
  const std::byte* n = p + off;
  size_t end = off + kNodeHeaderSize + node_key_size(n);
  if (is_leaf(p)) end += (node_flags(n) & format::kNodeBigData) ? sizeof(uint64_t) : node_data_size(n);
  return end <= size;
}
// The packed keys of a LEAF2 page fit in it.
inline bool leaf2_sane(const std::byte* p, size_t key_size, size_t size) {
  return key_size > 0 && kPageHeaderSize + num_keys(p) * key_size <= size;
}

// --- sizes (LMDB's mdb_leaf_size / mdb_branch_size), pointer included ---------------------------
// Whether a leaf item with this key and data must put its data on overflow pages.
inline bool needs_overflow(size_t key_size, size_t data_size, size_t node_max) {
  return kNodeHeaderSize + key_size + data_size > node_max;
}
inline size_t leaf_node_size(size_t key_size, size_t data_size, size_t node_max) {
  size_t size = kNodeHeaderSize + key_size + data_size;
  if (size > node_max) size = kNodeHeaderSize + key_size + sizeof(uint64_t);
  return format::even(size + sizeof(uint16_t));
}
inline size_t branch_node_size(size_t key_size) { return kNodeHeaderSize + key_size + sizeof(uint16_t); }

// --- editing ---------------------------------------------------------------------------------------
// What a new leaf node carries: `stored` bytes are copied into the node (the inline data, an 8-byte overflow
// page number or a 48-byte db record) and `data_size` is recorded as the item's size.
struct LeafData {
  Bytes stored;
  uint32_t data_size;
  uint16_t node_flags;
};

// Inserts a leaf node at index `i`. REQUIRES: room for the node and its pointer. Returns its data area.
std::byte* add_leaf_node(std::byte* p, unsigned i, Bytes key, const LeafData& data);
// Inserts a branch node pointing at `child` at index `i`. REQUIRES: room.
void add_branch_node(std::byte* p, unsigned i, Bytes key, uint64_t child);
// Inserts a key into a LEAF2 page. REQUIRES: room and key.size() == the page's key size.
void add_leaf2_key(std::byte* p, unsigned i, Bytes key);
// Removes node (or LEAF2 key) `i`, compacting the node heap.
void remove_node(std::byte* p, unsigned i, size_t leaf2_key_size);
// Replaces the key of branch node `i` (separator updates). Returns false, changing nothing, when the page
// lacks room for a longer key. REQUIRES: a branch page (nodes carry no data after the key).
bool replace_key(std::byte* p, unsigned i, Bytes key);

// --- search ----------------------------------------------------------------------------------------
struct SearchResult {
  unsigned index;  // first entry >= key, or num_keys when every key is smaller
  bool exact;
  bool corrupt = false;  // a probed node lies outside the page
};

// Binary search of a leaf, LEAF2 or branch page with LMDB's rules: on a branch page index 0 (the implicit
// lowest key) is never compared. `cmp(a, b)` returns <0, 0, >0.
// `size` bounds the page (the page size, or a sub-page's size): every probed node is checked against it.
//
// Memory: a lookup in a tree bigger than the caches is a chain of dependent misses, one per probe. The search
// hides part of it: the node-offset array is prefetched as a whole on entry, and each probe prefetches the
// nodes of both probes that may follow it, so the next probe's line is already on its way while this one's
// key is compared (prefetches never fault, so unchecked offsets are harmless; every probe is still checked).
inline void prefetch_line(const void* address) { __builtin_prefetch(address, 0, 3); }
// Every line of a page: a scan about to reach it (the hardware prefetcher stops at page boundaries).
inline void prefetch_page(const std::byte* p, size_t size) {
  if (size == 4096) {
#pragma GCC unroll 64
    for (size_t at = 0; at < 4096; at += 64) prefetch_line(p + at);  // the common size: no loop overhead
    return;
  }
  for (size_t at = 0; at < size; at += 64) prefetch_line(p + at);
}

// Prefetches the node that a binary search of [low, high] probes first. (Two probes ahead, 6 lines a step,
// measured 5 % slower than one on readrandom: the extra lines crowd out the ones that are needed.)
inline void prefetch_first_probe(const std::byte* p, int low, int high) {
  if (low <= high) prefetch_line(p + node_offset(p, static_cast<unsigned>((low + high) >> 1)));
}

template <class Compare>
SearchResult search(const std::byte* p, Bytes key, const Compare& cmp, size_t leaf2_key_size, size_t size) {
  // The header fields are read once: `cmp` may be an opaque call, after which the compiler would reload them.
  const unsigned n = num_keys(p);
  const bool leaf = is_leaf(p), packed = is_leaf2(p);
  const size_t up = upper(p);
  int low = leaf ? 0 : 1, high = static_cast<int>(n) - 1;
  unsigned i = 0;
  int rc = 0;
  if (!packed) {
    for (size_t at = kPageHeaderSize + 64; at < kPageHeaderSize + 2 * size_t{n}; at += 64) prefetch_line(p + at);
  }
  while (low <= high) {
    i = static_cast<unsigned>((low + high) >> 1);
    Bytes probe;
    if (packed) {
      probe = {leaf2_key(p, i, leaf2_key_size), leaf2_key_size};
    } else {
      prefetch_first_probe(p, low, static_cast<int>(i) - 1);
      prefetch_first_probe(p, static_cast<int>(i) + 1, high);
      // node_sane(p, i, size), with the header fields hoisted.
      const size_t off = node_offset(p, i);
      if ((off & 1) || off < up || off + kNodeHeaderSize > size) return {0, false, true};
      const std::byte* nd = p + off;
      const size_t key_size = node_key_size(nd);
      size_t end = off + kNodeHeaderSize + key_size;
      if (leaf) end += (node_flags(nd) & format::kNodeBigData) ? sizeof(uint64_t) : node_data_size(nd);
      if (end > size) return {0, false, true};
      probe = {nd + kNodeHeaderSize, key_size};
    }
    rc = cmp(key, probe);
    if (rc == 0) break;
    if (rc > 0) low = static_cast<int>(i) + 1;
    else high = static_cast<int>(i) - 1;
  }
  if (rc > 0) ++i;
  return {i, rc == 0 && n > 0};
}

}  // namespace aspen::page
