// The C ABI's boundary (layer: abi): what each LMDB handle is, MDB_val <-> Bytes, and the catch-all that turns
// an exception into ENOMEM.
//
// Handles are the C++ objects themselves, never wrappers:
//   MDB_env*    a heap aspen::Env (mdb_env_create news it, mdb_env_close deletes it);
//   MDB_txn*    the txn::Transaction of an aspen::Txn that gave up ownership (commit/abort delete it, with any
//               nested children still open, as LMDB frees them; reset keeps it for renew);
//   MDB_cursor* a txn::DbCursor (in a write transaction it is owned by the transaction and freed when the
//               transaction ends, LMDB's rule; in a read transaction the caller closes it).
// A NULL handle or output pointer is EINVAL (or the neutral answer for functions that return no code). A dangling
// handle is undefined behaviour, as in LMDB.
//
// Every exported function is `extern "C"` with default visibility (ASPEN_ABI); everything else in the shared
// library is hidden (visibility preset plus the version script lmdb.map). Thread-safety: that of the objects.
#pragma once

#include <lmdb.h>

#include <cerrno>
#include <cstddef>

#include "aspen/aspen.hpp"
#include "env/environment.hpp"
#include "txn/db_cursor.hpp"
#include "txn/transaction.hpp"

#define ASPEN_ABI extern "C" __attribute__((visibility("default")))

namespace aspen::abi {

inline Env* env_of(MDB_env* env) { return reinterpret_cast<Env*>(env); }
inline MDB_env* handle_of(Env* env) { return reinterpret_cast<MDB_env*>(env); }
inline txn::Transaction* txn_of(MDB_txn* txn) { return reinterpret_cast<txn::Transaction*>(txn); }
inline MDB_txn* handle_of(txn::Transaction* txn) { return reinterpret_cast<MDB_txn*>(txn); }
inline txn::DbCursor* cursor_of(MDB_cursor* cursor) { return reinterpret_cast<txn::DbCursor*>(cursor); }
inline MDB_cursor* handle_of(txn::DbCursor* cursor) { return reinterpret_cast<MDB_cursor*>(cursor); }

// The environment a transaction belongs to (every ABI transaction is begun on an env::Environment).
inline env::Environment& environment_of(txn::Transaction& txn) {
  return static_cast<env::Environment&>(txn.host());
}

inline Bytes bytes_of(const MDB_val& v) { return {static_cast<const std::byte*>(v.mv_data), v.mv_size}; }
inline MDB_val val_of(Bytes b) { return {b.size(), const_cast<std::byte*>(b.data())}; }

// Runs `body` (returning an LMDB code); an exception escaping it (std::bad_alloc in practice) is ENOMEM.
template <class Body>
int guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return ENOMEM;
  }
}

// The same for entry points without a return code: an exception is swallowed.
template <class Body>
void guarded_void(Body&& body) noexcept {
  try {
    body();
  } catch (...) {
  }
}

}  // namespace aspen::abi
