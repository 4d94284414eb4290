// Rebalancing after a removal (layer: tree): LMDB 0.9's mdb_rebalance, mdb_node_move and mdb_page_merge.
//
// A page under the fill threshold (25% for leaves; for branch pages: fewer than two keys) borrows one node
// from a neighbour that can spare it, or else merges with it; a merge removes a pointer from the parent,
// which is rebalanced in turn. A root branch left with one child is replaced by that child; an empty root
// leaf empties the tree.
#include "tree/tree.hpp"

namespace aspen::tree {
namespace {

std::vector<std::byte> copy_bytes(Bytes b) { return std::vector<std::byte>(b.begin(), b.end()); }

}  // namespace

// The smallest key in the subtree under the branch page at the top of `s`.
Result<std::vector<std::byte>> Tree::lowest_key(const Stack& s) const {
  Stack down = s;
  ASPEN_TRY(search_lowest(down));
  const std::byte* leaf = down.top_page();
  if (page::num_keys(leaf) == 0) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  return copy_bytes(page::key_at(leaf, 0, leaf2_key_size()));
}

// Replaces the key of the branch node at the top of `s`, splitting the page when the new key does not fit.
Status Tree::update_key(Stack& s, Bytes key) const {
  std::byte* p = s.top_page();
  if (page::replace_key(p, s.top_index(), key)) return ok_status();
  uint64_t child = page::node_child(page::node(p, s.top_index()));
  page::remove_node(p, s.top_index(), 0);
  std::vector<std::byte> owned = copy_bytes(key);
  return split(s, NodeSpec::branch({owned.data(), owned.size()}, child), false);
}

Status Tree::rebalance_root(Stack& s) const {
  std::byte* root = s.pages[0];
  if (page::is_subpage(root)) return ok_status();
  if (page::num_keys(root) == 0) {
    db_->root = kInvalidPage;
    db_->depth = 0;
    db_->leaf_pages = 0;
    s.depth = 0;
    return store_->release(root, 1);
  }
  if (page::is_branch(root) && page::num_keys(root) == 1) {
    uint64_t child = page::node_child(page::node(root, 0));
    ASPEN_TRY(store_->release(root, 1));
    ASPEN_ASSIGN(std::byte* fresh_root, store_->page(child));
    db_->root = child;
    --db_->depth;
    --db_->branch_pages;
    for (unsigned i = 0; i + 1 < s.depth; ++i) {
      s.pages[i] = s.pages[i + 1];
      s.index[i] = s.index[i + 1];
    }
    s.pages[0] = fresh_root;
    --s.depth;
  }
  return ok_status();
}

Status Tree::rebalance(Stack& s) const {
  std::byte* p = s.top_page();
  const bool branch = page::is_branch(p);
  const unsigned min_keys = branch ? 2 : 1;
  const unsigned threshold = branch ? 1 : format::kFillThreshold;
  const size_t psize = store_->page_size();
  if (page::fill(p, psize) >= threshold && page::num_keys(p) >= min_keys) return ok_status();
  if (s.depth < 2) return rebalance_root(s);

  const unsigned ptop = s.depth - 2;
  std::byte* parent = s.pages[ptop];
  if (page::num_keys(parent) < 2) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(parent));
  Stack neighbor = s;
  const bool from_left = s.index[ptop] != 0;
  neighbor.index[ptop] = static_cast<uint16_t>(from_left ? s.index[ptop] - 1 : s.index[ptop] + 1);
  ASPEN_ASSIGN(std::byte* np, store_->page(page::node_child(page::node(parent, neighbor.index[ptop]))));
  neighbor.pages[neighbor.top()] = np;
  if (from_left) {
    neighbor.top_index() = static_cast<uint16_t>(page::num_keys(np) - 1);
    s.top_index() = 0;
  } else {
    neighbor.top_index() = 0;
    s.top_index() = static_cast<uint16_t>(page::num_keys(p));
  }
  if (page::fill(np, psize) >= threshold && page::num_keys(np) > min_keys) return move_node(neighbor, s, from_left);
  if (!from_left) return merge(neighbor, s);
  return merge(s, neighbor);
}

// Moves the node at the top of `src` to the top position of `dst`, a neighbour under the same parent, and
// fixes the separators above both pages.
Status Tree::move_node(Stack& src, Stack& dst, bool /*from_left*/) const {
  ASPEN_TRY(touch(src, src.top()));
  ASPEN_TRY(touch(dst, dst.top()));
  std::byte* ps = src.top_page();
  std::byte* pd = dst.top_page();
  const unsigned ptop = src.depth - 2;
  std::vector<std::byte> key;
  NodeSpec spec;
  if (page::is_leaf2(ps)) {
    key = copy_bytes(page::key_at(ps, src.top_index(), leaf2_key_size()));
  } else {
    const std::byte* n = page::node(ps, src.top_index());
    if (src.top_index() == 0 && page::is_branch(ps)) {
      ASPEN_ASSIGN(key, lowest_key(src));
    } else {
      key = copy_bytes(page::node_key(n));
    }
    spec = spec_of(ps, n);
  }
  spec.key = {key.data(), key.size()};
  if (page::is_branch(pd) && dst.top_index() == 0) {
    // The moved node goes before dst's first node, whose implicit key must become real.
    ASPEN_ASSIGN(std::vector<std::byte> first, lowest_key(dst));
    if (!page::replace_key(pd, 0, {first.data(), first.size()})) return ASPEN_PAGE_ERROR(code::kPageFull, page::page_number(pd));
  }
  if (page::size_left(pd) < item_size(pd, spec)) return ASPEN_PAGE_ERROR(code::kPageFull, page::page_number(pd));
  place(pd, dst.top_index(), spec);
  page::remove_node(ps, src.top_index(), leaf2_key_size());

  for (Stack* side : {&src, &dst}) {
    if (side->top_index() != 0) continue;
    std::byte* p = side->top_page();
    if (side->index[ptop] != 0) {
      std::vector<std::byte> first = copy_bytes(page::key_at(p, 0, leaf2_key_size()));
      Stack up = *side;
      up.depth = ptop + 1;
      ASPEN_TRY(update_key(up, {first.data(), first.size()}));
    }
    if (page::is_branch(p)) page::replace_key(p, 0, {});
  }
  return ok_status();
}

// Appends every node of the page at the top of `src` to the page at the top of `dst` (its left neighbour),
// unlinks and frees the source page, then rebalances the parent.
Status Tree::merge(Stack& src, Stack& dst) const {
  merged_ = true;
  ASPEN_TRY(touch(dst, dst.top()));
  std::byte* ps = src.top_page();
  std::byte* pd = dst.top_page();
  unsigned j = page::num_keys(pd);
  const unsigned count = page::num_keys(ps);
  for (unsigned i = 0; i < count; ++i, ++j) {
    std::vector<std::byte> key;
    NodeSpec spec;
    if (page::is_leaf2(ps)) {
      key = copy_bytes(page::key_at(ps, i, leaf2_key_size()));
    } else {
      if (i == 0 && page::is_branch(ps)) {
        ASPEN_ASSIGN(key, lowest_key(src));
      } else {
        key = copy_bytes(page::node_key(page::node(ps, i)));
      }
      spec = spec_of(ps, page::node(ps, i));
    }
    spec.key = {key.data(), key.size()};
    if (page::size_left(pd) < item_size(pd, spec)) return ASPEN_PAGE_ERROR(code::kPageFull, page::page_number(pd));
    place(pd, j, spec);
  }
  const unsigned ptop = src.depth - 2;
  std::byte* parent = src.pages[ptop];
  page::remove_node(parent, src.index[ptop], 0);
  if (src.index[ptop] == 0) page::replace_key(parent, 0, {});
  count_page(page::flags(ps), -1);
  ASPEN_TRY(store_->release(ps, 1));
  dst.pop();
  return rebalance(dst);
}

}  // namespace aspen::tree
