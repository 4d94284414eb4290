// Tree: the B+tree algorithms over one database's pages (layer: tree).
//
// A Tree is a light handle (a page store, the database record it updates, and its key order) that a cursor
// builds on demand. It implements LMDB 0.9's structural rules exactly, so that trees built by Aspen and by
// liblmdb have the same shape: the split point of mdb_page_split, the 25% fill threshold and the
// move-one-node-or-merge choice of mdb_rebalance, branch pages whose first key is empty.
//
// Invariants after every public operation: every page on a modified path is dirty; db().depth, page counts
// and entries match the tree. Stacks passed in must describe a valid path from the root (see Stack); after a
// split or a rebalance the caller's stack may no longer point at its item and must be re-established by search.
// Thread-safety: one transaction's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "format/db_record.hpp"
#include "page/page.hpp"
#include "tree/compare.hpp"
#include "tree/page_store.hpp"
#include "tree/stack.hpp"
#include "util/ids.hpp"
#include "util/result.hpp"

namespace aspen::tree {

enum class SearchMode { kKey, kFirst, kLast };

// A node about to be placed on a page: a leaf item, a LEAF2 key or a branch pointer.
struct NodeSpec {
  Bytes key;
  page::LeafData leaf{};
  uint64_t child = 0;

  static NodeSpec branch(Bytes key, uint64_t child) {
    NodeSpec s;
    s.key = key;
    s.child = child;
    return s;
  }
};

class Tree {
 public:
  // `inline_root`, when set, is a DUPSORT sub-page living inside a leaf node: the whole tree is that page.
  Tree(PageStore& store, format::DbRecord& db, const KeyCompare& cmp, std::byte* inline_root = nullptr,
       size_t inline_size = 0)
      : store_(&store), db_(&db), cmp_(&cmp), inline_root_(inline_root), inline_size_(inline_size) {}

  PageStore& store() const { return *store_; }
  format::DbRecord& db() const { return *db_; }
  const KeyCompare& cmp() const { return *cmp_; }
  size_t leaf2_key_size() const { return db_->pad; }
  // Bytes of one page of this tree: the page size, or the size of the sub-page that is the whole tree.
  size_t page_bytes() const { return inline_root_ ? inline_size_ : store_->page_size(); }
  // MDB_CORRUPTED unless the page's header (and LEAF2 keys) are coherent.
  Status check_page(const std::byte* page) const;
  // check_page's test, inline, for a page of `bytes` bytes (page_bytes(), hoisted out of a descent).
  // LEAF2 pages are checked by their keys alone: LMDB counts each key as 2 bytes of lower and ksize-2 of
  // upper, so with 1-byte keys (DUPFIXED values of one byte) upper, and then lower, pass the page end.
  bool page_ok(const std::byte* p, size_t bytes) const {
    bool ok;
    if (page::is_leaf2(p)) {
      const unsigned lo = page::lower(p);
      ok = page::is_leaf(p) && lo >= format::kPageHeaderSize && !(lo & 1) && page::leaf2_sane(p, leaf2_key_size(), bytes);
    } else {
      ok = page::header_sane(p, bytes) && (page::is_leaf(p) || page::is_branch(p));
    }
    return ok && (!page::is_branch(p) || page::num_keys(p) > 0);
  }
  // Binary search of `page` for `key` with every probed node bounds-checked.
  page::SearchResult find(const std::byte* page, Bytes key) const {
    if (cmp_->kind() == KeyCompare::Kind::kLexical)  // the common order, compared inline
      return page::search(page, key, [](Bytes a, Bytes b) { return KeyCompare::compare_lexical_words(a, b); },
                          leaf2_key_size(), page_bytes());
    return page::search(page, key, *cmp_, leaf2_key_size(), page_bytes());
  }

  // Point lookup without a cursor (mdb_get on a database without duplicates): descends from the root
  // with every page checked as search() checks it, and sets `*data` (when not null) to the value of `key`.
  // MDB_NOTFOUND when absent. REQUIRES: a tree without duplicates (a DUPSORT get goes through a Cursor).
  Status get(Bytes key, Bytes* data) const;
  // Finds the leaf for `key` (or the first/last leaf), filling `s` from the root. With `modify`, every page
  // on the path is made writable. MDB_NOTFOUND for an empty tree.
  Status search(Stack& s, Bytes key, SearchMode mode, bool modify) const;
  // Continues a search from the branch page at the top of `s` down its leftmost path.
  Status search_lowest(Stack& s) const;
  // Replaces the top page of `s` with its right or left neighbour at the same level. MDB_NOTFOUND at an end.
  Status sibling(Stack& s, bool right) const;
  // Prefetches the leaf after child `index` of `parent` (when there is one), which `leaf` is: a forward scan
  // about to reach it.
  void prefetch_next_leaf(const std::byte* parent, unsigned index, const std::byte* leaf) const;
  // Makes the page at `level` writable, updating its parent's pointer (or the root).
  Status touch(Stack& s, unsigned level) const;
  Status touch_path(Stack& s) const;
  // The data of a leaf node, following an overflow run when there is one.
  Result<Bytes> read_data(const std::byte* node) const;

  // A fresh page of the given kind, counted in the database record.
  Result<std::byte*> new_page(uint16_t page_flags) const;
  // Stores `data` on a new overflow run; returns the node spec that points at it and, through `reserved`,
  // where the data lives (for MDB_RESERVE).
  Result<NodeSpec> make_overflow(Bytes key, Bytes data, bool copy, std::byte** reserved) const;
  Status free_overflow(const std::byte* node) const;

  // Inserts `item` at the top index of `s`, splitting as needed. Returns whether a split happened (then `s`
  // is stale). With `append`, a split puts the new item alone on the new right page (MDB_APPEND).
  Result<bool> insert(Stack& s, const NodeSpec& item, bool append) const;
  // Splits the top page of `s` while inserting `item` at its top index.
  Status split(Stack& s, const NodeSpec& item, bool append) const;
  // Replaces the separator key of the branch node at the top of `s` (splitting if it no longer fits).
  Status update_separator(Stack& s, Bytes key) const { return update_key(s, key); }
  // Rebalances the top page of `s` after a removal (mdb_rebalance).
  Status rebalance(Stack& s) const;
  // Whether a rebalance through this handle merged pages (LMDB then clears the cursor's eof flag).
  bool merged() const { return merged_; }

  // Size of `item` on a page of this kind, pointer included (LMDB's mdb_leaf_size / mdb_branch_size).
  size_t item_size(const std::byte* page, const NodeSpec& item) const;
  void place(std::byte* page, unsigned index, const NodeSpec& item) const;
  // The spec that recreates `node` of `page` (a branch or leaf page, not LEAF2) with its own key.
  NodeSpec spec_of(const std::byte* page, const std::byte* node) const;

 private:
  Status split_leaf2(Stack& s, std::byte* right, const NodeSpec& item, std::vector<std::byte>& sep) const;
  void redistribute(std::byte* left, std::byte* right, const std::vector<uint16_t>& order, unsigned split_index,
                    const NodeSpec& item) const;
  unsigned choose_split(const std::byte* page, const std::vector<uint16_t>& order, unsigned new_index,
                        size_t new_size) const;
  Status update_key(Stack& s, Bytes key) const;
  Status move_node(Stack& src, Stack& dst, bool from_left) const;
  Status merge(Stack& src, Stack& dst) const;
  Status rebalance_root(Stack& s) const;
  Result<std::vector<std::byte>> lowest_key(const Stack& s) const;
  void count_page(uint16_t page_flags, int delta) const;

  PageStore* store_;
  format::DbRecord* db_;
  const KeyCompare* cmp_;
  std::byte* inline_root_;
  size_t inline_size_;
  mutable bool merged_ = false;
};

}  // namespace aspen::tree
