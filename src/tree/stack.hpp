// Stack: the path from a tree's root to the current page (layer: tree), at most kCursorStackDepth levels.
// pages[i] is the page at level i (0 = root) and index[i] the node followed on it (on the top page: the
// current item). A plain value; copying one gives an independent path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/constants.hpp"

namespace aspen::tree {

struct Stack {
  static constexpr unsigned kMaxDepth = format::kCursorStackDepth;

  // Only [0, depth) is ever read; the rest is left unset (a cursor is built for every mdb_put and mdb_get,
  // and zeroing 320 bytes each time was 4 % of fillseq), and copies take only the used part.
  std::byte* pages[kMaxDepth];
  uint16_t index[kMaxDepth];
  unsigned depth = 0;

  Stack() = default;
  Stack(const Stack& other) { *this = other; }
  Stack& operator=(const Stack& other) {
    depth = other.depth;
    for (unsigned i = 0; i < depth; ++i) {
      pages[i] = other.pages[i];
      index[i] = other.index[i];
    }
    return *this;
  }

  unsigned top() const { return depth - 1; }
  std::byte* top_page() const { return pages[depth - 1]; }
  uint16_t& top_index() { return index[depth - 1]; }
  uint16_t top_index() const { return index[depth - 1]; }
  bool push(std::byte* page) {
    if (depth >= kMaxDepth) return false;
    pages[depth] = page;
    index[depth] = 0;
    ++depth;
    return true;
  }
  void pop() {
    if (depth) --depth;
  }
};

}  // namespace aspen::tree
