// Asynchronous B+tree walks (layer: async). See walk.hpp; each function names the synchronous code it mirrors.
#include "async/walk.hpp"

#include "async/co_try.hpp"
#include "page/page.hpp"
#include "util/ids.hpp"

namespace aspen::async::detail {

page::SearchResult find(const std::byte* p, Bytes key, const tree::KeyCompare& cmp, size_t pad, size_t page_size) {
  if (cmp.kind() == tree::KeyCompare::Kind::kLexical)
    return page::search(p, key, [](Bytes a, Bytes b) { return tree::KeyCompare::compare_lexical_words(a, b); }, pad,
                        page_size);
  return page::search(p, key, cmp, pad, page_size);
}

Status check_page(const std::byte* p, size_t size, size_t pad) {
  bool ok = page::header_sane(p, size) && (page::is_leaf(p) || page::is_branch(p));
  if (ok && page::is_leaf2(p)) ok = page::leaf2_sane(p, pad, size);
  if (ok && page::is_branch(p)) ok = page::num_keys(p) > 0;
  return ok ? ok_status() : Status(ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p)));
}

unsigned branch_index(const std::byte* p, const TreeView& tree, const Bytes* key, size_t page_size) {
  const unsigned n = page::num_keys(p);
  unsigned i = 0;
  if (key) {
    page::SearchResult found = find(p, *key, *tree.cmp, tree.pad, page_size);
    if (found.corrupt) return ~0u;
    i = found.index >= n ? n - 1 : (found.exact ? found.index : found.index - 1);
  }
  return page::node_sane(p, i, page_size) ? i : ~0u;
}

Task<Status> descend(ExecutorImpl& ex, const Snapshot& snap, const TreeView& tree, const Bytes* key, Path& path,
                     bool pin_path) {
  path.clear();
  if (tree.root == kInvalidPage) co_return ASPEN_ERROR(code::kNotFound);
  uint64_t pgno = tree.root;
  for (;;) {
    Result<pager::PageRef> got = co_await PageAwait(ex, snap, pgno, 1, tree.shared_at(path.depth));
    ASPEN_CO_TRY(got);
    const std::byte* p = got->data();
    ASPEN_CO_TRY(check_page(p, snap.page_size, tree.pad));
    if (path.depth >= Path::kMaxDepth) co_return ASPEN_ERROR(code::kCursorFull);
    path.pages[path.depth] = std::move(*got);
    path.index[path.depth++] = 0;
    if (!page::is_branch(p)) break;
    const unsigned i = branch_index(p, tree, key, snap.page_size);
    if (i == ~0u) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    path.index[path.depth - 1] = static_cast<uint16_t>(i);
    pgno = page::node_child(page::node(p, i));
    if (!pin_path) path.pages[path.depth - 1].reset();
  }
  if (!page::is_leaf(path.leaf())) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(path.leaf()));
  co_return ok_status();
}

Task<Status> step_right(ExecutorImpl& ex, const Snapshot& snap, const TreeView& tree, Path& path) {
  int level = static_cast<int>(path.depth) - 2;
  while (level >= 0 && path.index[level] + 1u >= page::num_keys(path.pages[level].data())) --level;
  if (level < 0) co_return ASPEN_ERROR(code::kNotFound);
  ++path.index[level];
  for (auto l = static_cast<unsigned>(level); l + 1 < path.depth; ++l) {
    const std::byte* parent = path.pages[l].data();
    if (!page::is_branch(parent) || !page::node_sane(parent, path.index[l], snap.page_size))
      co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(parent));
    Result<pager::PageRef> got = co_await PageAwait(ex, snap, page::node_child(page::node(parent, path.index[l])));
    ASPEN_CO_TRY(got);
    ASPEN_CO_TRY(check_page(got->data(), snap.page_size, tree.pad));
    path.pages[l + 1] = std::move(*got);
    path.index[l + 1] = 0;
  }
  co_return ok_status();
}

Task<Result<Bytes>> read_overflow(ExecutorImpl& ex, const Snapshot& snap, const std::byte* node, pager::PageRef* run,
                                  bool point) {
  const uint32_t size = page::node_data_size(node);
  const uint64_t pgno = page::node_overflow_page(node);
  const uint64_t needed = format::overflow_pages(size, snap.page_size);
  if (pgno + needed > snap.page_limit || pgno + needed < pgno) co_return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  Result<pager::PageRef> got = co_await PageAwait(ex, snap, pgno, static_cast<unsigned>(needed), !point);
  ASPEN_CO_TRY(got);
  const std::byte* p = got->data();
  if (!page::is_overflow(p) || page::header(p)->pages < needed) co_return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
  *run = std::move(*got);
  co_return Bytes{p + format::kPageHeaderSize, size};
}

Result<Bytes> duplicate_at(const SubPosition& sub, size_t page_size) {
  const bool inline_page = sub.kind == SubPosition::Kind::kInline;
  const std::byte* p = inline_page ? sub.page : sub.path.leaf();
  const size_t size = inline_page ? sub.size : page_size;
  const unsigned i = inline_page ? sub.index : sub.path.index[sub.path.depth - 1];
  if (page::is_leaf2(p)) return page::key_at(p, i, sub.pad);
  if (!page::node_sane(p, i, size)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  return page::node_key(page::node(p, i));
}

Result<Bytes> open_inline_duplicates(uint16_t db_flags, const std::byte* node, SubPosition& sub) {
  sub.path.clear();
  sub.kind = SubPosition::Kind::kNone;
  const std::byte* data = page::node_data(node);
  const size_t size = page::node_data_size(node);
  if (size < format::kPageHeaderSize || !page::is_subpage(data)) return ASPEN_ERROR(code::kCorrupted);
  sub.pad = (db_flags & format::kDbDupFixed) ? page::header(data)->pad : 0;
  ASPEN_TRY(check_page(data, size, sub.pad));
  if (!page::is_leaf(data)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(data));
  sub.kind = SubPosition::Kind::kInline;
  sub.page = data;
  sub.size = size;
  sub.index = 0;
  if (page::num_keys(data) == 0) return ASPEN_ERROR(code::kNotFound);
  return duplicate_at(sub, size);
}

Task<Result<Bytes>> open_duplicate_tree(ExecutorImpl& ex, const Snapshot& snap, const std::byte* node, SubPosition& sub,
                                        bool point) {
  sub.path.clear();
  sub.kind = SubPosition::Kind::kNone;
  if (page::node_data_size(node) != format::kDbRecordSize) co_return ASPEN_ERROR(code::kCorrupted);
  const format::DbRecord record = format::DbRecord::decode(page::node_data(node));
  sub.pad = record.pad;
  TreeView view{record.root, record.pad, nullptr, point ? record.depth : 0u};
  ASPEN_CO_TRY(co_await descend(ex, snap, view, nullptr, sub.path));
  sub.kind = SubPosition::Kind::kTree;
  if (page::num_keys(sub.path.leaf()) == 0) co_return ASPEN_ERROR(code::kNotFound);
  co_return duplicate_at(sub, snap.page_size);
}

Task<Result<Bytes>> next_duplicate(ExecutorImpl& ex, const Snapshot& snap, SubPosition& sub) {
  if (sub.kind == SubPosition::Kind::kInline) {
    if (sub.index + 1u >= page::num_keys(sub.page)) co_return ASPEN_ERROR(code::kNotFound);
    ++sub.index;
    co_return duplicate_at(sub, snap.page_size);
  }
  if (sub.kind != SubPosition::Kind::kTree) co_return ASPEN_ERROR(code::kNotFound);
  if (sub.path.leaf_index() + 1u < page::num_keys(sub.path.leaf())) {
    ++sub.path.leaf_index();
  } else {
    TreeView view{0, sub.pad, nullptr};
    ASPEN_CO_TRY(co_await step_right(ex, snap, view, sub.path));
  }
  co_return duplicate_at(sub, snap.page_size);
}

}  // namespace aspen::async::detail
