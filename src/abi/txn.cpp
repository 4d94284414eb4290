// mdb_txn_*: the transaction entry points of the C ABI over aspen::Env / aspen::TxnRef (layer: abi).
//
// Lifetime (LMDB's): mdb_txn_commit and mdb_txn_abort always free the MDB_txn, and with it every nested child
// still open under it (the transaction ends them first); mdb_txn_reset keeps the object for mdb_txn_renew.
#include "abi/handles.hpp"

using namespace aspen;
using namespace aspen::abi;

namespace {

// The innermost open nested descendant of `txn` (or `txn` itself).
txn::Transaction* innermost(txn::Transaction* txn) {
  while (txn->child()) txn = txn->child();
  return txn;
}

// Deletes the ended transactions from `inner` up through its parents to `top`. Walks parent links, which
// ending a transaction leaves intact (it clears only the parent's child link), so nothing is allocated.
void free_chain(txn::Transaction* inner, txn::Transaction* top) {
  while (inner != top) {
    txn::Transaction* parent = inner->parent();
    delete inner;
    inner = parent;
  }
  delete top;
}

}  // namespace

ASPEN_ABI int mdb_txn_begin(MDB_env* env, MDB_txn* parent, unsigned int flags, MDB_txn** txn) {
  if (!env || !txn) return EINVAL;
  return guarded([&] {
    TxnRef parent_ref(txn_of(parent));
    Result<Txn> begun = env_of(env)->begin(parent ? &parent_ref : nullptr, flags);
    if (!begun.ok()) return begun.code();
    *txn = handle_of(begun->release());
    return MDB_SUCCESS;
  });
}

ASPEN_ABI MDB_env* mdb_txn_env(MDB_txn* txn) {
  if (!txn) return nullptr;
  return static_cast<MDB_env*>(environment_of(*txn_of(txn)).abi_handle);
}

ASPEN_ABI size_t mdb_txn_id(MDB_txn* txn) { return txn ? txn_of(txn)->id() : 0; }

ASPEN_ABI int mdb_txn_commit(MDB_txn* txn) {
  if (!txn) return EINVAL;
  txn::Transaction* top = txn_of(txn);
  txn::Transaction* inner = innermost(top);
  int rc = guarded([&] { return top->commit().code(); });
  if (!top->finished()) top->abort();  // only when commit threw: LMDB always ends and frees the txn
  free_chain(inner, top);
  return rc;
}

ASPEN_ABI void mdb_txn_abort(MDB_txn* txn) {
  if (!txn) return;
  txn::Transaction* top = txn_of(txn);
  txn::Transaction* inner = innermost(top);
  top->abort();
  free_chain(inner, top);
}

ASPEN_ABI void mdb_txn_reset(MDB_txn* txn) {
  if (!txn) return;
  txn_of(txn)->reset();
}

ASPEN_ABI int mdb_txn_renew(MDB_txn* txn) {
  if (!txn) return EINVAL;
  return guarded([&] { return txn_of(txn)->renew().code(); });
}
