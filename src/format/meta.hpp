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
// LMDB 0.9 neither reads nor writes, and after a one-flush commit a manifest of the pages it wrote (see
// ManifestHeader). format/meta_seal.hpp decodes both.
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
//   kMetaSealOffset   8 magic "AspnSeal" (0x6c616553_6e707341 little-endian): the checksum covers the record;
//                       or "AspnSeaM" (0x4d616553_6e707341): it covers the record, then the manifest header
//                       and its runs (page bytes 0x118 .. 0x130 + 16 x run count)
//              +8     8 txnid the seal covers; a seal whose txnid differs from the meta's is ignored
//             +16     8 checksum (CRC-32C in the low 32 bits) of the 136-byte meta record [+ manifest]
struct MetaSeal {
  uint64_t magic;
  uint64_t txnid;
  uint64_t checksum;
};
inline constexpr uint64_t kMetaSealMagic = 0x6c6165536e707341ULL;
inline constexpr uint64_t kMetaSealManifestMagic = 0x4d6165536e707341ULL;
inline constexpr size_t kMetaSealOffset = 256;
static_assert(kMetaSealOffset >= kMetaOffset + kMetaSize);
static_assert(sizeof(MetaSeal) == 24);

// The manifest of a one-flush commit (EnvOptions::single_flush_commit; docs/COMMIT.md §7), present only when
// the seal's magic is kMetaSealManifestMagic. It lists the pages the commit wrote, so that an open after a
// power loss can tell whether they all reached the disk before the meta did.
// OFFSET (in page) SIZE MEANING
//   kManifestOffset   4 version = 1
//              +4     4 run count n, 1 .. manifest_capacity(page size)
//              +8     4 CRC-32C of the contents of the listed pages, run after run, in page-number order
//             +12     4 zero
//             +16     8 txnid of the commit (the meta's)
//   kManifestRunsOffset 16 x n runs: first page number (8), page count (8); sorted and disjoint
// The header ends at page byte 0x130, inside the first 512-byte sector with the record and the seal.
struct ManifestHeader {
  uint32_t version;
  uint32_t run_count;
  uint32_t pages_crc;
  uint32_t reserved;
  uint64_t txnid;
};
struct ManifestRun {
  uint64_t first;
  uint64_t pages;
};
inline constexpr uint32_t kManifestVersion = 1;
inline constexpr size_t kManifestOffset = kMetaSealOffset + sizeof(MetaSeal);
inline constexpr size_t kManifestRunsOffset = kManifestOffset + sizeof(ManifestHeader);
// A one-flush commit writes at most this many bytes of pages, so that checking them at open stays cheap.
inline constexpr uint64_t kManifestMaxBytes = uint64_t{16} << 20;
static_assert(sizeof(ManifestHeader) == 24);
static_assert(sizeof(ManifestRun) == 16);
static_assert(kManifestOffset == 0x118 && kManifestRunsOffset == 0x130);
static_assert(kManifestRunsOffset <= 512);  // header, seal and record share the first sector

// How many runs fit in the manifest of a meta page of `page_size` bytes.
constexpr size_t manifest_capacity(size_t page_size) {
  return page_size > kManifestRunsOffset ? (page_size - kManifestRunsOffset) / sizeof(ManifestRun) : 0;
}

}  // namespace aspen::format
