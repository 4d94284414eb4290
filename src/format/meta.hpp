// The meta record in pages 0 and 1 (MDB_meta) (layer: format). See docs/FORMAT.md "Meta page".
//
// It starts right after the page header (offset 16 of the page). Offsets below are within the record.
// OFFSET SIZE MEANING
//      0    4 magic = 0xBEEFC0DE
//      4    4 version = 1
//      8    8 address: fixed map address (MDB_FIXEDMAP), else 0
//     16    8 map_size: the map size in bytes when last written
//     24   48 dbs[0]: FREE_DBI record; its pad holds the page size and its flags the environment flags
//     72   48 dbs[1]: MAIN_DBI record
//    120    8 last_page: the highest page number in use
//    128    8 txnid: the transaction that wrote this meta
//
// Beyond LMDB, Aspen keeps a checksum of the record in the unused tail of the meta page (see MetaSeal), which
// LMDB 0.9 neither reads nor writes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/db_record.hpp"
#include "format/page_header.hpp"

namespace aspen::format {

struct Meta {
  uint32_t magic;
  uint32_t version;
  uint64_t address;
  uint64_t map_size;
  DbRecord dbs[kCoreDbs];
  uint64_t last_page;
  uint64_t txnid;

  uint32_t page_size() const { return dbs[kFreeDbi].pad; }
  uint16_t env_flags() const { return dbs[kFreeDbi].flags; }
};

inline constexpr size_t kMetaSize = 136;
inline constexpr size_t kMetaOffset = kPageHeaderSize;  // METADATA(p)
static_assert(sizeof(Meta) == kMetaSize);
static_assert(offsetof(Meta, magic) == 0);
static_assert(offsetof(Meta, version) == 4);
static_assert(offsetof(Meta, address) == 8);
static_assert(offsetof(Meta, map_size) == 16);
static_assert(offsetof(Meta, dbs) == 24);
static_assert(offsetof(Meta, last_page) == 120);
static_assert(offsetof(Meta, txnid) == 128);

// Aspen's checksum of a meta record, kept at a fixed offset in the meta page's unused tail.
// OFFSET (in page) SIZE MEANING
//   kMetaSealOffset   8 magic "AspnSeal" (0x6c616553_6e707341 little-endian)
//              +8     8 txnid the seal covers; a seal whose txnid differs from the meta's is ignored
//             +16     8 checksum (CRC-32C in the low 32 bits) of the 136-byte meta record
struct MetaSeal {
  uint64_t magic;
  uint64_t txnid;
  uint64_t checksum;
};
inline constexpr uint64_t kMetaSealMagic = 0x6c6165536e707341ULL;
inline constexpr size_t kMetaSealOffset = 256;
static_assert(kMetaSealOffset >= kMetaOffset + kMetaSize);
static_assert(sizeof(MetaSeal) == 24);

}  // namespace aspen::format
