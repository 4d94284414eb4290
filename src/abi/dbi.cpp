// Database handles in the C ABI: mdb_dbi_open/close/flags, mdb_stat, mdb_drop, the comparison hooks and
// mdb_cmp/mdb_dcmp (layer: abi). See handles.hpp.
#include "abi/handles.hpp"
#include "tree/compare.hpp"

using namespace aspen;
using namespace aspen::abi;

namespace {

// An MDB_cmp_func called through aspen::CompareFn: the C function pointer travels as the context.
int call_c_compare(Bytes a, Bytes b, const void* context) {
  auto* fn = reinterpret_cast<MDB_cmp_func*>(const_cast<void*>(context));
  MDB_val va = val_of(a), vb = val_of(b);
  return fn(&va, &vb);
}

int set_order(MDB_txn* txn, MDB_dbi dbi, MDB_cmp_func* cmp, bool dup) {
  // LMDB stores a NULL function and crashes on the next comparison; refuse it instead.
  if (!txn || !cmp) return EINVAL;
  return guarded([&] {
    TxnRef t(txn_of(txn));
    const void* context = reinterpret_cast<const void*>(cmp);
    return (dup ? t.set_dupsort(dbi, call_c_compare, context) : t.set_compare(dbi, call_c_compare, context)).code();
  });
}

}  // namespace

ASPEN_ABI int mdb_dbi_open(MDB_txn* txn, const char* name, unsigned int flags, MDB_dbi* dbi) {
  if (!txn || !dbi) return EINVAL;
  return guarded([&] {
    Result<Dbi> opened = TxnRef(txn_of(txn)).open_db(name, flags);
    if (!opened.ok()) return opened.code();
    *dbi = *opened;
    return MDB_SUCCESS;
  });
}

ASPEN_ABI int mdb_stat(MDB_txn* txn, MDB_dbi dbi, MDB_stat* stat) {
  if (!txn || !stat) return EINVAL;
  return guarded([&] {
    Result<Stat> s = TxnRef(txn_of(txn)).stat(dbi);
    if (!s.ok()) return s.code();
    *stat = MDB_stat{s->page_size, s->depth, s->branch_pages, s->leaf_pages, s->overflow_pages, s->entries};
    return MDB_SUCCESS;
  });
}

ASPEN_ABI int mdb_dbi_flags(MDB_txn* txn, MDB_dbi dbi, unsigned int* flags) {
  if (!txn || !flags) return EINVAL;
  Result<unsigned> f = TxnRef(txn_of(txn)).db_flags(dbi);
  if (!f.ok()) return f.code();
  *flags = *f;
  return MDB_SUCCESS;
}

ASPEN_ABI void mdb_dbi_close(MDB_env* env, MDB_dbi dbi) {
  if (!env || !env_of(env)->is_open()) return;
  env_of(env)->native()->db_table().close(dbi);
}

ASPEN_ABI int mdb_drop(MDB_txn* txn, MDB_dbi dbi, int del) {
  if (!txn || static_cast<unsigned>(del) > 1) return EINVAL;
  return guarded([&] { return TxnRef(txn_of(txn)).drop(dbi, del != 0).code(); });
}

ASPEN_ABI int mdb_set_compare(MDB_txn* txn, MDB_dbi dbi, MDB_cmp_func* cmp) { return set_order(txn, dbi, cmp, false); }

ASPEN_ABI int mdb_set_dupsort(MDB_txn* txn, MDB_dbi dbi, MDB_cmp_func* cmp) { return set_order(txn, dbi, cmp, true); }

// LMDB 0.9 documents the relocation hooks as unimplemented: accepted for a valid handle, never called.
ASPEN_ABI int mdb_set_relfunc(MDB_txn* txn, MDB_dbi dbi, MDB_rel_func*) {
  return txn && txn_of(txn)->valid_dbi(dbi, true) ? MDB_SUCCESS : EINVAL;
}

ASPEN_ABI int mdb_set_relctx(MDB_txn* txn, MDB_dbi dbi, void*) {
  return txn && txn_of(txn)->valid_dbi(dbi, true) ? MDB_SUCCESS : EINVAL;
}

// The database's key order. LMDB checks nothing here; Aspen answers EINVAL for a NULL or invalid argument.
ASPEN_ABI int mdb_cmp(MDB_txn* txn, MDB_dbi dbi, const MDB_val* a, const MDB_val* b) {
  if (!txn || !a || !b || !txn_of(txn)->valid_dbi(dbi, false)) return EINVAL;
  return txn_of(txn)->key_order(dbi)(bytes_of(*a), bytes_of(*b));
}

// The duplicate order of a DUPSORT database; LMDB crashes on another database, Aspen compares bytes.
ASPEN_ABI int mdb_dcmp(MDB_txn* txn, MDB_dbi dbi, const MDB_val* a, const MDB_val* b) {
  if (!txn || !a || !b || !txn_of(txn)->valid_dbi(dbi, false)) return EINVAL;
  const tree::KeyCompare* order = txn_of(txn)->dup_order(dbi);
  return order ? (*order)(bytes_of(*a), bytes_of(*b)) : compare_lexical(bytes_of(*a), bytes_of(*b));
}
