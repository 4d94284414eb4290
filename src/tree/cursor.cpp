// Cursor positioning and reads (layer: tree): FIRST, LAST, NEXT, PREV, SET*, GET_CURRENT, the *_DUP and
// *_MULTIPLE operations, with LMDB's rules for the eof and deleted states. See cursor.hpp.
#include "tree/cursor.hpp"

#include <cerrno>

namespace aspen::tree {

Cursor::Cursor(PageStore& store, format::DbRecord& db, const KeyCompare& cmp, const KeyCompare* dup_cmp)
    : store_(&store), db_(&db), cmp_(&cmp), dup_cmp_(dup_cmp) {
  if (dup_cmp_) {
    sub_ = std::make_unique<Cursor>(store, sub_db_, *dup_cmp_, nullptr);
    sub_->is_sub_ = true;
  }
}

Cursor::~Cursor() = default;

void Cursor::reset() {
  stack_.depth = 0;
  initialized_ = eof_ = deleted_ = false;
  saved_.active = false;
  clear_sub();
}

Status Cursor::read_value(const std::byte* node, Bytes* data) const {
  if (data) {
    ASPEN_ASSIGN(*data, tree().read_data(node));
  }
  return ok_status();
}

Status Cursor::read_item(Bytes* key, Bytes* data, CursorOp dup_edge) {
  const std::byte* p = stack_.top_page();
  if (page::is_leaf2(p)) {
    if (key) *key = page::key_at(p, stack_.top_index(), db_->pad);
    return ok_status();
  }
  if (!page::node_sane(p, stack_.top_index(), tree().page_bytes()))
    return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  const std::byte* n = page::node(p, stack_.top_index());
  if (dup_cmp_ && (page::node_flags(n) & format::kNodeDupData)) {
    if (dup_edge == CursorOp::kGetCurrent) {
      if (data) ASPEN_TRY(sub_->current(data, nullptr));
    } else {
      ASPEN_TRY(init_sub(n));
      ASPEN_TRY(dup_edge == CursorOp::kLast ? sub_->last(data, nullptr) : sub_->first(data, nullptr));
    }
  } else {
    if (dup_cmp_ && dup_edge != CursorOp::kGetCurrent) clear_sub();
    ASPEN_TRY(read_value(n, data));
  }
  if (key) *key = page::node_key(n);
  return ok_status();
}

Status Cursor::first(Bytes* key, Bytes* data) {
  clear_sub();
  ASPEN_TRY(tree().search(stack_, {}, SearchMode::kFirst, false));
  if (page::num_keys(stack_.top_page()) == 0) return ASPEN_ERROR(code::kNotFound);
  initialized_ = true;
  eof_ = false;
  stack_.top_index() = 0;
  return read_item(key, data, CursorOp::kFirst);
}

Status Cursor::last(Bytes* key, Bytes* data) {
  clear_sub();
  ASPEN_TRY(tree().search(stack_, {}, SearchMode::kLast, false));
  unsigned n = page::num_keys(stack_.top_page());
  if (n == 0) return ASPEN_ERROR(code::kNotFound);
  stack_.top_index() = static_cast<uint16_t>(n - 1);
  initialized_ = eof_ = true;
  return read_item(key, data, CursorOp::kLast);
}

Status Cursor::next(Bytes* key, Bytes* data, CursorOp op) {
  if (deleted_ && op == CursorOp::kNextDup) return ASPEN_ERROR(code::kNotFound);
  if (!initialized_) return first(key, data);
  std::byte* p = stack_.top_page();
  if (eof_) {
    if (stack_.top_index() + 1u >= page::num_keys(p)) return ASPEN_ERROR(code::kNotFound);
    eof_ = false;
  }
  if (dup_cmp_ && stack_.top_index() < page::num_keys(p)) {
    const std::byte* n = page::node(p, stack_.top_index());
    if (page::node_flags(n) & format::kNodeDupData) {
      if (op == CursorOp::kNext || op == CursorOp::kNextDup) {
        if (!sub_->initialized_) ASPEN_TRY(init_sub(n));
        Status st = sub_->next(data, nullptr, CursorOp::kNext);
        if (op != CursorOp::kNext || st.code() != code::kNotFound) {
          if (st.ok() && key) *key = page::node_key(n);
          return st;
        }
      }
    } else {
      clear_sub();
      if (op == CursorOp::kNextDup) return ASPEN_ERROR(code::kNotFound);
    }
  }
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
  return read_item(key, data, CursorOp::kFirst);
}

Status Cursor::prev(Bytes* key, Bytes* data, CursorOp op) {
  if (!initialized_) {
    ASPEN_TRY(last(key, data));
    ++stack_.top_index();
  }
  std::byte* p = stack_.top_page();
  if (dup_cmp_ && stack_.top_index() < page::num_keys(p)) {
    const std::byte* n = page::node(p, stack_.top_index());
    if (page::node_flags(n) & format::kNodeDupData) {
      if (op == CursorOp::kPrev || op == CursorOp::kPrevDup) {
        if (!sub_->initialized_) ASPEN_TRY(init_sub(n));
        Status st = sub_->prev(data, nullptr, CursorOp::kPrev);
        if (op != CursorOp::kPrev || st.code() != code::kNotFound) {
          if (st.ok()) {
            if (key) *key = page::node_key(n);
            eof_ = false;
          }
          return st;
        }
      }
    } else {
      clear_sub();
      if (op == CursorOp::kPrevDup) return ASPEN_ERROR(code::kNotFound);
    }
  }
  eof_ = deleted_ = false;
  if (stack_.top_index() == 0) {
    ASPEN_TRY(tree().sibling(stack_, false));
  } else {
    --stack_.top_index();
  }
  if (!page::is_leaf(stack_.top_page())) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(stack_.top_page()));
  return read_item(key, data, CursorOp::kLast);
}

// LMDB's shortcut in mdb_cursor_set: a positioned cursor first tries its current leaf. Returns kAt when the
// key is on it exactly, kOnPage when the key falls inside it, kSearch when a search from the root is needed;
// MDB_NOTFOUND (cursor left where LMDB leaves it, eof flag untouched) when nothing can match.
Result<Cursor::Shortcut> Cursor::try_current_page(Bytes key, CursorOp op) {
  std::byte* p = stack_.top_page();
  const unsigned n = page::num_keys(p);
  const size_t bytes = tree().page_bytes();
  auto key_of = [&](unsigned i) -> Result<Bytes> {
    if (!page::is_leaf2(p) && !page::node_sane(p, i, bytes)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
    return page::key_at(p, i, db_->pad);
  };
  if (n == 0) {
    stack_.top_index() = 0;
    return ASPEN_ERROR(code::kNotFound);
  }
  ASPEN_ASSIGN(Bytes first, key_of(0));
  int rc = (*cmp_)(key, first);
  if (rc == 0) {
    stack_.top_index() = 0;
    return Shortcut::kAt;
  }
  if (rc > 0) {
    if (n > 1) {
      ASPEN_ASSIGN(Bytes last_key, key_of(n - 1));
      rc = (*cmp_)(key, last_key);
      if (rc == 0) {
        stack_.top_index() = static_cast<uint16_t>(n - 1);
        return Shortcut::kAt;
      }
      if (rc < 0) {
        if (stack_.top_index() < n) {
          ASPEN_ASSIGN(Bytes here, key_of(stack_.top_index()));
          if ((*cmp_)(key, here) == 0) return Shortcut::kAt;
        }
        eof_ = false;
        return Shortcut::kOnPage;
      }
    }
    bool more_pages = false;  // does any ancestor have a right sibling?
    for (unsigned level = 0; level + 1 < stack_.depth; ++level)
      if (stack_.index[level] + 1u < page::num_keys(stack_.pages[level])) more_pages = true;
    if (!more_pages) {
      stack_.top_index() = static_cast<uint16_t>(n);
      return ASPEN_ERROR(code::kNotFound);
    }
  }
  if (stack_.depth == 1) {
    stack_.top_index() = 0;
    if (op == CursorOp::kSetRange) return Shortcut::kAt;  // the first item is the smallest >= key
    return ASPEN_ERROR(code::kNotFound);
  }
  return Shortcut::kSearch;
}

Status Cursor::set(Bytes* key, Bytes* data, CursorOp op) {
  if (key->empty()) return ASPEN_ERROR(code::kBadValsize);
  clear_sub();
  Shortcut way = Shortcut::kSearch;
  if (initialized_ && stack_.depth) {
    ASPEN_ASSIGN(way, try_current_page(*key, op));
  }
  if (way == Shortcut::kSearch) {
    ASPEN_TRY(tree().search(stack_, *key, SearchMode::kKey, false));
    initialized_ = true;
    eof_ = false;
  }
  std::byte* p = stack_.top_page();
  if (way != Shortcut::kAt) {
    auto found = tree().find(p, *key);
    if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
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
  }
  initialized_ = true;
  eof_ = false;
  const bool want_key = op == CursorOp::kSetRange || op == CursorOp::kSetKey;
  if (page::is_leaf2(p)) {
    if (want_key) *key = page::key_at(p, stack_.top_index(), db_->pad);
    return ok_status();
  }
  if (!page::node_sane(p, stack_.top_index(), tree().page_bytes()))
    return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  const std::byte* n = page::node(p, stack_.top_index());
  if (dup_cmp_ && (page::node_flags(n) & format::kNodeDupData)) {
    ASPEN_TRY(init_sub(n));
    if (op == CursorOp::kGetBoth || op == CursorOp::kGetBothRange) {
      ASPEN_TRY(sub_->set(data, nullptr, op == CursorOp::kGetBoth ? CursorOp::kSet : CursorOp::kSetRange));
    } else {
      ASPEN_TRY(sub_->first(data, nullptr));
    }
  } else if (data && (op == CursorOp::kGetBoth || op == CursorOp::kGetBothRange)) {
    Bytes old;
    ASPEN_TRY(read_value(n, &old));
    int c = (*dup_cmp_)(*data, old);
    if (c != 0 && (op == CursorOp::kGetBoth || c > 0)) return ASPEN_ERROR(code::kNotFound);
    *data = old;
  } else {
    ASPEN_TRY(read_value(n, data));
  }
  if (want_key) *key = page::node_key(n);
  return ok_status();
}

Status Cursor::current(Bytes* key, Bytes* data) {
  if (!initialized_) return ASPEN_ERROR(EINVAL);
  unsigned n = page::num_keys(stack_.top_page());
  if (n == 0 || stack_.top_index() >= n) {
    stack_.top_index() = static_cast<uint16_t>(n);
    return ASPEN_ERROR(code::kNotFound);
  }
  return read_item(key, data, CursorOp::kGetCurrent);
}

Status Cursor::first_or_last_dup(Bytes* key, Bytes* data, bool first_dup) {
  if (!data || !initialized_) return ASPEN_ERROR(EINVAL);
  if (!dup_cmp_) return ASPEN_ERROR(code::kIncompatible);
  unsigned n = page::num_keys(stack_.top_page());
  if (stack_.top_index() >= n) {
    stack_.top_index() = static_cast<uint16_t>(n);
    return ASPEN_ERROR(code::kNotFound);
  }
  eof_ = false;
  const std::byte* node = page::node(stack_.top_page(), stack_.top_index());
  if (!(page::node_flags(node) & format::kNodeDupData)) {
    if (key) *key = page::node_key(node);
    return read_value(node, data);
  }
  if (!sub_->initialized_) return ASPEN_ERROR(EINVAL);
  return first_dup ? sub_->first(data, nullptr) : sub_->last(data, nullptr);
}

// GET_MULTIPLE / NEXT_MULTIPLE / PREV_MULTIPLE: a whole LEAF2 page of duplicates at a time.
Status Cursor::multiple(CursorOp op, Bytes* key, Bytes* data) {
  if (!data || (op == CursorOp::kGetMultiple && !initialized_)) return ASPEN_ERROR(EINVAL);
  if (!(db_->flags & format::kDbDupFixed)) return ASPEN_ERROR(code::kIncompatible);
  if (op == CursorOp::kGetMultiple) {
    if (!sub_->initialized_ || sub_->eof_) return ok_status();
  } else if (op == CursorOp::kNextMultiple) {
    ASPEN_TRY(next(key, data, CursorOp::kNextDup));
    if (!sub_->initialized_) return ASPEN_ERROR(code::kNotFound);
  } else {
    if (!initialized_) ASPEN_TRY(last(key, data));
    if (!sub_->initialized_) return ASPEN_ERROR(code::kNotFound);
    ASPEN_TRY(sub_->tree().sibling(sub_->stack_, false));
  }
  const std::byte* p = sub_->stack_.top_page();
  const unsigned n = page::num_keys(p);
  *data = Bytes{p + format::kPageHeaderSize, n * size_t{sub_db_.pad}};
  sub_->stack_.top_index() = static_cast<uint16_t>(n ? n - 1 : 0);
  return ok_status();
}

Status Cursor::get(CursorOp op, Bytes* key, Bytes* data) {
  ASPEN_TRY(restore_position());
  Status st;
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
    case CursorOp::kNextMultiple:
    case CursorOp::kPrevMultiple: st = multiple(op, key, data); break;
    case CursorOp::kNext:
    case CursorOp::kNextDup:
    case CursorOp::kNextNoDup: st = next(key, data, op); break;
    case CursorOp::kPrev:
    case CursorOp::kPrevDup:
    case CursorOp::kPrevNoDup: st = prev(key, data, op); break;
    case CursorOp::kFirst: st = first(key, data); break;
    case CursorOp::kLast: st = last(key, data); break;
    case CursorOp::kFirstDup:
    case CursorOp::kLastDup: st = first_or_last_dup(key, data, op == CursorOp::kFirstDup); break;
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
  const std::byte* node = page::node(stack_.top_page(), stack_.top_index());
  if (!(page::node_flags(node) & format::kNodeDupData)) {
    *out = 1;
    return ok_status();
  }
  if (!sub_->initialized_) return ASPEN_ERROR(EINVAL);
  *out = sub_db_.entries;
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
  saved_.has_dup = false;
  if (on_dups() && !saved_.after && sub_->initialized_ && sub_->stack_.depth) {
    const std::byte* sp = sub_->stack_.top_page();
    if (sub_->stack_.top_index() < page::num_keys(sp)) {
      Bytes dup = page::key_at(sp, sub_->stack_.top_index(), sub_db_.pad);
      saved_.dup.assign(dup.begin(), dup.end());
      saved_.has_dup = true;
    }
  }
  saved_.active = true;
}

Status Cursor::restore_position() {
  if (!saved_.active) return ok_status();
  saved_.active = false;
  Bytes key{saved_.key.data(), saved_.key.size()};
  clear_sub();
  Status st = tree().search(stack_, key, SearchMode::kKey, false);
  if (!st.ok()) {
    // The tree was emptied under us: as LMDB's rebalance does to other cursors, only "initialized" goes.
    reset();
    eof_ = saved_.eof;
    deleted_ = saved_.deleted;
    return st.code() == code::kNotFound ? ok_status() : st;
  }
  std::byte* p = stack_.top_page();
  auto found = tree().find(p, key);
  if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  initialized_ = true;
  eof_ = saved_.eof;
  deleted_ = saved_.deleted;
  if (saved_.after) {
    stack_.top_index() = static_cast<uint16_t>(found.exact ? found.index + 1 : found.index);
    return ok_status();
  }
  stack_.top_index() = static_cast<uint16_t>(found.index);
  if (!found.exact) deleted_ = true;  // our item is gone: we now sit on its successor
  if (found.index >= page::num_keys(p) && !tree().sibling(stack_, true).ok()) {
    eof_ = true;
    return ok_status();
  }
  if (on_dups()) {
    ASPEN_TRY(init_sub(page::node(stack_.top_page(), stack_.top_index())));
    Bytes dup{saved_.dup.data(), saved_.dup.size()};
    Status at = saved_.has_dup && found.exact ? sub_->set(&dup, nullptr, CursorOp::kSetRange)
                                              : sub_->first(nullptr, nullptr);
    if (saved_.has_dup && found.exact && at.ok() && (*dup_cmp_)(dup, {saved_.dup.data(), saved_.dup.size()}) != 0)
      sub_->deleted_ = true;
  }
  return ok_status();
}

}  // namespace aspen::tree
