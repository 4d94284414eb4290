// aspen::TxnRef / Txn (layer: api): the public transaction handles over txn::Transaction.
#include <cerrno>

#include "aspen/aspen.hpp"
#include "txn/db_cursor.hpp"
#include "txn/transaction.hpp"

namespace aspen {
namespace {

tree::KeyCompare user_order(CompareFn fn, const void* context) {
  return tree::KeyCompare::user(reinterpret_cast<tree::CompareFn>(fn), context);
}

}  // namespace

uint64_t TxnRef::id() const { return impl_ ? impl_->id() : 0; }
bool TxnRef::read_only() const { return impl_ && impl_->read_only(); }

Status TxnRef::commit() {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->commit();
}

void TxnRef::abort() {
  if (impl_) impl_->abort();
}
void TxnRef::reset() {
  if (impl_) impl_->reset();
}
Status TxnRef::renew() {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->renew();
}

Result<Dbi> TxnRef::open_db(const char* name, unsigned flags) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->open_db(name, flags);
}

Result<Stat> TxnRef::stat(Dbi dbi) const {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  ASPEN_ASSIGN(txn::TreeStat s, impl_->stat(dbi));
  return Stat{s.page_size, s.depth, s.branch_pages, s.leaf_pages, s.overflow_pages, s.entries};
}

Result<unsigned> TxnRef::db_flags(Dbi dbi) const {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->db_flags(dbi);
}

Status TxnRef::drop(Dbi dbi, bool del) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->drop(dbi, del);
}

Status TxnRef::set_compare(Dbi dbi, CompareFn fn, const void* context) {
  if (!impl_ || !fn) return ASPEN_ERROR(EINVAL);
  return impl_->set_compare(dbi, user_order(fn, context), false);
}

Status TxnRef::set_dupsort(Dbi dbi, CompareFn fn, const void* context) {
  if (!impl_ || !fn) return ASPEN_ERROR(EINVAL);
  return impl_->set_compare(dbi, user_order(fn, context), true);
}

Result<Bytes> TxnRef::get(Dbi dbi, Bytes key) const {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  Bytes value;
  ASPEN_TRY(impl_->get(dbi, key, &value));
  return value;
}

Result<std::string_view> TxnRef::get(Dbi dbi, std::string_view key) const {
  ASPEN_ASSIGN(Bytes value, get(dbi, bytes_of(key)));
  return string_of(value);
}

Status TxnRef::put(Dbi dbi, Bytes key, Bytes value, unsigned flags) { return put_raw(dbi, key, &value, flags); }

Status TxnRef::put_raw(Dbi dbi, Bytes key, Bytes* value, unsigned flags) {
  if (!impl_ || !value) return ASPEN_ERROR(EINVAL);
  return impl_->put(dbi, key, value, flags);
}

Result<std::span<std::byte>> TxnRef::reserve(Dbi dbi, Bytes key, size_t size, unsigned flags) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  Bytes space{static_cast<const std::byte*>(nullptr), size};
  ASPEN_TRY(impl_->put(dbi, key, &space, flags | kReserve));
  return std::span<std::byte>(const_cast<std::byte*>(space.data()), space.size());
}

Status TxnRef::del(Dbi dbi, Bytes key) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->del(dbi, key, nullptr);
}

Status TxnRef::del(Dbi dbi, Bytes key, Bytes value) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->del(dbi, key, &value);
}

Result<Cursor> TxnRef::cursor(Dbi dbi) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  ASPEN_ASSIGN(std::unique_ptr<txn::DbCursor> c, txn::DbCursor::open(*impl_, dbi));
  return Cursor(c.release());
}

Txn::~Txn() { abort(); }

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    abort();
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

Status Txn::commit() {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  Status st = impl_->commit();
  delete std::exchange(impl_, nullptr);
  return st;
}

void Txn::abort() {
  if (!impl_) return;
  impl_->abort();
  delete std::exchange(impl_, nullptr);
}

}  // namespace aspen
