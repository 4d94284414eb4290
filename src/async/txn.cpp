// async::Txn and its awaitable get (layer: async). See include/aspen/async.hpp and txn_state.hpp.
//
// get() follows Transaction::get step by step: the handle and transaction checks, the database record, the
// empty-key check (MDB_BAD_VALSIZE), then Cursor::set(MDB_SET) as an asynchronous walk (walk.hpp), and for a
// leased snapshot the ousting check after the read.
#include <cerrno>

#include "async/co_try.hpp"
#include "async/txn_state.hpp"
#include "page/page.hpp"
#include "util/ids.hpp"

namespace aspen::async {
namespace detail {
namespace {

// The value of `key` in the tree of `record` (Cursor::set with MDB_SET, then read_item). The descent is
// descend() without a path (one coroutine frame less per lookup): only the current page is held, and no
// page while a read is awaited.
Task<Result<Value>> lookup(ExecutorImpl& ex, Snapshot snap, format::DbRecord record, const tree::KeyCompare* cmp,
                           Bytes key) {
  if (record.root == kInvalidPage) co_return ASPEN_ERROR(code::kNotFound);
  const TreeView view{record.root, record.pad, cmp, record.depth};
  pager::PageRef leaf_ref;
  uint64_t pgno = record.root;
  for (unsigned depth = 0;; ++depth) {
    if (depth >= Path::kMaxDepth) co_return ASPEN_ERROR(code::kCursorFull);
    Result<pager::PageRef> got = co_await PageAwait(ex, snap, pgno, 1, view.shared_at(depth));
    ASPEN_CO_TRY(got);
    leaf_ref = std::move(*got);
    const std::byte* p = leaf_ref.data();
    ASPEN_CO_TRY(check_page(p, snap.page_size, record.pad));
    if (!page::is_branch(p)) break;
    const unsigned i = branch_index(p, view, &key, snap.page_size);
    if (i == ~0u) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    pgno = page::node_child(page::node(p, i));
    leaf_ref.reset();
  }
  const std::byte* leaf = leaf_ref.data();
  if (!page::is_leaf(leaf)) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  const page::SearchResult found = find(leaf, key, *cmp, record.pad, snap.page_size);
  if (found.corrupt) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  if (!found.exact) co_return ASPEN_ERROR(code::kNotFound);
  if (page::is_leaf2(leaf)) co_return Value();  // MDB_SET on a LEAF2 page leaves the data untouched: empty
  if (!page::node_sane(leaf, found.index, snap.page_size)) co_return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(leaf));
  const std::byte* n = page::node(leaf, found.index);
  const uint16_t node_flags = page::node_flags(n);
  if ((record.flags & format::kDbDupSort) && (node_flags & format::kNodeDupData)) {
    SubPosition sub;
    if (node_flags & format::kNodeSubData) {
      Result<Bytes> first = co_await open_duplicate_tree(ex, snap, n, sub, true);
      ASPEN_CO_TRY(first);
      co_return Value(*first, sub.path.pages[sub.path.depth - 1].release());
    }
    Result<Bytes> first = open_inline_duplicates(record.flags, n, sub);
    ASPEN_CO_TRY(first);
    co_return Value(*first, leaf_ref.release());
  }
  if (!(node_flags & format::kNodeBigData))
    co_return Value(Bytes{page::node_data(n), page::node_data_size(n)}, leaf_ref.release());
  pager::PageRef run;
  Result<Bytes> data = co_await read_overflow(ex, snap, n, &run, true);
  ASPEN_CO_TRY(data);
  co_return Value(*data, run.release());
}

}  // namespace

// A named database's record is read from MAIN by the synchronous engine (through the map). Walking MAIN's
// path to it asynchronously first brings those pages into memory, so that read costs no stall.
Task<Status> prefetch_record(TxnState* state, Dbi dbi) {
  txn::Transaction* t = state->native();
  if (state->warmed.size() <= dbi) state->warmed.resize(dbi + 1, false);
  if (state->warmed[dbi] || state->ex->options.mode == ReadMode::kMap) co_return ok_status();
  state->warmed[dbi] = true;
  const std::string name = t->host().db_table().slot(dbi).name;
  Result<format::DbRecord*> main = t->record(format::kMainDbi);
  ASPEN_CO_TRY(main);
  const Bytes key = as_bytes(name);
  Path path;
  const TreeView view{(*main)->root, (*main)->pad, &t->key_order(format::kMainDbi)};
  (void)co_await descend(*state->ex, state->snapshot(), view, &key, path, false);  // only to bring pages in
  co_return ok_status();
}

Task<Result<Value>> get_value(TxnState* state, Dbi dbi, Bytes key) {
  txn::Transaction* t = state->native();
  if (!t || !t->valid_dbi(dbi, true)) co_return ASPEN_ERROR(EINVAL);
  ASPEN_CO_TRY(t->check_usable());
  if (dbi >= format::kCoreDbs) ASPEN_CO_TRY(co_await prefetch_record(state, dbi));
  Result<format::DbRecord*> record = t->record(dbi);
  ASPEN_CO_TRY(record);
  if (key.empty()) co_return ASPEN_ERROR(code::kBadValsize);
  Result<Value> value = co_await lookup(*state->ex, state->snapshot(), **record, &t->key_order(dbi), key);
  if (t->leased()) ASPEN_CO_TRY(t->check_snapshot());  // the read raced with no ousting
  co_return std::move(value);
}

void unpin(void* frame) { pager::unpin(static_cast<pager::Frame*>(frame)); }

}  // namespace detail

Txn::Txn(std::unique_ptr<detail::TxnState> state) : state_(std::move(state)) {}
Txn::Txn(Txn&&) noexcept = default;
Txn& Txn::operator=(Txn&&) noexcept = default;
Txn::~Txn() = default;

Result<Txn> Txn::begin(Executor& executor) {
  ASPEN_ASSIGN(ReadTxn txn, executor.env().begin_read());
  return adopt(executor, std::move(txn));
}

Result<Txn> Txn::adopt(Executor& executor, ReadTxn txn) {
  if (!txn || !txn.read_only()) return ASPEN_ERROR(EINVAL);
  std::unique_ptr<detail::TxnState> state(new (std::nothrow) detail::TxnState);
  if (!state) return ASPEN_ERROR(ENOMEM);
  state->executor = &executor;
  state->ex = &executor.impl();
  state->txn = std::move(txn);
  return Txn(std::move(state));
}

ReadTxn& Txn::read_txn() const { return state_->txn; }
uint64_t Txn::id() const { return state_->txn.id(); }
Executor& Txn::executor() const { return *state_->executor; }

Task<Result<Value>> Txn::get(Dbi dbi, Bytes key) const { return detail::get_value(state_.get(), dbi, key); }

}  // namespace aspen::async
