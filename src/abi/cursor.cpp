// mdb_cursor_*: the cursor entry points of the C ABI over txn::DbCursor / aspen::CursorRef (layer: abi).
//
// A cursor opened in a write transaction is handed to that transaction, which frees it when it ends (LMDB's
// rule); one opened in a read transaction belongs to the caller and may outlive the transaction, to be renewed
// (mdb_cursor_renew) or closed.
#include <memory>

#include "abi/handles.hpp"

using namespace aspen;
using namespace aspen::abi;

namespace {

// MDB_MULTIPLE (DUPFIXED): data[0] = {element size, first element}, data[1].mv_size = element count, the
// elements packed (a count of 0 stores one element, as LMDB does). Answers in data[1].mv_size how many were
// stored and, as LMDB does, leaves data[0].mv_data on the last element tried; on MDB_KEYEXIST with
// MDB_NOOVERWRITE, data[0] is the key's existing first value instead.
int put_multiple(txn::DbCursor* cursor, MDB_val* key, MDB_val* data, unsigned flags) {
  const size_t wanted = data[1].mv_size, size = data[0].mv_size;
  data[1].mv_size = 0;
  size_t stored = wanted;
  Bytes values{static_cast<const std::byte*>(data[0].mv_data), (wanted ? wanted : 1) * size};
  Bytes existing;
  Status st = CursorRef(cursor).put_multiple(bytes_of(*key), values, size, &stored, flags & ~MDB_MULTIPLE, &existing);
  if (!st.ok() && stored == wanted) stored = 0;  // refused before the first element
  if (st.code() == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE) && stored == 0 && existing.data()) {
    data[0] = val_of(existing);
    return st.code();
  }
  data[1].mv_size = stored;
  const size_t tried = stored < wanted ? stored : (wanted ? wanted - 1 : 0);
  data[0].mv_data = static_cast<char*>(data[0].mv_data) + tried * size;
  return st.code();
}

}  // namespace

ASPEN_ABI int mdb_cursor_open(MDB_txn* txn, MDB_dbi dbi, MDB_cursor** cursor) {
  if (!txn || !cursor) return EINVAL;
  return guarded([&] {
    Result<std::unique_ptr<txn::DbCursor>> opened = txn::DbCursor::open(*txn_of(txn), dbi);
    if (!opened.ok()) return opened.code();
    if (!txn_of(txn)->read_only()) (*opened)->set_owned_by_txn(true);
    *cursor = handle_of(opened->release());
    return MDB_SUCCESS;
  });
}

ASPEN_ABI void mdb_cursor_close(MDB_cursor* cursor) {
  if (!cursor) return;
  delete cursor_of(cursor);
}

ASPEN_ABI int mdb_cursor_renew(MDB_txn* txn, MDB_cursor* cursor) {
  if (!txn || !cursor) return EINVAL;
  return guarded([&] { return CursorRef(cursor_of(cursor)).renew(TxnRef(txn_of(txn))).code(); });
}

ASPEN_ABI MDB_txn* mdb_cursor_txn(MDB_cursor* cursor) {
  return cursor ? handle_of(cursor_of(cursor)->txn()) : nullptr;
}

ASPEN_ABI MDB_dbi mdb_cursor_dbi(MDB_cursor* cursor) { return cursor ? cursor_of(cursor)->dbi() : 0; }

// `key` and `data` are in/out exactly as in LMDB: inputs for the SET and GET_BOTH families, outputs otherwise;
// an output the operation does not produce keeps the caller's value.
ASPEN_ABI int mdb_cursor_get(MDB_cursor* cursor, MDB_val* key, MDB_val* data, MDB_cursor_op op) {
  if (!cursor) return EINVAL;
  return guarded([&] {
    Bytes k = key ? bytes_of(*key) : Bytes{}, d = data ? bytes_of(*data) : Bytes{};
    const int rc = CursorRef(cursor_of(cursor)).get(static_cast<CursorOp>(op), key ? &k : nullptr,
                                                     data ? &d : nullptr).code();
    if (key) *key = val_of(k);
    if (data) *data = val_of(d);
    return rc;
  });
}

// MDB_RESERVE and MDB_KEYEXIST answer through *data as in mdb_put; MDB_MULTIPLE takes data as MDB_val[2].
ASPEN_ABI int mdb_cursor_put(MDB_cursor* cursor, MDB_val* key, MDB_val* data, unsigned int flags) {
  if (!cursor || !key || !data) return EINVAL;
  return guarded([&] {
    if (flags & MDB_MULTIPLE) return put_multiple(cursor_of(cursor), key, data, flags);
    Bytes value = bytes_of(*data);
    const int rc = CursorRef(cursor_of(cursor)).put(bytes_of(*key), &value, flags).code();
    if ((rc == MDB_SUCCESS && (flags & MDB_RESERVE)) || rc == MDB_KEYEXIST) *data = val_of(value);
    return rc;
  });
}

ASPEN_ABI int mdb_cursor_del(MDB_cursor* cursor, unsigned int flags) {
  if (!cursor) return EINVAL;
  return guarded([&] { return CursorRef(cursor_of(cursor)).del(flags).code(); });
}

ASPEN_ABI int mdb_cursor_count(MDB_cursor* cursor, size_t* count) {
  if (!cursor || !count) return EINVAL;
  return guarded([&] {
    Result<size_t> n = CursorRef(cursor_of(cursor)).count();
    if (!n.ok()) return n.code();
    *count = *n;
    return MDB_SUCCESS;
  });
}
