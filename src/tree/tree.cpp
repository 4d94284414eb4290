// Tree search, sibling moves, copy-on-write of a path, node placement and overflow runs (layer: tree).
#include "tree/tree.hpp"

#include <cstring>

namespace aspen::tree {

using format::kPageHeaderSize;

Status Tree::check_page(const std::byte* p) const {
  return page_ok(p, page_bytes()) ? ok_status() : Status(ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p)));
}

Status Tree::search(Stack& s, Bytes key, SearchMode mode, bool modify) const {
  s.depth = 0;
  std::byte* root = inline_root_;
  if (!root) {
    if (db_->root == kInvalidPage) return ASPEN_ERROR(code::kNotFound);
    ASPEN_ASSIGN(root, store_->page(db_->root));
  }
  ASPEN_TRY(check_page(root));
  s.push(root);
  if (modify) ASPEN_TRY(touch(s, 0));
  for (std::byte* p = s.top_page(); page::is_branch(p); p = s.top_page()) {
    unsigned n = page::num_keys(p);
    unsigned i = 0;
    if (mode == SearchMode::kLast) {
      i = n - 1;
    } else if (mode == SearchMode::kKey) {
      auto found = find(p, key);
      if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
      i = found.index >= n ? n - 1 : (found.exact ? found.index : found.index - 1);
    }
    if (!page::node_sane(p, i, page_bytes())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    s.top_index() = static_cast<uint16_t>(i);
    ASPEN_ASSIGN(std::byte* child, store_->page(page::node_child(page::node(p, i))));
    ASPEN_TRY(check_page(child));
    if (!s.push(child)) return ASPEN_ERROR(code::kCursorFull);
    if (modify) ASPEN_TRY(touch(s, s.top()));
  }
  if (!page::is_leaf(s.top_page())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(s.top_page()));
  return ok_status();
}

Status Tree::get(Bytes key, Bytes* data) const {
  std::byte* p = inline_root_;
  if (!p) {
    if (db_->root == kInvalidPage) return ASPEN_ERROR(code::kNotFound);
    ASPEN_ASSIGN(p, store_->page(db_->root));
  }
  const size_t bytes = page_bytes();
  if (!page_ok(p, bytes)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  // The same walk as search() into a cursor stack, without the stack: no copy-on-write, no positions kept.
  for (unsigned depth = 1; page::is_branch(p); ++depth) {
    const unsigned n = page::num_keys(p);
    auto found = find(p, key);
    if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    const unsigned i = found.index >= n ? n - 1 : (found.exact ? found.index : found.index - 1);
    if (!page::node_sane(p, i, bytes)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    if (depth >= Stack::kMaxDepth) return ASPEN_ERROR(code::kCursorFull);
    ASPEN_ASSIGN(p, store_->page(page::node_child(page::node(p, i))));
    if (!page_ok(p, bytes)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  }
  if (!page::is_leaf(p)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  auto found = find(p, key);
  if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  if (!found.exact) return ASPEN_ERROR(code::kNotFound);
  if (page::is_leaf2(p) || !data) return ok_status();
  if (!page::node_sane(p, found.index, bytes)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  ASPEN_ASSIGN(*data, read_data(page::node(p, found.index)));
  return ok_status();
}

Status Tree::search_lowest(Stack& s) const {
  std::byte* p = s.top_page();
  s.top_index() = 0;
  for (; page::is_branch(p); p = s.top_page()) {
    if (!page::node_sane(p, 0, page_bytes())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    ASPEN_ASSIGN(std::byte* next, store_->page(page::node_child(page::node(p, 0))));
    ASPEN_TRY(check_page(next));
    if (!s.push(next)) return ASPEN_ERROR(code::kCursorFull);
  }
  if (!page::is_leaf(s.top_page())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(s.top_page()));
  return ok_status();
}

Status Tree::sibling(Stack& s, bool right) const {
  if (s.depth < 2) return ASPEN_ERROR(code::kNotFound);
  s.pop();
  std::byte* parent = s.top_page();
  bool at_end = right ? s.top_index() + 1u >= page::num_keys(parent) : s.top_index() == 0;
  if (at_end) {
    Status st = sibling(s, right);
    if (!st.ok()) {
      ++s.depth;  // undo the pop: the caller keeps its position
      return st;
    }
    parent = s.top_page();
  } else {
    s.top_index() = static_cast<uint16_t>(right ? s.top_index() + 1 : s.top_index() - 1);
  }
  if (!page::is_branch(parent) || !page::node_sane(parent, s.top_index(), page_bytes()))
    return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(parent));
  ASPEN_ASSIGN(std::byte* p, store_->page(page::node_child(page::node(parent, s.top_index()))));
  ASPEN_TRY(check_page(p));
  s.push(p);
  if (!right) s.top_index() = static_cast<uint16_t>(page::num_keys(p) - 1);
  else if (page::is_leaf(p)) prefetch_next_leaf(parent, s.index[s.depth - 2], p);
  return ok_status();
}

// A forward scan that just entered a leaf will want the next one: its lines are fetched while this leaf is
// read (a cursor walk is otherwise one cache and TLB miss after another at every leaf boundary). A leaf of
// few items (large values) leaves little time and uses few of the next leaf's lines: then only its first
// line (header and offsets, and the TLB entry) is fetched. Measured: +15 % readseq at 100-byte values.
void Tree::prefetch_next_leaf(const std::byte* parent, unsigned index, const std::byte* leaf) const {
  constexpr unsigned kManyItems = 8;
  if (index + 1u >= page::num_keys(parent) || !page::node_sane(parent, index + 1, page_bytes())) return;
  Result<std::byte*> next = store_->page(page::node_child(page::node(parent, index + 1)));
  if (!next.ok()) return;
  if (page::num_keys(leaf) >= kManyItems) page::prefetch_page(*next, page_bytes());
  else page::prefetch_line(*next);
}

Status Tree::touch(Stack& s, unsigned level) const {
  std::byte* p = s.pages[level];
  ASPEN_ASSIGN(std::byte* fresh, store_->touch(p));
  if (fresh == p) return ok_status();
  s.pages[level] = fresh;
  if (level == 0) db_->root = page::page_number(fresh);
  else page::set_node_child(page::node(s.pages[level - 1], s.index[level - 1]), page::page_number(fresh));
  return ok_status();
}

Status Tree::touch_path(Stack& s) const {
  for (unsigned level = 0; level < s.depth; ++level) ASPEN_TRY(touch(s, level));
  return ok_status();
}

Result<Bytes> Tree::read_data(const std::byte* node) const {
  uint32_t size = page::node_data_size(node);
  if (!(page::node_flags(node) & format::kNodeBigData)) return Bytes{page::node_data(node), size};
  uint64_t pgno = page::node_overflow_page(node);
  uint64_t needed = format::overflow_pages(size, store_->page_size());
  if (pgno + needed > store_->page_limit() || pgno + needed < pgno) return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  ASPEN_ASSIGN(std::byte* run, store_->page(pgno));
  if (!page::is_overflow(run) || page::header(run)->pages < needed) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
  return Bytes{run + kPageHeaderSize, size};
}

void Tree::count_page(uint16_t page_flags, int delta) const {
  if (page_flags & format::kPageBranch) db_->branch_pages += delta;
  else if (page_flags & format::kPageLeaf) db_->leaf_pages += delta;
}

Result<std::byte*> Tree::new_page(uint16_t page_flags) const {
  ASPEN_ASSIGN(std::byte* p, store_->allocate(1));
  page::init(p, page::page_number(p), static_cast<uint16_t>(page_flags | format::kPageDirty), store_->page_size());
  count_page(page_flags, 1);
  return p;
}

Result<NodeSpec> Tree::make_overflow(Bytes key, Bytes data, bool copy, std::byte** reserved) const {
  auto count = static_cast<unsigned>(format::overflow_pages(data.size(), store_->page_size()));
  ASPEN_ASSIGN(std::byte* run, store_->allocate(count));
  auto* h = page::header(run);
  h->pad = 0;
  h->flags = format::kPageOverflow | format::kPageDirty;
  h->pages = count;
  db_->overflow_pages += count;
  std::byte* dest = run + kPageHeaderSize;
  if (copy && !data.empty()) std::memcpy(dest, data.data(), data.size());
  if (reserved) *reserved = dest;
  NodeSpec spec;
  spec.key = key;
  spec.leaf = {as_bytes(&h->pgno, sizeof(uint64_t)), static_cast<uint32_t>(data.size()), format::kNodeBigData};
  return spec;
}

Status Tree::free_overflow(const std::byte* node) const {
  uint64_t pgno = page::node_overflow_page(node);
  if (pgno >= store_->page_limit()) return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  ASPEN_ASSIGN(std::byte* run, store_->page(pgno));
  if (!page::is_overflow(run)) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
  uint32_t count = page::header(run)->pages;
  db_->overflow_pages -= count;
  return store_->release(run, count);
}

size_t Tree::item_size(const std::byte* p, const NodeSpec& item) const {
  if (page::is_leaf2(p)) return item.key.size();
  if (page::is_leaf(p)) return format::even(format::kNodeHeaderSize + item.key.size() + item.leaf.stored.size()) + 2;
  return page::branch_node_size(item.key.size());
}

void Tree::place(std::byte* p, unsigned index, const NodeSpec& item) const {
  if (page::is_leaf2(p)) page::add_leaf2_key(p, index, item.key);
  else if (page::is_leaf(p)) page::add_leaf_node(p, index, item.key, item.leaf);
  else page::add_branch_node(p, index, item.key, item.child);
}

NodeSpec Tree::spec_of(const std::byte* p, const std::byte* n) const {
  NodeSpec spec;
  spec.key = page::node_key(n);
  if (page::is_branch(p)) {
    spec.child = page::node_child(n);
    return spec;
  }
  uint16_t f = page::node_flags(n);
  size_t stored = (f & format::kNodeBigData) ? sizeof(uint64_t) : page::node_data_size(n);
  spec.leaf = {Bytes{page::node_data(n), stored}, page::node_data_size(n), f};
  return spec;
}

Result<bool> Tree::insert(Stack& s, const NodeSpec& item, bool append) const {
  std::byte* p = s.top_page();
  if (page::size_left(p) < item_size(p, item)) {
    ASPEN_TRY(split(s, item, append));
    return true;
  }
  place(p, s.top_index(), item);
  return false;
}

}  // namespace aspen::tree
