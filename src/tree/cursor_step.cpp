// The fast cursor step (layer: tree): MDB_NEXT within one leaf, without the general next() machinery.
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

bool Cursor::step_within_leaf(Bytes* key, Bytes* data) {
  if (!initialized_ || eof_ || deleted_ || saved_.active || dup_cmp_ || is_sub_ || stack_.depth == 0) return false;
  const std::byte* p = stack_.top_page();
  const unsigned i = stack_.top_index() + 1u;
  if (i >= page::num_keys(p) || !page::is_leaf(p) || page::is_leaf2(p)) return false;
  if (!step_page_size_) step_page_size_ = store_->page_size();  // a virtual call, once per cursor
  if (!page::node_sane(p, i, step_page_size_)) return false;     // next() reports the corruption
  const std::byte* n = page::node(p, i);
  Bytes value{page::node_data(n), page::node_data_size(n)};
  if (data && (page::node_flags(n) & format::kNodeBigData) && !read_big(tree(), n, &value)) return false;
  stack_.top_index() = static_cast<uint16_t>(i);
  if (key) *key = page::node_key(n);
  if (data) *data = value;
  return true;
}

}  // namespace aspen::tree
