// The fast cursor step (layer: tree): MDB_NEXT within one leaf, or to the first item of the next leaf under
// the same parent, without the general next() machinery.
//
// A scan spends nearly all its steps moving to the next node of the same leaf; next() handles the eof,
// deleted and DUPSORT states, sibling moves and saved positions. This path takes only the case where
// none of those apply and leaves everything else to next(), which it must agree with exactly: same item,
// same validation of the node (node_sane), same overflow read (Tree::read_data), cursor state unchanged
// but for the index.
// Thread-safety: one transaction's thread.
#include "tree/cursor.hpp"

namespace aspen::tree {

namespace {

// The value of an F_BIGDATA node, kept out of the fast path's body. False on any problem (next() reports it).
[[gnu::noinline]] bool read_big(const Tree& tree, const std::byte* n, Bytes* value) {
  Result<Bytes> big = tree.read_data(n);
  if (!big.ok()) return false;
  *value = *big;
  return true;
}

}  // namespace

// Reads item `i` of leaf `p` (plain node: no DUPSORT) without moving the cursor; false on a bad node.
bool Cursor::read_plain(const std::byte* p, unsigned i, Bytes* key, Bytes* data) const {
  if (!page::node_sane(p, i, step_page_size_)) return false;  // next() reports the corruption
  const std::byte* n = page::node(p, i);
  Bytes value{page::node_data(n), page::node_data_size(n)};
  if (data && (page::node_flags(n) & format::kNodeBigData) && !read_big(tree(), n, &value)) return false;
  if (key) *key = page::node_key(n);
  if (data) *data = value;
  return true;
}

bool Cursor::step_within_leaf(Bytes* key, Bytes* data) {
  if (!initialized_ || eof_ || deleted_ || saved_.active || dup_cmp_ || is_sub_ || stack_.depth == 0) return false;
  const std::byte* p = stack_.top_page();
  if (!page::is_leaf(p) || page::is_leaf2(p)) return false;
  if (!step_page_size_) step_page_size_ = store_->page_size();  // a virtual call, once per cursor
  const unsigned i = stack_.top_index() + 1u;
  if (i >= page::num_keys(p)) return step_to_next_leaf(key, data);
  if (!read_plain(p, i, key, data)) return false;
  stack_.top_index() = static_cast<uint16_t>(i);
  return true;
}

// From the last item of a leaf to the first of the next leaf under the same parent: what sibling() and
// read_item() do in that case, with the same checks (page_ok, node_sane), and the next leaf prefetched.
// Any other case (a parent boundary, a bad page) is left to next().
bool Cursor::step_to_next_leaf(Bytes* key, Bytes* data) {
  if (stack_.depth < 2) return false;
  const unsigned up = stack_.depth - 2;
  const std::byte* parent = stack_.pages[up];
  const unsigned j = stack_.index[up] + 1u;
  if (!page::is_branch(parent) || j >= page::num_keys(parent) || !page::node_sane(parent, j, step_page_size_))
    return false;
  Result<std::byte*> next = store_->page(page::node_child(page::node(parent, j)));
  if (!next.ok()) return false;
  std::byte* leaf = *next;
  const Tree t = tree();
  if (!t.page_ok(leaf, step_page_size_) || !page::is_leaf(leaf) || page::is_leaf2(leaf) || page::num_keys(leaf) == 0)
    return false;
  if (!read_plain(leaf, 0, key, data)) return false;
  stack_.index[up] = static_cast<uint16_t>(j);
  stack_.pages[up + 1] = leaf;
  stack_.index[up + 1] = 0;
  t.prefetch_next_leaf(parent, j, leaf);
  return true;
}

}  // namespace aspen::tree
