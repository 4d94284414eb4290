// Cursor writes (layer: tree): mdb_cursor_put and mdb_cursor_del with LMDB's flag semantics and
// positioning; the DUPSORT halves are in cursor_dup.cpp. See cursor.hpp.
#include <cerrno>
#include <cstring>

#include "tree/cursor.hpp"

namespace aspen::tree {
namespace {

Bytes copy_into(std::vector<std::byte>& buffer, Bytes b) {
  buffer.assign(b.begin(), b.end());
  return {buffer.data(), buffer.size()};
}

}  // namespace

Status Cursor::check_sizes(Bytes key, const Bytes* data, unsigned) const {
  if (key.empty() || key.size() > format::kMaxKeySize) return ASPEN_ERROR(code::kBadValsize);
  uint64_t max_data = dup_cmp_ ? format::kMaxKeySize : format::kMaxDataSize;
  if (data->size() > max_data) return ASPEN_ERROR(code::kBadValsize);
  return ok_status();
}

Status Cursor::seek_exact(Bytes key) {
  ASPEN_TRY(tree().search(stack_, key, SearchMode::kKey, false));
  auto found = tree().find(stack_.top_page(), key);
  if (!found.exact || found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(stack_.top_page()));
  stack_.top_index() = static_cast<uint16_t>(found.index);
  initialized_ = true;
  eof_ = false;
  return ok_status();
}

// Overwrites the plain item under the cursor in place when its size allows; otherwise removes its node (and
// overflow run) so that the caller inserts the new version. `*done` tells which happened.
Status Cursor::replace_current(Bytes, Bytes* data, unsigned flags, bool* done) {
  *done = false;
  std::byte* p = stack_.top_page();
  std::byte* n = page::node(p, stack_.top_index());
  const bool reserve = flags & put_flag::kReserve;
  if ((page::node_flags(n) ^ flags) & format::kNodeSubData) return ASPEN_ERROR(code::kIncompatible);
  if (page::node_flags(n) & format::kNodeBigData) {
    uint64_t pgno = page::node_overflow_page(n);
    ASPEN_ASSIGN(std::byte* run, store_->page(pgno));
    if (!page::is_overflow(run)) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
    uint32_t have = page::header(run)->pages;
    if (have >= format::overflow_pages(data->size(), store_->page_size())) {
      ASPEN_ASSIGN(std::byte* writable, store_->writable_if_dirty(run, have));
      if (writable) {
        page::set_node_data_size(n, static_cast<uint32_t>(data->size()));
        std::byte* dest = writable + format::kPageHeaderSize;
        if (reserve) *data = {dest, data->size()};
        else if (!data->empty()) std::memmove(dest, data->data(), data->size());
        *done = true;
        return ok_status();
      }
    }
    ASPEN_TRY(tree().free_overflow(n));
  } else if (data->size() == page::node_data_size(n)) {
    std::byte* dest = page::node_data(n);
    if (reserve) *data = {dest, data->size()};
    else if (!data->empty()) std::memmove(dest, data->data(), data->size());
    *done = true;
    return ok_status();
  }
  page::remove_node(p, stack_.top_index(), db_->pad);
  return ok_status();
}

// After overwriting the first key of a leaf in place, the separators above it must follow.
Status Cursor::fix_parent_key(Bytes key) {
  if (stack_.depth < 2 || stack_.top_index() != 0) return ok_status();
  unsigned level = stack_.depth - 2;
  while (level > 0 && stack_.index[level] == 0) --level;
  if (stack_.index[level] == 0) return ok_status();
  Stack up = stack_;
  up.depth = level + 1;
  return tree().update_separator(up, key);
}

// A sub-cursor replacing its current duplicate by an equal one (MDB_CURRENT on a DUPSORT item).
Status Cursor::replace_sub_key(Bytes key) {
  std::byte* p = stack_.top_page();
  std::byte* n = page::node(p, stack_.top_index());
  if (page::node_key_size(n) == key.size()) {
    std::memcpy(page::node_data(n) - key.size(), key.data(), key.size());
    return fix_parent_key(key);
  }
  page::remove_node(p, stack_.top_index(), db_->pad);
  Bytes empty{};
  return insert_new(key, &empty, 0, false);
}

Status Cursor::insert_node(const NodeSpec& spec, Bytes key, bool append) {
  ASPEN_ASSIGN(bool split, tree().insert(stack_, spec, append));
  initialized_ = true;
  if (split) ASPEN_TRY(seek_exact(key));
  return ok_status();
}

Status Cursor::insert_new(Bytes key, Bytes* data, unsigned flags, bool append) {
  std::byte* p = stack_.top_page();
  const bool reserve = flags & put_flag::kReserve;
  std::byte* reserved = nullptr;
  NodeSpec spec;
  spec.key = key;
  if (page::is_leaf2(p)) {
    if (key.size() != db_->pad) return ASPEN_ERROR(code::kBadValsize);
  } else if (page::needs_overflow(key.size(), data->size(), store_->node_max())) {
    ASPEN_ASSIGN(spec, tree().make_overflow(key, *data, !reserve, &reserved));
  } else {
    Bytes stored = reserve ? Bytes{static_cast<const std::byte*>(nullptr), data->size()} : *data;
    uint16_t node_flags = (flags & put_flag::kSubData) ? format::kNodeSubData : 0;
    spec.leaf = {stored, static_cast<uint32_t>(data->size()), node_flags};
  }
  if (page::is_subpage(p) && page::size_left(p) < tree().item_size(p, spec))
    return ASPEN_PAGE_ERROR(code::kPageFull, page::page_number(p));  // sub-pages are grown by the parent
  ASPEN_TRY(insert_node(spec, key, append));
  if (reserve) {
    if (!reserved) reserved = page::node_data(page::node(stack_.top_page(), stack_.top_index()));
    *data = {reserved, data->size()};
  }
  return ok_status();
}

// Positions the cursor for a put: on the existing key (`*exists`), at the insertion point, or nowhere for an
// empty tree (`*no_root`).
Status Cursor::locate_for_put(Bytes key, Bytes* data, unsigned flags, bool* exists, bool* no_root) {
  *exists = *no_root = false;
  if (flags & put_flag::kCurrent) {
    if (!initialized_) return ASPEN_ERROR(EINVAL);
    if (stack_.top_index() >= page::num_keys(stack_.top_page())) return ASPEN_ERROR(code::kNotFound);
    *exists = true;
  } else if (db_->root == kInvalidPage && !inline_root_) {
    stack_.depth = 0;
    initialized_ = false;
    *no_root = true;
  } else if (flags & put_flag::kAppend) {
    Bytes last_key;
    ASPEN_TRY(last(&last_key, nullptr));
    if ((*cmp_)(key, last_key) <= 0) return ASPEN_ERROR(code::kKeyExist);
    ++stack_.top_index();
    put_past_end_ = true;
  } else {
    if (flags & put_flag::kAppendHint) {
      // last() without reading the value: the descent along the last branches, then the last key.
      ASPEN_TRY(tree().search(stack_, {}, SearchMode::kLast, false));
      std::byte* p = stack_.top_page();
      const unsigned n = page::num_keys(p);
      if (n > 0) {
        if (!page::is_leaf2(p) && !page::node_sane(p, n - 1, tree().page_bytes()))
          return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
        initialized_ = true;
        if ((*cmp_)(key, page::key_at(p, n - 1, db_->pad)) > 0) {
          stack_.top_index() = static_cast<uint16_t>(n);
          put_past_end_ = true;
          return ok_status();
        }
      }
    }
    Bytes probe = key, existing;
    Status found = set(&probe, &existing, CursorOp::kSet);
    if (found.ok()) {
      if (flags & put_flag::kNoOverwrite) {
        *data = existing;
        return ASPEN_ERROR(code::kKeyExist);
      }
      *exists = true;
    } else if (found.code() != code::kNotFound) {
      return found;
    } else {
      put_past_end_ = on_last_slot();
    }
  }
  return ok_status();
}

// Whether the cursor stands after the last key of the tree: past the end of its leaf, on the last branch of
// every page above.
bool Cursor::on_last_slot() const {
  if (stack_.depth == 0 || stack_.top_index() < page::num_keys(stack_.top_page())) return false;
  for (unsigned level = 0; level + 1 < stack_.depth; ++level)
    if (stack_.index[level] + 1u != page::num_keys(stack_.pages[level])) return false;
  return true;
}

Status Cursor::put(Bytes key, Bytes* data, unsigned flags) {
  if ((flags & put_flag::kMultiple) && !(db_->flags & format::kDbDupFixed)) return ASPEN_ERROR(code::kIncompatible);
  ASPEN_TRY(check_sizes(key, data, flags));
  ASPEN_TRY(restore_position());
  bool exists = false, no_root = false;
  put_past_end_ = false;
  ASPEN_TRY(locate_for_put(key, data, flags, &exists, &no_root));
  std::vector<std::byte> key_copy;
  if ((flags & put_flag::kCurrent) && !is_sub_)
    key = copy_into(key_copy, page::key_at(stack_.top_page(), stack_.top_index(), db_->pad));
  deleted_ = false;
  if (no_root) {
    uint16_t kind = format::kPageLeaf;
    if ((db_->flags & (format::kDbDupSort | format::kDbDupFixed)) == format::kDbDupFixed) kind |= format::kPageLeaf2;
    ASPEN_ASSIGN(std::byte* root, tree().new_page(kind));
    stack_.push(root);
    db_->root = page::page_number(root);
    db_->depth = 1;
    initialized_ = true;
  } else {
    ASPEN_TRY(tree().touch_path(stack_));
    refresh_sub_page();
  }
  if (exists) {
    std::byte* p = stack_.top_page();
    if (page::is_leaf2(p)) {  // a DUPFIXED value replacing itself
      if (key.size() != db_->pad) return ASPEN_ERROR(code::kBadValsize);
      std::memcpy(page::leaf2_key(p, stack_.top_index(), db_->pad), key.data(), key.size());
      return fix_parent_key(key);
    }
    if (dup_cmp_) return put_dup(key, data, flags, false);
    if (is_sub_) return replace_sub_key(key);
    bool done = false;
    ASPEN_TRY(replace_current(key, data, flags, &done));
    if (done) return ok_status();
    return insert_new(key, data, flags, false);
  }
  if (dup_cmp_ && page::needs_overflow(key.size(), data->size(), store_->node_max()))
    return put_dup(key, data, flags, true);
  ASPEN_TRY(insert_new(key, data, flags, (flags & put_flag::kAppend) != 0));
  ++db_->entries;
  return ok_status();
}

// MDB_MULTIPLE as LMDB runs it: the key is looked up once, for the first value, so MDB_NOOVERWRITE and
// MDB_APPEND apply to that one only (later values go to the key the first one reached); MDB_NODUPDATA and
// MDB_APPENDDUP apply to every value. A count of 0 stores the first value all the same (LMDB's loop tests
// the count after storing). On MDB_KEYEXIST from MDB_NOOVERWRITE, `*existing` (if given) is the key's first
// value, as LMDB returns it in data[0]. The later values do not look the key up again in LMDB, so they leave
// the cursor's eof flag as the first put left it (a put of a new key keeps a stale eof from MDB_LAST).
Status Cursor::put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags,
                            Bytes* existing) {
  if (!(db_->flags & format::kDbDupFixed)) return ASPEN_ERROR(code::kIncompatible);
  const size_t wanted = *count > 0 ? *count : 1;
  *count = 0;
  if (value_size == 0 || values.size() < wanted * value_size) return ASPEN_ERROR(EINVAL);
  flags &= ~put_flag::kMultiple;
  bool eof_after_first = false;
  for (size_t i = 0; i < wanted; ++i) {
    Bytes value = values.subspan(i * value_size, value_size);
    Status st = put(key, &value, i == 0 ? flags : flags & ~(put_flag::kNoOverwrite | put_flag::kAppend));
    if (i == 0) eof_after_first = eof_;
    else eof_ = eof_after_first;
    if (!st.ok()) {
      if (existing && i == 0 && st.code() == code::kKeyExist && (flags & put_flag::kNoOverwrite)) *existing = value;
      return st;
    }
    *count = i + 1;
  }
  return ok_status();
}

Status Cursor::position_after_delete(Bytes deleted_key) {
  // Only an empty tree leaves the cursor unpositioned; a rebalance may have emptied or shortened the stack
  // (a root collapse), which the search below rebuilds. LMDB's rebalance of an emptied root clears only the
  // initialized flag: eof and deleted stay as they were, and a later put of a first key keeps them.
  if (db_->root == kInvalidPage && !inline_root_) {
    stack_.depth = 0;
    initialized_ = false;
    return ok_status();
  }
  ASPEN_TRY(tree().search(stack_, deleted_key, SearchMode::kKey, false));
  std::byte* p = stack_.top_page();
  auto found = tree().find(p, deleted_key);
  if (found.corrupt) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  stack_.top_index() = static_cast<uint16_t>(found.index);
  initialized_ = deleted_ = true;  // the eof flag stays as it was (LMDB's mdb_cursor_del0)
  if (found.index >= page::num_keys(p) && !tree().sibling(stack_, true).ok()) {
    eof_ = true;
    return ok_status();
  }
  if (on_dups()) {
    // Like LMDB, the sub-cursor of the successor starts at its first duplicate, marked deleted.
    ASPEN_TRY(init_sub(page::node(stack_.top_page(), stack_.top_index())));
    ASPEN_TRY(sub_->first(nullptr, nullptr));
    sub_->deleted_ = true;
  }
  return ok_status();
}

Status Cursor::del(unsigned flags) {
  ASPEN_TRY(restore_position());
  if (!initialized_) return ASPEN_ERROR(EINVAL);
  if (stack_.top_index() >= page::num_keys(stack_.top_page())) return ASPEN_ERROR(code::kNotFound);
  ASPEN_TRY(tree().touch_path(stack_));
  refresh_sub_page();
  std::byte* p = stack_.top_page();
  if (!page::is_leaf(p)) return ASPEN_PAGE_ERROR(code::kCorrupted, page::page_number(p));
  if (!page::is_leaf2(p)) {
    std::byte* n = page::node(p, stack_.top_index());
    if (dup_cmp_ && (page::node_flags(n) & format::kNodeDupData)) {
      bool done = false;
      ASPEN_TRY(del_dup(flags, &done));
      if (done) return ok_status();
    } else if ((page::node_flags(n) ^ flags) & format::kNodeSubData) {
      return ASPEN_ERROR(code::kIncompatible);
    }
    n = page::node(p, stack_.top_index());
    if (page::node_flags(n) & format::kNodeBigData) ASPEN_TRY(tree().free_overflow(n));
  }
  const bool reposition = !(flags & put_flag::kNoReposition);
  std::vector<std::byte> key_copy;
  Bytes key = reposition ? copy_into(key_copy, page::key_at(p, stack_.top_index(), db_->pad)) : Bytes{};
  page::remove_node(p, stack_.top_index(), db_->pad);
  --db_->entries;
  Tree t = tree();
  ASPEN_TRY(t.rebalance(stack_));
  if (t.merged()) eof_ = false;
  return reposition ? position_after_delete(key) : ok_status();
}

}  // namespace aspen::tree
