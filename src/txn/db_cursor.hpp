// DbCursor: a user cursor (MDB_cursor) on one database of a transaction (layer: txn).
//
// It adds to tree::Cursor what depends on the transaction: state checks, loading a named database's record,
// and, in write transactions, the bookkeeping that keeps other cursors positioned across writes.
// A cursor of a write transaction is closed when the transaction ends (LMDB's rule); a cursor of a read
// transaction survives it and may be renewed on another read transaction.
// Thread-safety: the transaction's thread.
#pragma once

#include <memory>

#include "tree/cursor.hpp"
#include "txn/transaction.hpp"

namespace aspen::txn {

class DbCursor {
 public:
  static Result<std::unique_ptr<DbCursor>> open(Transaction& txn, Dbi dbi);
  ~DbCursor();
  DbCursor(const DbCursor&) = delete;
  DbCursor& operator=(const DbCursor&) = delete;

  Status get(tree::CursorOp op, Bytes* key, Bytes* data);
  Status put(Bytes key, Bytes* data, unsigned flags);
  Status del(unsigned flags);
  // MDB_MULTIPLE; on MDB_KEYEXIST with MDB_NOOVERWRITE, `*existing` (when given) is the key's first value.
  Status put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags,
                      Bytes* existing = nullptr);
  Status count(size_t* out);
  // Rebinds a read-only cursor to another read transaction (mdb_cursor_renew).
  Status renew(Transaction& txn);

  Transaction* txn() const { return txn_; }
  Dbi dbi() const { return dbi_; }
  tree::Cursor& cursor() { return *cursor_; }
  // The owning write transaction ended: the cursor must not touch it again.
  void detach() { txn_ = nullptr; }
  // A cursor opened through the C ABI in a write transaction is freed by the transaction when it ends
  // (LMDB's rule); a C++ Cursor owns its DbCursor instead.
  void set_owned_by_txn(bool owned) { owned_by_txn_ = owned; }
  bool owned_by_txn() const { return owned_by_txn_; }

 private:
  DbCursor(Transaction& txn, Dbi dbi) : txn_(&txn), read_only_(txn.read_only()), dbi_(dbi) {}
  Status bind(Transaction& txn);

  Transaction* txn_;
  // Whether txn_ is a read transaction, remembered because a read transaction may end (and be freed) before
  // its cursor is closed or renewed: txn_ must not be dereferenced then.
  bool read_only_ = false;
  Dbi dbi_;
  std::unique_ptr<tree::Cursor> cursor_;
  bool owned_by_txn_ = false;
};

}  // namespace aspen::txn
