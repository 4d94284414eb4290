// Asynchronous B+tree walks (layer: async): the read-only part of tree::Tree and tree::Cursor, over pages
// that arrive through co_await instead of a synchronous PageStore.
//
// The rules are the synchronous engine's, case by case, so that answers match byte for byte: the same branch
// index choice as Tree::search (index 0 of a branch page is never compared), the same validation of every page
// entering a path (Tree::check_page: header_sane, LEAF2 sanity, non-empty branch pages) and of every node
// before it is followed (node_sane), the same overflow run checks as Tree::read_data, and the DUPSORT
// sub-page / sub-tree reading of Cursor::init_sub. Anything malformed is MDB_CORRUPTED (or
// MDB_PAGE_NOTFOUND for a page number beyond the snapshot), never a crash.
// Pages on a Path are pinned (PageRef) for as long as they stay on it.
// Thread-safety: the executor's thread.
#pragma once

#include <cstdint>

#include "async/executor_impl.hpp"
#include "format/constants.hpp"
#include "format/db_record.hpp"
#include "page/page.hpp"
#include "tree/compare.hpp"

namespace aspen::async::detail {

// A path from a tree's root to a leaf: pages[i] at level i, index[i] the node followed (on the leaf: the item).
struct Path {
  static constexpr unsigned kMaxDepth = format::kCursorStackDepth;
  pager::PageRef pages[kMaxDepth];
  uint16_t index[kMaxDepth] = {};
  unsigned depth = 0;

  const std::byte* leaf() const { return pages[depth - 1].data(); }
  uint16_t& leaf_index() { return index[depth - 1]; }
  void clear() {
    for (unsigned i = 0; i < depth; ++i) pages[i].reset();
    depth = 0;
  }
};

// One tree to walk: its root, its LEAF2 key size, its key order, and, for a point lookup, its levels.
struct TreeView {
  uint64_t root = ~uint64_t{0};
  size_t pad = 0;
  const tree::KeyCompare* cmp = nullptr;
  // A point lookup's tree depth (DbRecord::depth), else 0. A point lookup's leaf may be read around the page
  // cache (PageRequest::shared = false): random lookups on cold data seldom read a leaf twice. A cursor reads
  // its leaves through it: a range read reads leaves whole and in order, and is how applications warm a
  // database.
  unsigned lookup_depth = 0;

  // Whether the page at `level` (0: the root) is to be kept in the page cache.
  bool shared_at(unsigned level) const { return lookup_depth == 0 || level + 1 < lookup_depth; }
};

// Where a DUPSORT cursor is among the duplicates of its current key.
struct SubPosition {
  enum class Kind : uint8_t { kNone, kInline, kTree };
  Kind kind = Kind::kNone;
  size_t pad = 0;                    // LEAF2 value size (DUPFIXED), else 0
  const std::byte* page = nullptr;   // kInline: the sub-page, inside the main leaf (pinned by the main path)
  size_t size = 0;                   // kInline: its size
  unsigned index = 0;                // kInline: the current duplicate
  Path path;                         // kTree: the path in the sub-tree
};

// page::search of page `p` for `key` in the order `cmp` (Tree::find): the common lexical order is compared
// inline, not through KeyCompare's switch.
page::SearchResult find(const std::byte* p, Bytes key, const tree::KeyCompare& cmp, size_t pad, size_t page_size);

// Tree::check_page for a page of `size` bytes whose LEAF2 keys are `pad` bytes.
Status check_page(const std::byte* page, size_t size, size_t pad);

// The index Tree::search follows on branch page `p` for `key` (null: the leftmost), its node checked with
// node_sane; ~0u when a probed node or that one lies outside the page.
unsigned branch_index(const std::byte* p, const TreeView& tree, const Bytes* key, size_t page_size);

// Fills `path` from the root to the leaf that holds `*key`, or to the leftmost leaf when key is null
// (Tree::search, kKey / kFirst). MDB_NOTFOUND for an empty tree. Without `pin_path` only the leaf stays
// pinned, and no page at all while the walk waits for a read (a point lookup needs no path back up).
Task<Status> descend(ExecutorImpl& ex, const Snapshot& snap, const TreeView& tree, const Bytes* key, Path& path,
                     bool pin_path = true);
// Moves the leaf of `path` to its right neighbour, leftmost item (Tree::sibling). MDB_NOTFOUND at the end of
// the tree, `path` unchanged.
Task<Status> step_right(ExecutorImpl& ex, const Snapshot& snap, const TreeView& tree, Path& path);
// The data of a leaf node whose data lives on an overflow run (F_BIGDATA) (Tree::read_data); the run stays
// pinned in `*run`. Inline data needs no walk: Bytes{page::node_data(node), page::node_data_size(node)}.
// `point`: for a point lookup (the run may be read around the page cache, see TreeView).
Task<Result<Bytes>> read_overflow(ExecutorImpl& ex, const Snapshot& snap, const std::byte* node, pager::PageRef* run,
                                  bool point = false);
// Positions `sub` on the first duplicate of the F_DUPDATA node `node` of a database with flags `db_flags`
// and answers it (Cursor::init_sub, then the sub-cursor's first). The node's duplicates live in a sub-page
// inside it (open_inline_duplicates, no I/O) or in a sub-tree (F_SUBDATA: open_duplicate_tree).
Result<Bytes> open_inline_duplicates(uint16_t db_flags, const std::byte* node, SubPosition& sub);
Task<Result<Bytes>> open_duplicate_tree(ExecutorImpl& ex, const Snapshot& snap, const std::byte* node, SubPosition& sub,
                                        bool point = false);
// The next duplicate (the sub-cursor's MDB_NEXT); MDB_NOTFOUND after the last.
Task<Result<Bytes>> next_duplicate(ExecutorImpl& ex, const Snapshot& snap, SubPosition& sub);
// The duplicate a sub-position is on.
Result<Bytes> duplicate_at(const SubPosition& sub, size_t page_size);

}  // namespace aspen::async::detail
