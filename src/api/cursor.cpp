// aspen::CursorRef / Cursor (layer: api): the public cursor handles over txn::DbCursor, and range-for.
#include <cerrno>

#include "aspen/aspen.hpp"
#include "txn/db_cursor.hpp"

namespace aspen {

Status CursorRef::get(CursorOp op, Bytes* key, Bytes* value) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->get(static_cast<tree::CursorOp>(op), key, value);
}

Result<Entry> CursorRef::get(CursorOp op) {
  Entry e;
  ASPEN_TRY(get(op, &e.key, &e.value));
  return e;
}

Result<Entry> CursorRef::seek(Bytes key) {
  Entry e{key, {}};
  ASPEN_TRY(get(CursorOp::kSetRange, &e.key, &e.value));
  return e;
}

Result<Entry> CursorRef::find(Bytes key) {
  Entry e{key, {}};
  ASPEN_TRY(get(CursorOp::kSetKey, &e.key, &e.value));
  return e;
}

Status CursorRef::put(Bytes key, Bytes* value, unsigned flags) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->put(key, value, flags);
}

Status CursorRef::del(unsigned flags) {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  return impl_->del(flags);
}

Result<size_t> CursorRef::count() {
  if (!impl_) return ASPEN_ERROR(EINVAL);
  size_t n = 0;
  ASPEN_TRY(impl_->count(&n));
  return n;
}

Status CursorRef::put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags,
                               Bytes* existing) {
  if (!impl_ || !count) return ASPEN_ERROR(EINVAL);
  return impl_->put_multiple(key, values, value_size, count, flags, existing);
}

CursorRef::ValueRange CursorRef::values_of(Bytes key) { return ValueRange(this, key); }

Result<Bytes> CursorRef::first_block(Bytes key) {
  Bytes k = key, value;
  ASPEN_TRY(get(CursorOp::kSet, &k, &value));
  ASPEN_TRY(get(CursorOp::kGetMultiple, &k, &value));
  return value;
}

Result<Bytes> CursorRef::next_block() {
  Bytes key, value;
  ASPEN_TRY(get(CursorOp::kNextMultiple, &key, &value));
  return value;
}

Status CursorRef::renew(TxnRef txn) {
  if (!impl_ || !txn.native()) return ASPEN_ERROR(EINVAL);
  return impl_->renew(*txn.native());
}

Dbi CursorRef::dbi() const { return impl_ ? impl_->dbi() : 0; }
txn::Transaction* CursorRef::txn() const { return impl_ ? impl_->txn() : nullptr; }

CursorRef::Iterator::Iterator(CursorRef* cursor) : cursor_(cursor), done_(false) {
  settle(cursor_->get(CursorOp::kFirst, &entry_.key, &entry_.value));
}

void CursorRef::Iterator::settle(Status st) {
  if (!st.ok()) {
    if (st.code() != code::kNotFound) status_ = st;
    done_ = true;
  }
}

CursorRef::Iterator& CursorRef::Iterator::operator++() {
  if (!done_) settle(cursor_->get(CursorOp::kNext, &entry_.key, &entry_.value));
  return *this;
}

CursorRef::Iterator CursorRef::begin() { return Iterator(this); }

Cursor::~Cursor() { close(); }

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

void Cursor::close() { delete std::exchange(impl_, nullptr); }

}  // namespace aspen
