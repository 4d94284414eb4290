// TxnState and CursorState: what an async::Txn and an async::Cursor hold (layer: async).
//
// A Txn is a ReadTxn (its reader slot pins the snapshot; its database records are the snapshot's) plus the
// executor that reads its pages. The snapshot a walk uses (txnid, page limit) is taken from the transaction
// at the start of every operation. A Cursor keeps its path pinned between operations (see walk.hpp).
// Thread-safety: the executor's thread.
#pragma once

#include <vector>

#include "async/walk.hpp"
#include "txn/transaction.hpp"

namespace aspen::async::detail {

struct TxnState {
  Executor* executor = nullptr;
  ExecutorImpl* ex = nullptr;
  ReadTxn txn;
  std::vector<bool> warmed;  // named databases whose MAIN path was prefetched before loading their record

  txn::Transaction* native() const { return txn.native(); }
  Snapshot snapshot() const {
    const txn::Transaction* t = txn.native();
    return Snapshot{t->id(), t->page_limit(), t->page_size()};
  }
};

struct CursorState {
  TxnState* txn = nullptr;
  Dbi dbi = 0;
  format::DbRecord record{};
  const tree::KeyCompare* cmp = nullptr;
  bool dupsort = false;
  Path path;
  SubPosition sub;
  pager::PageRef run;  // the overflow run of the current value
  bool positioned = false;
  bool eof = false;
};

// The operations behind Txn::get and Cursor (txn.cpp, cursor.cpp).
Task<Result<Value>> get_value(TxnState* state, Dbi dbi, Bytes key);
Task<Status> prefetch_record(TxnState* state, Dbi dbi);
enum class CursorOp : uint8_t { kFirst, kSeek, kNext };
Task<Result<Entry>> cursor_op(CursorState* cursor, CursorOp op, Bytes key);

}  // namespace aspen::async::detail
