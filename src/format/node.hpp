// A node on a branch or leaf page (MDB_node) (layer: format). See docs/FORMAT.md "Nodes".
//
// Nodes are 2-byte aligned and found through the page's ptrs[] array.
// OFFSET SIZE MEANING
//      0    2 lo: leaf: low 16 bits of the data size; branch: bits 0-15 of the child page number
//      2    2 hi: leaf: high 16 bits of the data size; branch: bits 16-31 of the child page number
//      4    2 flags: leaf: kNode* bits; branch: bits 32-47 of the child page number
//      6    2 key_size
//      8    - key bytes, then (leaf) the data: inline bytes, an 8-byte overflow page number (kNodeBigData) or
//             a 48-byte DbRecord (kNodeSubData)
// A node's size on the page is even: 8 + key_size + inline data size, rounded up.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/constants.hpp"

namespace aspen::format {

struct NodeHeader {
  uint16_t lo;
  uint16_t hi;
  uint16_t flags;
  uint16_t key_size;
};

static_assert(sizeof(NodeHeader) == kNodeHeaderSize);
static_assert(offsetof(NodeHeader, lo) == 0);
static_assert(offsetof(NodeHeader, hi) == 2);
static_assert(offsetof(NodeHeader, flags) == 4);
static_assert(offsetof(NodeHeader, key_size) == 6);

}  // namespace aspen::format
