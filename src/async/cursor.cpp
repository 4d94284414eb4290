// async::Cursor: MDB_FIRST, MDB_SET_RANGE and MDB_NEXT as asynchronous walks (layer: async).
//
// The state machine is tree::Cursor's for these operations (cursor.cpp there): `positioned` is its
// `initialized`, `eof` its `eof` (set when a move found no right neighbour); on a DUPSORT key whose node holds
// duplicates, `sub` walks them (its sub-cursor) and MDB_NEXT takes the next duplicate before the next key.
#include <cerrno>

#include "async/co_try.hpp"
#include "async/txn_state.hpp"
#include "page/page.hpp"

namespace aspen::async {
namespace detail {
namespace {

TreeView view_of(const CursorState& c) { return TreeView{c.record.root, c.record.pad, c.cmp}; }

// The item under the cursor: its key and its value, or (DUPSORT) its first duplicate (read_item, kFirst).
Task<Result<Entry>> read_item(CursorState& c, Snapshot snap) {
  ExecutorImpl& ex = *c.txn->ex;
  c.run.reset();
  c.sub.path.clear();
  c.sub.kind = SubPosition::Kind::kNone;
  const std::byte* leaf = c.path.leaf();
  const unsigned i = c.path.leaf_index();
  if (page::is_leaf2(leaf)) co_return Entry{page::key_at(leaf, i, c.record.pad), Bytes{}};
  if (!page::node_sane(leaf, i, snap.page_size)) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  const std::byte* n = page::node(leaf, i);
  const uint16_t flags = page::node_flags(n);
  Result<Bytes> value = Bytes{};
  if (c.dupsort && (flags & format::kNodeDupData)) {
    // (No co_await inside a conditional expression: GCC 12 evaluates it in both branches.)
    if (flags & format::kNodeSubData) {
      value = co_await open_duplicate_tree(ex, snap, n, c.sub);
    } else {
      value = open_inline_duplicates(c.record.flags, n, c.sub);
    }
  } else if (flags & format::kNodeBigData) {
    value = co_await read_overflow(ex, snap, n, &c.run);
  } else {
    value = Bytes{page::node_data(n), page::node_data_size(n)};
  }
  ASPEN_CO_TRY(value);
  co_return Entry{page::node_key(n), *value};
}

Task<Result<Entry>> first(CursorState& c, Snapshot snap) {
  c.positioned = false;
  ASPEN_CO_TRY(co_await descend(*c.txn->ex, snap, view_of(c), nullptr, c.path));
  if (page::num_keys(c.path.leaf()) == 0) co_return ASPEN_ERROR(code::kNotFound);
  c.positioned = true;
  c.eof = false;
  c.path.leaf_index() = 0;
  co_return co_await read_item(c, snap);
}

Task<Result<Entry>> seek(CursorState& c, Snapshot snap, Bytes key) {
  if (key.empty()) co_return ASPEN_ERROR(code::kBadValsize);
  c.positioned = false;
  ASPEN_CO_TRY(co_await descend(*c.txn->ex, snap, view_of(c), &key, c.path));
  c.positioned = true;
  c.eof = false;
  const std::byte* leaf = c.path.leaf();
  const page::SearchResult found = find(leaf, key, *c.cmp, c.record.pad, snap.page_size);
  if (found.corrupt) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  c.path.leaf_index() = static_cast<uint16_t>(found.index);
  if (found.index >= page::num_keys(leaf)) {
    Status st = co_await step_right(*c.txn->ex, snap, view_of(c), c.path);
    if (!st.ok()) {
      c.eof = true;
      co_return st.error();
    }
  }
  co_return co_await read_item(c, snap);
}

Task<Result<Entry>> next(CursorState& c, Snapshot snap) {
  if (!c.positioned) co_return co_await first(c, snap);
  if (c.eof) co_return ASPEN_ERROR(code::kNotFound);
  if (c.sub.kind != SubPosition::Kind::kNone) {
    Result<Bytes> dup = co_await next_duplicate(*c.txn->ex, snap, c.sub);
    if (dup.ok()) co_return Entry{page::node_key(page::node(c.path.leaf(), c.path.leaf_index())), *dup};
    if (dup.code() != code::kNotFound) co_return dup.error();
  }
  if (c.path.leaf_index() + 1u < page::num_keys(c.path.leaf())) {
    ++c.path.leaf_index();
  } else {
    Status st = co_await step_right(*c.txn->ex, snap, view_of(c), c.path);
    if (!st.ok()) {
      c.eof = true;
      co_return st.error();
    }
  }
  co_return co_await read_item(c, snap);
}

}  // namespace

Task<Result<Entry>> cursor_op(CursorState* c, CursorOp op, Bytes key) {
  txn::Transaction* t = c->txn->native();
  if (!t) co_return ASPEN_ERROR(EINVAL);
  ASPEN_CO_TRY(t->check_usable());
  const Snapshot snap = c->txn->snapshot();
  Result<Entry> entry = Entry{};
  switch (op) {  // not a conditional expression: GCC 12 would evaluate every co_await in it
    case CursorOp::kFirst: entry = co_await first(*c, snap); break;
    case CursorOp::kSeek: entry = co_await seek(*c, snap, key); break;
    case CursorOp::kNext: entry = co_await next(*c, snap); break;
  }
  if (t->leased()) ASPEN_CO_TRY(t->check_snapshot());
  co_return std::move(entry);
}

}  // namespace detail

Result<Cursor> Txn::cursor(Dbi dbi) const {
  txn::Transaction* t = state_->native();
  if (!t || !t->valid_dbi(dbi, false)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(t->check_usable());
  ASPEN_ASSIGN(format::DbRecord* record, t->record(dbi));
  std::unique_ptr<detail::CursorState> c(new (std::nothrow) detail::CursorState);
  if (!c) return ASPEN_ERROR(ENOMEM);
  c->txn = state_.get();
  c->dbi = dbi;
  c->record = *record;
  c->cmp = &t->key_order(dbi);
  c->dupsort = t->dup_order(dbi) != nullptr;
  return Cursor(std::move(c));
}

Cursor::Cursor(std::unique_ptr<detail::CursorState> state) : state_(std::move(state)) {}
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
Cursor::~Cursor() = default;

Task<Result<Entry>> Cursor::first() { return detail::cursor_op(state_.get(), detail::CursorOp::kFirst, {}); }
Task<Result<Entry>> Cursor::seek(Bytes key) { return detail::cursor_op(state_.get(), detail::CursorOp::kSeek, key); }
Task<Result<Entry>> Cursor::next() { return detail::cursor_op(state_.get(), detail::CursorOp::kNext, {}); }

}  // namespace aspen::async
