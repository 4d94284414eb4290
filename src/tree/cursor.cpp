// Cursor positioning and reads (layer: tree): FIRST, LAST, NEXT, PREV, SET*, GET_CURRENT with LMDB's rules
// for the eof and deleted states. See cursor.hpp.
#include "tree/cursor.hpp"

#include <cerrno>

namespace aspen::tree {

Cursor::Cursor(PageStore& store, format::DbRecord& db, const KeyCompare& cmp, const KeyCompare* dup_cmp)
    : store_(&store), db_(&db), cmp_(&cmp), dup_cmp_(dup_cmp) {}

Cursor::~Cursor() = default;

void Cursor::reset() {
  stack_.depth = 0;
  initialized_ = eof_ = deleted_ = false;
  saved_.active = false;
}

Status Cursor::read_current(Bytes* key, Bytes* data) {
  const std::byte* p = stack_.top_page();
  if (page::is_leaf2(p)) {
    if (key) *key = page::key_at(p, stack_.top_index(), db_->pad);
    return ok_status();
  }
  const std::byte* n = page::node(p, stack_.top_index());
  if (data) {
    ASPEN_ASSIGN(*data, tree().read_data(n));
  }
  if (key) *key = page::node_key(n);
  return ok_status();
}

Status Cursor::first(Bytes* key, Bytes* data) {
  ASPEN_TRY(tree().search(stack_, {}, SearchMode::kFirst, false));
  if (page::num_keys(stack_.top_page()) == 0) return ASPEN_ERROR(code::kNotFound);
  initialized_ = true;
  eof_ = false;
  stack_.top_index() = 0;
  return read_current(key, data);
}

Status Cursor::last(Bytes* key, Bytes* data) {
  ASPEN_TRY(tree().search(stack_, {}, SearchMode::kLast, false));
  unsigned n = page::num_keys(stack_.top_page());
  if (n == 0) return ASPEN_ERROR(code::kNotFound);
  stack_.top_index() = static_cast<uint16_t>(n - 1);
  initialized_ = eof_ = true;
  return read_current(key, data);
}

Status Cursor::next(Bytes* key, Bytes* data, CursorOp op) {
  if (deleted_ && op == CursorOp::kNextDup) return ASPEN_ERROR(code::kNotFound);
  if (!initialized_) return first(key, data);
  std::byte* p = stack_.top_page();
  if (eof_) {
    if (stack_.top_index() + 1u >= page::num_keys(p)) return ASPEN_ERROR(code::kNotFound);
    eof_ = false;
  }
  if (dup_cmp_ && op == CursorOp::kNextDup) return ASPEN_ERROR(code::kNotFound);  // a plain item: no more dups
  if (deleted_) {
    deleted_ = false;  // the successor of the deleted item is already under the cursor
  } else if (stack_.top_index() + 1u >= page::num_keys(p)) {
    Status st = tree().sibling(stack_, true);
    if (!st.ok()) {
      eof_ = true;
      return st;
    }
  } else {
    ++stack_.top_index();
  }
  return read_current(key, data);
}

Status Cursor::prev(Bytes* key, Bytes* data, CursorOp op) {
  if (!initialized_) {
    ASPEN_TRY(last(key, data));
    ++stack_.top_index();
  }
  if (dup_cmp_ && op == CursorOp::kPrevDup && stack_.top_index() < page::num_keys(stack_.top_page()))
    return ASPEN_ERROR(code::kNotFound);
  eof_ = deleted_ = false;
  if (stack_.top_index() == 0) {
    ASPEN_TRY(tree().sibling(stack_, false));
  } else {
    --stack_.top_index();
  }
  if (!page::is_leaf(stack_.top_page())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(stack_.top_page()));
  return read_current(key, data);
}

Status Cursor::set(Bytes* key, Bytes* data, CursorOp op) {
  if (key->empty()) return ASPEN_ERROR(code::kBadValsize);
  ASPEN_TRY(tree().search(stack_, *key, SearchMode::kKey, false));
  initialized_ = true;
  eof_ = false;
  std::byte* p = stack_.top_page();
  auto found = page::search(p, *key, *cmp_, db_->pad);
  stack_.top_index() = static_cast<uint16_t>(found.index);
  if (op != CursorOp::kSetRange && !found.exact) return ASPEN_ERROR(code::kNotFound);
  if (found.index >= page::num_keys(p)) {
    Status st = tree().sibling(stack_, true);
    if (!st.ok()) {
      eof_ = true;
      return st;
    }
    p = stack_.top_page();
  }
  Bytes stored_key;
  if (op == CursorOp::kGetBoth || op == CursorOp::kGetBothRange) {
    Bytes old;
    ASPEN_TRY(read_current(&stored_key, &old));
    int c = (*dup_cmp_)(*data, old);
    if (c != 0 && (op == CursorOp::kGetBoth || c > 0)) return ASPEN_ERROR(code::kNotFound);
    *data = old;
  } else {
    ASPEN_TRY(read_current(&stored_key, data));
  }
  if (op == CursorOp::kSetRange || op == CursorOp::kSetKey) *key = stored_key;
  return ok_status();
}

Status Cursor::current(Bytes* key, Bytes* data) {
  if (!initialized_) return ASPEN_ERROR(EINVAL);
  unsigned n = page::num_keys(stack_.top_page());
  if (n == 0 || stack_.top_index() >= n) {
    stack_.top_index() = static_cast<uint16_t>(n);
    return ASPEN_ERROR(code::kNotFound);
  }
  return read_current(key, data);
}

Status Cursor::get(CursorOp op, Bytes* key, Bytes* data) {
  ASPEN_TRY(restore_position());
  Status st;
  const bool dupfixed = db_->flags & format::kDbDupFixed;
  switch (op) {
    case CursorOp::kGetCurrent: st = current(key, data); break;
    case CursorOp::kGetBoth:
    case CursorOp::kGetBothRange:
      if (!data || !key) st = ASPEN_ERROR(EINVAL);
      else if (!dup_cmp_) st = ASPEN_ERROR(code::kIncompatible);
      else st = set(key, data, op);
      break;
    case CursorOp::kSet:
    case CursorOp::kSetKey:
    case CursorOp::kSetRange: st = key ? set(key, data, op) : Status(ASPEN_ERROR(EINVAL)); break;
    case CursorOp::kGetMultiple:
      if (!data || !initialized_) st = ASPEN_ERROR(EINVAL);
      else st = dupfixed ? Status(ASPEN_ERROR(code::kNotFound)) : Status(ASPEN_ERROR(code::kIncompatible));
      break;
    case CursorOp::kNextMultiple:
    case CursorOp::kPrevMultiple:
      if (!data) st = ASPEN_ERROR(EINVAL);
      else st = dupfixed ? Status(ASPEN_ERROR(code::kNotFound)) : Status(ASPEN_ERROR(code::kIncompatible));
      break;
    case CursorOp::kNext:
    case CursorOp::kNextDup:
    case CursorOp::kNextNoDup: st = next(key, data, op); break;
    case CursorOp::kPrev:
    case CursorOp::kPrevDup:
    case CursorOp::kPrevNoDup: st = prev(key, data, op); break;
    case CursorOp::kFirst: st = first(key, data); break;
    case CursorOp::kLast: st = last(key, data); break;
    case CursorOp::kFirstDup:
    case CursorOp::kLastDup:
      if (!data || !initialized_) st = ASPEN_ERROR(EINVAL);
      else if (!dup_cmp_) st = ASPEN_ERROR(code::kIncompatible);
      else st = current(key, data);
      break;
    default: st = ASPEN_ERROR(EINVAL); break;
  }
  deleted_ = false;
  return st;
}

Status Cursor::count(size_t* out) {
  if (!dup_cmp_) return ASPEN_ERROR(code::kIncompatible);
  ASPEN_TRY(restore_position());
  if (!initialized_) return ASPEN_ERROR(EINVAL);
  if (stack_.depth == 0) return ASPEN_ERROR(code::kNotFound);
  if (eof_) {
    if (stack_.top_index() >= page::num_keys(stack_.top_page())) return ASPEN_ERROR(code::kNotFound);
    eof_ = false;
  }
  *out = 1;
  return ok_status();
}

// --- surviving other cursors' writes ----------------------------------------------------------------

void Cursor::save_position() {
  if (saved_.active || !initialized_ || stack_.depth == 0) return;
  const std::byte* p = stack_.top_page();
  unsigned n = page::num_keys(p), i = stack_.top_index();
  saved_.after = i >= n;
  if (saved_.after && n == 0) {
    reset();
    return;
  }
  Bytes key = page::key_at(p, saved_.after ? n - 1 : i, db_->pad);
  saved_.key.assign(key.begin(), key.end());
  saved_.eof = eof_;
  saved_.deleted = deleted_;
  saved_.active = true;
}

Status Cursor::restore_position() {
  if (!saved_.active) return ok_status();
  saved_.active = false;
  Bytes key{saved_.key.data(), saved_.key.size()};
  Status st = tree().search(stack_, key, SearchMode::kKey, false);
  if (!st.ok()) {
    reset();
    return st.code() == code::kNotFound ? ok_status() : st;
  }
  std::byte* p = stack_.top_page();
  auto found = page::search(p, key, *cmp_, db_->pad);
  initialized_ = true;
  eof_ = saved_.eof;
  deleted_ = saved_.deleted;
  if (saved_.after) {
    stack_.top_index() = static_cast<uint16_t>(found.exact ? found.index + 1 : found.index);
    return ok_status();
  }
  stack_.top_index() = static_cast<uint16_t>(found.index);
  if (!found.exact) deleted_ = true;  // our item is gone: we now sit on its successor
  if (found.index >= page::num_keys(p)) {
    Status moved = tree().sibling(stack_, true);
    if (!moved.ok()) eof_ = true;
  }
  return ok_status();
}

}  // namespace aspen::tree
