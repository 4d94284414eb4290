// DbCursor (layer: txn). See db_cursor.hpp.
#include "txn/db_cursor.hpp"

#include <cerrno>

namespace aspen::txn {
namespace {

// Errors after which LMDB leaves a write transaction usable; anything else fails the transaction.
bool harmless(int code) {
  return code == 0 || code == code::kNotFound || code == code::kKeyExist || code == code::kBadValsize ||
         code == EINVAL || code == code::kIncompatible || code == EACCES;
}

// A delete that reaches a node of the wrong kind (a database record through a plain delete) fails the
// transaction in LMDB (mdb_cursor_del's `fail:` path), unlike a put that does the same.
bool harmless_delete(int code) { return code != code::kIncompatible && harmless(code); }

}  // namespace

Result<std::unique_ptr<DbCursor>> DbCursor::open(Transaction& txn, Dbi dbi) {
  if (!txn.valid_dbi(dbi, false)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(txn.check_usable());
  if (dbi == format::kFreeDbi && !txn.read_only()) return ASPEN_ERROR(EINVAL);
  std::unique_ptr<DbCursor> c(new (std::nothrow) DbCursor(txn, dbi));
  if (!c) return ASPEN_ERROR(ENOMEM);
  ASPEN_TRY(c->bind(txn));
  return c;
}

DbCursor::~DbCursor() {
  if (txn_ && !read_only_) txn_->untrack(this);
}

Status DbCursor::bind(Transaction& txn) {
  ASPEN_ASSIGN(format::DbRecord* record, txn.record(dbi_));
  cursor_ = std::make_unique<tree::Cursor>(txn, *record, txn.key_order(dbi_), txn.dup_order(dbi_));
  txn_ = &txn;
  read_only_ = txn.read_only();
  if (!read_only_) txn.track(this);
  return ok_status();
}

Status DbCursor::renew(Transaction& txn) {
  if (!txn.valid_dbi(dbi_, false)) return ASPEN_ERROR(EINVAL);
  if (!txn.read_only() || (txn_ && !read_only_)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(txn.check_usable());
  return bind(txn);
}

Status DbCursor::get(tree::CursorOp op, Bytes* key, Bytes* data) {
  // The plain step of a scan: the checks of check_usable() as bools, then the fast step. When either says
  // no, the general path below reports the error or takes the step (the fast step is not tried twice).
  if (op == tree::CursorOp::kNext && txn_ && txn_->usable() && cursor_->step_within_leaf(key, data)) {
    if (!txn_->leased()) [[likely]] return ok_status();
    return txn_->check_snapshot();  // the read raced with no ousting
  }
  if (!txn_) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(txn_->check_usable());
  Status st = cursor_->get(op, key, data);
  if (txn_->leased()) ASPEN_TRY(txn_->check_snapshot());  // the read raced with no ousting
  return st;
}

Status DbCursor::put(Bytes key, Bytes* data, unsigned flags) {
  if (!txn_) return ASPEN_ERROR(EINVAL);
  if ((flags & tree::put_flag::kMultiple) && !(cursor_->db().flags & format::kDbDupFixed))
    return ASPEN_ERROR(code::kIncompatible);
  ASPEN_TRY(txn_->check_writable());
  ASPEN_TRY(txn_->before_write(dbi_, this));
  const uint64_t mark = txn_->write_mark();
  Status st = txn_->guarded([&] { return cursor_->put(key, data, flags); });
  txn_->after_write(dbi_, mark);
  if (!harmless(st.code())) txn_->fail();
  return st;
}

Status DbCursor::put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags,
                              Bytes* existing) {
  if (!txn_) return ASPEN_ERROR(EINVAL);
  if (!(cursor_->db().flags & format::kDbDupFixed)) return ASPEN_ERROR(code::kIncompatible);
  ASPEN_TRY(txn_->check_writable());
  ASPEN_TRY(txn_->before_write(dbi_, this));
  const uint64_t mark = txn_->write_mark();
  Status st = txn_->guarded([&] { return cursor_->put_multiple(key, values, value_size, count, flags, existing); });
  txn_->after_write(dbi_, mark);
  if (!harmless(st.code())) txn_->fail();
  return st;
}

Status DbCursor::del(unsigned flags) {
  if (!txn_) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(txn_->check_writable());
  ASPEN_TRY(txn_->before_write(dbi_, this));
  const uint64_t mark = txn_->write_mark();
  Status st = txn_->guarded([&] { return cursor_->del(flags); });
  txn_->after_write(dbi_, mark);
  if (!harmless_delete(st.code())) txn_->fail();
  return st;
}

Status DbCursor::count(size_t* out) {
  if (!txn_) return ASPEN_ERROR(EINVAL);
  // LMDB answers MDB_INCOMPATIBLE for a database without duplicates before it looks at the transaction.
  if (!(cursor_->db().flags & format::kDbDupSort)) return ASPEN_ERROR(code::kIncompatible);
  ASPEN_TRY(txn_->check_usable());
  Status st = cursor_->count(out);
  if (txn_->leased()) ASPEN_TRY(txn_->check_snapshot());
  return st;
}

}  // namespace aspen::txn
