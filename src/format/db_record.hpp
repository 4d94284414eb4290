// The 48-byte record describing one B+tree (MDB_db) (layer: format). See docs/FORMAT.md "Database record".
//
// OFFSET SIZE MEANING
//      0    4 pad: LEAF2 key size of a DUPFIXED sub-tree; in the meta's FREE_DBI record, the page size
//      4    2 flags: kDb* bits; in the meta's FREE_DBI record, the environment flags (mm_flags)
//      6    2 depth: levels of the tree, 0 when empty
//      8    8 branch_pages
//     16    8 leaf_pages
//     24    8 overflow_pages
//     32    8 entries: number of key/data items
//     40    8 root: page number of the root, kInvalidPage (~0) when empty
//
// Records stored inside nodes (named databases, dup sub-trees) may be unaligned: copy them with decode/encode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace aspen::format {

struct DbRecord {
  uint32_t pad = 0;
  uint16_t flags = 0;
  uint16_t depth = 0;
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t entries = 0;
  uint64_t root = ~uint64_t{0};

  static DbRecord empty(uint16_t flags) {
    DbRecord r;
    r.flags = flags;
    return r;
  }
  static DbRecord decode(const void* p) {
    DbRecord r;
    std::memcpy(&r, p, sizeof r);
    return r;
  }
  void encode(void* p) const { std::memcpy(p, this, sizeof *this); }
  bool operator==(const DbRecord&) const = default;
};

inline constexpr size_t kDbRecordSize = 48;
static_assert(sizeof(DbRecord) == kDbRecordSize);
static_assert(offsetof(DbRecord, pad) == 0);
static_assert(offsetof(DbRecord, flags) == 4);
static_assert(offsetof(DbRecord, depth) == 6);
static_assert(offsetof(DbRecord, branch_pages) == 8);
static_assert(offsetof(DbRecord, leaf_pages) == 16);
static_assert(offsetof(DbRecord, overflow_pages) == 24);
static_assert(offsetof(DbRecord, entries) == 32);
static_assert(offsetof(DbRecord, root) == 40);

}  // namespace aspen::format
