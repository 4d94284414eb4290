// Constants of LMDB 0.9's data file on 64-bit little-endian Linux (layer: format). See docs/FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aspen::format {

inline constexpr uint32_t kMagic = 0xBEEFC0DE;        // MDB_MAGIC, in every meta page
inline constexpr uint32_t kDataVersion = 1;           // MDB_DATA_VERSION
inline constexpr uint32_t kLockMagic = 0xBEEFC0DE;    // lock.mdb header magic
inline constexpr uint32_t kLockFormat = 0x00010001;   // MDB_LOCK_VERSION 1 | MDB_PIDLOCK << 16
inline constexpr unsigned kNumMetas = 2;              // pages 0 and 1
inline constexpr unsigned kCoreDbs = 2;               // FREE_DBI and MAIN_DBI
inline constexpr unsigned kFreeDbi = 0;
inline constexpr unsigned kMainDbi = 1;
inline constexpr size_t kPageHeaderSize = 16;         // PAGEHDRSZ
inline constexpr size_t kNodeHeaderSize = 8;          // NODESIZE
inline constexpr size_t kMaxKeySize = 511;            // MDB_MAXKEYSIZE
inline constexpr uint64_t kMaxDataSize = 0xffffffffULL;  // MAXDATASIZE
inline constexpr unsigned kMinKeysPerPage = 2;        // MDB_MINKEYS
inline constexpr unsigned kFillThreshold = 250;       // FILL_THRESHOLD, in tenths of a percent
inline constexpr size_t kMinPageSize = 512;           // smallest page size accepted (room for the meta seal)
inline constexpr size_t kMaxPageSize = 0x8000;        // MAX_PAGESIZE (32 KiB)
inline constexpr size_t kDefaultMapSize = 1048576;    // DEFAULT_MAPSIZE
inline constexpr unsigned kDefaultMaxReaders = 126;   // DEFAULT_READERS
inline constexpr unsigned kCursorStackDepth = 32;     // CURSOR_STACK
inline constexpr uint64_t kMaxPageNo = (uint64_t{1} << 48) - 1;  // branch nodes hold 48 bits of page number

// Page flags (MDB_page.mp_flags).
inline constexpr uint16_t kPageBranch = 0x01;
inline constexpr uint16_t kPageLeaf = 0x02;
inline constexpr uint16_t kPageOverflow = 0x04;
inline constexpr uint16_t kPageMeta = 0x08;
inline constexpr uint16_t kPageDirty = 0x10;
inline constexpr uint16_t kPageLeaf2 = 0x20;
inline constexpr uint16_t kPageSubpage = 0x40;
inline constexpr uint16_t kPageLoose = 0x4000;
inline constexpr uint16_t kPageKeep = 0x8000;

// Node flags (MDB_node.mn_flags on leaf pages).
inline constexpr uint16_t kNodeBigData = 0x01;   // F_BIGDATA: data lives on overflow pages
inline constexpr uint16_t kNodeSubData = 0x02;   // F_SUBDATA: data is a db record (named db or dup sub-tree)
inline constexpr uint16_t kNodeDupData = 0x04;   // F_DUPDATA: the node holds duplicates

// Database flags (MDB_db.md_flags), persistent.
inline constexpr uint16_t kDbReverseKey = 0x02;
inline constexpr uint16_t kDbDupSort = 0x04;
inline constexpr uint16_t kDbIntegerKey = 0x08;
inline constexpr uint16_t kDbDupFixed = 0x10;
inline constexpr uint16_t kDbIntegerDup = 0x20;
inline constexpr uint16_t kDbReverseDup = 0x40;
inline constexpr uint16_t kDbPersistentFlags = 0x7e;

// The largest node kept inline on a page of `page_size` bytes; larger leaf data goes to overflow pages.
constexpr size_t node_max(size_t page_size) {
  return (((page_size - kPageHeaderSize) / kMinKeysPerPage) & ~size_t{1}) - 2;
}

// Number of pages an overflow run needs to hold `data_size` bytes (OVPAGES).
constexpr uint64_t overflow_pages(uint64_t data_size, size_t page_size) {
  return (kPageHeaderSize - 1 + data_size) / page_size + 1;
}

// The largest IDL that fits one page of the free DB without overflow (me_maxfree_1pg).
constexpr size_t max_free_per_page(size_t page_size) { return (page_size - kPageHeaderSize) / 8 - 1; }

constexpr size_t even(size_t n) { return (n + 1) & ~size_t{1}; }

}  // namespace aspen::format
