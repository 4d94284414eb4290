// The 16-byte header at the start of every page (layer: format). See docs/FORMAT.md "Page header".
//
// OFFSET SIZE MEANING
//      0    8 pgno: this page's number (mp_pgno)
//      8    2 pad: key size on LEAF2 pages, else 0 (mp_pad)
//     10    2 flags: kPage* bits (mp_flags)
//     12    2 lower: end of the node-pointer array = 16 + 2 * number of nodes (mp_lower)
//     14    2 upper: start of the node heap (mp_upper)
//     12    4 pages: number of pages of an overflow run, first page only (mp_pages, overlays lower/upper)
//     16    - ptrs[]: u16 offsets of nodes from the page start, in key order (absent on LEAF2 and overflow)
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/constants.hpp"

namespace aspen::format {

struct PageHeader {
  uint64_t pgno;
  uint16_t pad;
  uint16_t flags;
  union {
    struct {
      uint16_t lower;
      uint16_t upper;
    } bounds;
    uint32_t pages;
  };
};

static_assert(sizeof(PageHeader) == kPageHeaderSize);
static_assert(offsetof(PageHeader, pgno) == 0);
static_assert(offsetof(PageHeader, pad) == 8);
static_assert(offsetof(PageHeader, flags) == 10);
static_assert(offsetof(PageHeader, bounds) == 12);
static_assert(offsetof(PageHeader, pages) == 12);

}  // namespace aspen::format
