// mdb_get, mdb_put, mdb_del: point operations of the C ABI over aspen::TxnRef (layer: abi). See handles.hpp.
#include "abi/handles.hpp"

using namespace aspen;
using namespace aspen::abi;

ASPEN_ABI int mdb_get(MDB_txn* txn, MDB_dbi dbi, MDB_val* key, MDB_val* data) {
  if (!txn || !key || !data) return EINVAL;
  return guarded([&] {
    Result<Bytes> found = TxnRef(txn_of(txn)).get(dbi, bytes_of(*key));
    if (!found.ok()) return found.code();
    *data = val_of(*found);
    return MDB_SUCCESS;
  });
}

// MDB_RESERVE answers the reserved space in data->mv_data; MDB_KEYEXIST (MDB_NOOVERWRITE) answers the
// existing value in *data. Otherwise *data is left as the caller passed it.
ASPEN_ABI int mdb_put(MDB_txn* txn, MDB_dbi dbi, MDB_val* key, MDB_val* data, unsigned int flags) {
  if (!txn || !key || !data) return EINVAL;
  return guarded([&] {
    Bytes value = bytes_of(*data);
    const int rc = TxnRef(txn_of(txn)).put_raw(dbi, bytes_of(*key), &value, flags).code();
    if ((rc == MDB_SUCCESS && (flags & MDB_RESERVE)) || rc == MDB_KEYEXIST) *data = val_of(value);
    return rc;
  });
}

// `data` selects one duplicate in a DUPSORT database and is ignored elsewhere (LMDB's rule).
ASPEN_ABI int mdb_del(MDB_txn* txn, MDB_dbi dbi, MDB_val* key, MDB_val* data) {
  if (!txn || !key) return EINVAL;
  return guarded([&] {
    TxnRef t(txn_of(txn));
    return (data ? t.del(dbi, bytes_of(*key), bytes_of(*data)) : t.del(dbi, bytes_of(*key))).code();
  });
}
