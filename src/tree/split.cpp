// Page split (layer: tree): LMDB 0.9's mdb_page_split rules, so trees keep LMDB's shape.
//
// The page at the top of the stack is split into itself (left) and a new right sibling; the separator (the
// right page's first key) goes into the parent, which may split in turn, up to a new root. The split point
// is the middle of the page, moved when items are large or the new item goes last (sequential inserts then
// leave the left page full). With MDB_APPEND the new item goes alone onto the right page.
#include <cstring>
#include <memory>

#include "tree/tree.hpp"

namespace aspen::tree {
namespace {

constexpr uint16_t kNewItem = 0;  // placeholder in the split order for the item being inserted

std::vector<std::byte> copy_bytes(Bytes b) { return std::vector<std::byte>(b.begin(), b.end()); }

}  // namespace

// Picks the split index among the page's items plus the new one (LMDB's size scan). `order` lists node
// offsets in key order with kNewItem where the new item goes.
unsigned Tree::choose_split(const std::byte* p, const std::vector<uint16_t>& order, unsigned new_index,
                            size_t new_size) const {
  const unsigned nkeys = page::num_keys(p);
  unsigned split_index = (nkeys + 1) / 2;
  const size_t psize = store_->page_size();
  const size_t pmax = psize - format::kPageHeaderSize;
  const unsigned key_threshold = static_cast<unsigned>(psize >> 7);
  if (!(nkeys < key_threshold || new_size > pmax / 16 || new_index >= nkeys)) return split_index;
  int i, step, stop;
  if (new_index <= split_index || new_index >= nkeys) {
    i = 0;
    step = 1;
    stop = new_index >= nkeys ? static_cast<int>(nkeys) : static_cast<int>(split_index) + 1 + page::is_leaf(p);
  } else {
    i = static_cast<int>(nkeys);
    step = -1;
    stop = static_cast<int>(split_index) - 1;
  }
  size_t used = 0;
  for (; i != stop; i += step) {
    if (order[i] == kNewItem) {
      used += new_size;
    } else {
      const std::byte* n = p + order[i];
      used += format::kNodeHeaderSize + page::node_key_size(n) + sizeof(uint16_t);
      if (page::is_leaf(p))
        used += (page::node_flags(n) & format::kNodeBigData) ? sizeof(uint64_t) : page::node_data_size(n);
      used = format::even(used);
    }
    if (used > pmax || i == stop - step) return static_cast<unsigned>(i + (step < 0));
  }
  return split_index;
}

// Rebuilds `left` and fills `right` from the page's items in `order` (the new item included): items from
// `split_index` on go right, the others left. Branch pages keep an empty first key.
void Tree::redistribute(std::byte* left, std::byte* right, const std::vector<uint16_t>& order,
                        unsigned split_index, const NodeSpec& item) const {
  const size_t psize = store_->page_size();
  auto scratch = std::make_unique_for_overwrite<std::byte[]>(psize);  // fully overwritten: no zeroing
  std::memcpy(scratch.get(), left, psize);  // the old left page, read while `left` is rebuilt
  const std::byte* old = scratch.get();
  const bool branch = page::is_branch(left);
  auto place_item = [&](std::byte* dst, unsigned j, unsigned i) {
    NodeSpec spec = order[i] == kNewItem ? item : spec_of(old, old + order[i]);
    if (branch && j == 0) spec.key = {};
    place(dst, j, spec);
  };
  const unsigned total = static_cast<unsigned>(order.size());
  for (unsigned i = split_index, j = 0; i < total; ++i, ++j) place_item(right, j, i);
  page::init(left, page::page_number(old), page::flags(old), psize);
  page::header(left)->pad = page::header(old)->pad;
  for (unsigned i = 0; i < split_index; ++i) place_item(left, i, i);
}

// LEAF2 pages (DUPFIXED sub-trees) split by moving the upper half of the packed keys.
Status Tree::split_leaf2(Stack& s, std::byte* right, const NodeSpec& item, std::vector<std::byte>& sep) const {
  std::byte* left = s.top_page();
  const unsigned nkeys = page::num_keys(left), new_index = s.top_index();
  const unsigned split_index = (nkeys + 1) / 2;
  const size_t ksize = leaf2_key_size();
  if (item.key.size() != ksize) return ASPEN_ERROR(code::kBadValsize);
  const unsigned moved = nkeys - split_index;
  std::byte* from = page::leaf2_key(left, split_index, ksize);
  auto* lh = page::header(left);
  auto* rh = page::header(right);
  lh->bounds.lower = static_cast<uint16_t>(lh->bounds.lower - moved * 2);
  lh->bounds.upper = static_cast<uint16_t>(lh->bounds.upper + moved * (ksize - 2));
  rh->bounds.lower = static_cast<uint16_t>(rh->bounds.lower + moved * 2);
  rh->bounds.upper = static_cast<uint16_t>(rh->bounds.upper - moved * (ksize - 2));
  std::byte* rkeys = page::leaf2_key(right, 0, ksize);
  if (new_index < split_index) {
    std::memcpy(rkeys, from, moved * ksize);
    sep = copy_bytes({rkeys, ksize});
    // Shift left-page keys up one slot from the insertion point, then insert.
    std::byte* at = page::leaf2_key(left, new_index, ksize);
    std::memmove(at + ksize, at, (split_index - new_index) * ksize);
    std::memcpy(at, item.key.data(), ksize);
    lh->bounds.lower = static_cast<uint16_t>(lh->bounds.lower + 2);
    lh->bounds.upper = static_cast<uint16_t>(lh->bounds.upper - (ksize - 2));
    return ok_status();
  }
  unsigned x = new_index - split_index;
  sep = copy_bytes(x == 0 ? item.key : Bytes{from, ksize});
  std::memcpy(rkeys, from, x * ksize);
  std::memcpy(rkeys + x * ksize, item.key.data(), ksize);
  std::memcpy(rkeys + (x + 1) * ksize, from + x * ksize, (moved - x) * ksize);
  rh->bounds.lower = static_cast<uint16_t>(rh->bounds.lower + 2);
  rh->bounds.upper = static_cast<uint16_t>(rh->bounds.upper - (ksize - 2));
  return ok_status();
}

Status Tree::split(Stack& s, const NodeSpec& item, bool append) const {
  std::byte* left = s.top_page();
  const unsigned new_index = s.top_index();
  const unsigned nkeys = page::num_keys(left);
  ASPEN_ASSIGN(std::byte* right, new_page(page::flags(left) & ~(format::kPageDirty | format::kPageSubpage)));
  page::header(right)->pad = page::header(left)->pad;
  if (s.depth == 1) {  // splitting the root: a new root branch page goes on top of the stack
    ASPEN_ASSIGN(std::byte* root, new_page(format::kPageBranch));
    page::add_branch_node(root, 0, {}, page::page_number(left));
    s.pages[1] = s.pages[0];
    s.index[1] = s.index[0];
    s.pages[0] = root;
    s.index[0] = 0;
    s.depth = 2;
    db_->root = page::page_number(root);
    ++db_->depth;
  }
  const unsigned ptop = s.depth - 2;
  std::vector<std::byte> sep;
  std::vector<uint16_t> order;
  unsigned split_index = new_index;
  if (append) {
    sep = copy_bytes(item.key);
  } else if (page::is_leaf2(left)) {
    ASPEN_TRY(split_leaf2(s, right, item, sep));
  } else {
    order.reserve(nkeys + 1);
    for (unsigned i = 0; i < nkeys; ++i) {
      if (i == new_index) order.push_back(kNewItem);
      order.push_back(page::node_offset(left, i));
    }
    if (new_index >= nkeys) order.push_back(kNewItem);
    split_index = choose_split(left, order, new_index, format::even(item_size(left, item)));
    sep = copy_bytes(split_index == new_index ? item.key : page::node_key(left + order[split_index]));
  }

  // The separator goes into the parent, right after the pointer to the left page.
  Stack up = s;
  up.depth = ptop + 1;
  up.index[ptop] = static_cast<uint16_t>(s.index[ptop] + 1);
  NodeSpec separator = NodeSpec::branch({sep.data(), sep.size()}, page::page_number(right));
  std::byte* parent = up.top_page();
  if (page::size_left(parent) < page::branch_node_size(sep.size())) ASPEN_TRY(split(up, separator, false));
  else place(parent, up.top_index(), separator);

  if (append) place(right, 0, item);
  else if (!page::is_leaf2(left)) redistribute(left, right, order, split_index, item);
  return ok_status();
}

}  // namespace aspen::tree
