// DUPSORT (layer: tree): the sub-cursor over a key's duplicates, and LMDB 0.9's rules for storing them.
//
// Storage of the values of one key (docs/FORMAT.md "DUPSORT"):
//   - one value: a plain leaf node;
//   - several: an F_DUPDATA node whose data is a sub-page (P_LEAF|P_SUBP|P_DIRTY, plus P_LEAF2 for DUPFIXED)
//     holding the values as keys with empty data;
//   - when the node would exceed node_max: F_DUPDATA|F_SUBDATA, the node holds the record of a sub-tree.
// Growth rules, kept exactly so that node sizes (and so page splits) match liblmdb: converting a single
// value makes a sub-page with room for exactly the two values (DUPFIXED: two more); each further value
// grows a plain sub-page by one node (DUPFIXED: by four values when full); deleting a value shrinks the
// sub-page to fit. A sub-tree is never turned back into a sub-page.
#include <cerrno>
#include <cstring>

#include "tree/cursor.hpp"

namespace aspen::tree {
namespace {

constexpr uint16_t kSubPageFlags = format::kPageLeaf | format::kPageDirty | format::kPageSubpage;

}  // namespace

bool Cursor::on_dups() const {
  if (!dup_cmp_ || !initialized_ || stack_.depth == 0) return false;
  const std::byte* p = stack_.top_page();
  if (stack_.top_index() >= page::num_keys(p) || page::is_leaf2(p)) return false;
  return page::node_flags(page::node(p, stack_.top_index())) & format::kNodeDupData;
}

// Points the sub-cursor at the duplicates of `node` (mdb_xcursor_init1).
Status Cursor::init_sub(const std::byte* node) {
  Cursor& sub = *sub_;
  sub.reset();
  std::byte* data = const_cast<std::byte*>(page::node_data(node));
  if (page::node_flags(node) & format::kNodeSubData) {
    if (page::node_data_size(node) != format::kDbRecordSize) return ASPEN_ERROR(code::kCorrupted);
    sub_db_ = format::DbRecord::decode(data);
    sub.inline_root_ = nullptr;
    return ok_status();
  }
  if (page::node_data_size(node) < format::kPageHeaderSize || !page::is_subpage(data)) return ASPEN_ERROR(code::kCorrupted);
  sub_db_ = format::DbRecord{};
  sub_db_.depth = 1;
  sub_db_.leaf_pages = 1;
  sub_db_.entries = page::num_keys(data);
  sub_db_.root = page::page_number(data);
  if (db_->flags & format::kDbDupFixed) {
    sub_db_.flags = format::kDbDupFixed | ((db_->flags & format::kDbIntegerDup) ? format::kDbIntegerKey : 0);
    sub_db_.pad = page::pad(data);
  }
  sub.inline_root_ = data;
  sub.inline_size_ = page::node_data_size(node);
  ASPEN_TRY(sub.tree().check_page(data));
  sub.stack_.depth = 0;
  sub.stack_.push(data);
  sub.initialized_ = true;
  return ok_status();
}

void Cursor::clear_sub() {
  if (!sub_) return;
  sub_->initialized_ = sub_->eof_ = sub_->deleted_ = false;
  sub_->saved_.active = false;
}

// After the main leaf moved (copy-on-write, node rewritten), the sub-page lives at a new address.
void Cursor::refresh_sub_page() {
  if (!sub_ || !sub_->inline_root_ || !on_dups()) return;
  std::byte* node = page::node(stack_.top_page(), stack_.top_index());
  if (page::node_flags(node) & format::kNodeSubData) return;
  sub_->inline_root_ = page::node_data(node);
  sub_->inline_size_ = page::node_data_size(node);
  if (sub_->stack_.depth) sub_->stack_.pages[0] = sub_->inline_root_;
}

// Adds a duplicate to the existing key under the cursor (the "key exists" half of mdb_cursor_put for
// DUPSORT). May rebuild the node: bigger sub-page, or a new sub-tree.
Status Cursor::put_dup(Bytes key, Bytes* data, unsigned flags, bool insert_key) {
  std::byte* mp_page = stack_.top_page();
  std::vector<std::byte> original;  // the single value being converted into the first duplicate
  if (scratch_.size() < store_->page_size()) scratch_.resize(store_->page_size());
  std::byte* fp = scratch_.data();
  size_t old_size = 0, offset = 0;
  if (!insert_key) {
    std::byte* node = page::node(mp_page, stack_.top_index());
    Bytes old{page::node_data(node), page::node_data_size(node)};
    const uint16_t nflags = page::node_flags(node);
    if (!(nflags & format::kNodeDupData)) {
      // DUPFIXED: a second value must have the first one's size (MDB_CURRENT replaces the only value, so any
      // size goes). Refused before the node is touched: LMDB 0.9 does not check, and truncates or over-reads
      // one of the two into the fixed-size slots (known_differences.txt, "dupfixed-size").
      if ((db_->flags & format::kDbDupFixed) && flags != put_flag::kCurrent && old.size() != data->size())
        return ASPEN_ERROR(code::kBadValsize);
      bool same = (*dup_cmp_)(*data, old) == 0;
      if (same && (flags & (put_flag::kNoDupData | put_flag::kAppendDup))) return ASPEN_ERROR(code::kKeyExist);
      if (flags == put_flag::kCurrent || same) {
        bool done = false;
        ASPEN_TRY(replace_current(key, data, flags, &done));
        return done ? ok_status() : insert_new(key, data, flags, false);
      }
      original.assign(old.begin(), old.end());
      std::memset(fp, 0, store_->page_size());
      page::set_flags(fp, kSubPageFlags);
      page::set_lower(fp, format::kPageHeaderSize);
      page::set_pad(fp, 0);
      old_size = format::kPageHeaderSize + original.size() + data->size();
      if (db_->flags & format::kDbDupFixed) {
        page::set_flags(fp, page::flags(fp) | format::kPageLeaf2);
        page::set_pad(fp, static_cast<uint16_t>(data->size()));
        old_size += 2 * data->size();
      } else {
        old_size += 2 * (sizeof(uint16_t) + format::kNodeHeaderSize) + (original.size() & 1) + (data->size() & 1);
      }
      page::set_upper(fp, static_cast<unsigned>(old_size));
    } else if (nflags & format::kNodeSubData) {
      return put_into_sub(key, data, flags | format::kNodeDupData | format::kNodeSubData, original, nullptr, false);
    } else {
      std::byte* sp = const_cast<std::byte*>(old.data());
      const bool fixed = db_->flags & format::kDbDupFixed;
      if (flags != put_flag::kCurrent && !fixed) {
        offset = format::even(format::kNodeHeaderSize + sizeof(uint16_t) + data->size());
      } else if (flags != put_flag::kCurrent && page::size_left(sp) < page::pad(sp)) {
        offset = size_t{page::pad(sp)} * 4;
      } else {
        page::set_flags(sp, page::flags(sp) | format::kPageDirty);
        page::set_page_number(sp, page::page_number(mp_page));
        if (fixed && data->size() != page::pad(sp)) return ASPEN_ERROR(code::kBadValsize);
        return put_into_sub(key, data, flags | format::kNodeDupData, original, nullptr, false);
      }
      fp = sp;
      old_size = old.size();
    }
  } else {
    // A first value too big for a node goes straight into a sub-tree.
    std::memset(fp, 0, store_->page_size());
    page::set_flags(fp, format::kPageLeaf | format::kPageDirty);
    page::set_pad(fp, static_cast<uint16_t>(data->size()));
    page::set_lower(fp, format::kPageHeaderSize);
    page::set_upper(fp, format::kPageHeaderSize);
    old_size = format::kPageHeaderSize;
  }
  if ((db_->flags & format::kDbDupFixed) && page::pad(fp) != data->size()) return ASPEN_ERROR(code::kBadValsize);

  // Rebuild: a bigger sub-page in scratch, or a real page for a new sub-tree.
  size_t new_size = old_size + offset;
  uint16_t fp_flags = page::flags(fp);
  const size_t key_size = key.size();
  std::byte* mp = scratch_.data();
  std::byte* sub_root = nullptr;
  format::DbRecord dummy{};
  unsigned node_flags = format::kNodeDupData;
  bool to_tree = insert_key || format::kNodeHeaderSize + key_size + new_size > store_->node_max();
  if (to_tree) {
    fp_flags &= static_cast<uint16_t>(~format::kPageSubpage);
    if (db_->flags & format::kDbDupFixed) {
      fp_flags |= format::kPageLeaf2;
      dummy.pad = page::pad(fp);
      dummy.flags = format::kDbDupFixed | ((db_->flags & format::kDbIntegerDup) ? format::kDbIntegerKey : 0);
    }
    dummy.depth = 1;
    dummy.leaf_pages = 1;
    dummy.entries = page::num_keys(fp);
    ASPEN_ASSIGN(mp, store_->allocate(1));
    offset = store_->page_size() - old_size;
    node_flags |= format::kNodeSubData;
    dummy.root = page::page_number(mp);
    sub_root = mp;
  } else if (fp == mp) {
    page::set_page_number(mp, page::page_number(mp_page));
  }
  if (mp != fp) {
    if (mp == scratch_.data()) page::set_page_number(mp, page::page_number(mp_page));
    page::set_flags(mp, static_cast<uint16_t>(fp_flags | format::kPageDirty));
    page::set_pad(mp, page::pad(fp));
    page::set_lower(mp, page::lower(fp));
    page::set_upper(mp, static_cast<unsigned>(page::upper(fp) + offset));
    const unsigned n = page::num_keys(fp);
    if (fp_flags & format::kPageLeaf2) {
      std::memmove(mp + format::kPageHeaderSize, fp + format::kPageHeaderSize, n * size_t{page::pad(fp)});
    } else {
      std::memmove(mp + page::upper(mp), fp + page::upper(fp), old_size - page::upper(fp));
      for (unsigned i = 0; i < n; ++i)
        store<uint16_t>(mp + format::kPageHeaderSize + 2 * i, static_cast<uint16_t>(page::node_offset(fp, i) + offset));
    }
  }
  // The main node is rewritten with the new sub-page or the sub-tree's record.
  std::vector<std::byte> node_data;
  if (to_tree) node_data.assign(reinterpret_cast<const std::byte*>(&dummy), reinterpret_cast<const std::byte*>(&dummy) + sizeof dummy);
  else node_data.assign(mp, mp + new_size);
  if (!insert_key) page::remove_node(mp_page, stack_.top_index(), db_->pad);
  NodeSpec spec;
  spec.key = key;
  spec.leaf = {{node_data.data(), node_data.size()}, static_cast<uint32_t>(node_data.size()),
               static_cast<uint16_t>(node_flags)};
  bool append = (flags & put_flag::kAppend) && (node_flags & format::kNodeSubData);
  ASPEN_TRY(insert_node(spec, key, append));
  return put_into_sub(key, data, flags | node_flags, original, sub_root, insert_key);
}

// Stores `data` in the duplicates of the key under the cursor (LMDB's put_sub), first re-inserting the
// converted single value `original` when there is one.
Status Cursor::put_into_sub(Bytes key, Bytes* data, unsigned flags, std::vector<std::byte>& original,
                            std::byte* sub_root, bool /*insert_key*/) {
  std::byte* node = page::node(stack_.top_page(), stack_.top_index());
  unsigned sub_flags = 0;
  if ((flags & (put_flag::kCurrent | put_flag::kAppendDup)) == put_flag::kCurrent) {
    sub_flags = put_flag::kCurrent;
    refresh_sub_page();
  } else {
    ASPEN_TRY(init_sub(node));
    sub_flags = (flags & put_flag::kNoDupData) ? put_flag::kNoOverwrite : 0;
  }
  (void)sub_root;  // a fresh sub-tree: the sub-cursor finds its root by the record, already dirty
  Bytes empty{};
  if (!original.empty()) {  // LMDB re-inserts a converted single value only when it is non-empty
    Bytes first{original.data(), original.size()};
    Status st = sub_->put(first, &empty, sub_flags);
    if (!st.ok()) return st.code() == code::kKeyExist ? Status(ASPEN_ERROR(code::kCorrupted)) : st;
  }
  const uint64_t before = sub_db_.entries;
  if (flags & put_flag::kAppendDup) sub_flags |= put_flag::kAppend;
  Status st = sub_->put(*data, &empty, sub_flags);
  node = page::node(stack_.top_page(), stack_.top_index());
  if (flags & format::kNodeSubData) sub_db_.encode(page::node_data(node));
  if (sub_db_.entries > before) ++db_->entries;
  (void)key;
  return st;
}

// Deletes the duplicate under the sub-cursor, or with MDB_NODUPDATA all of them. `*done` is false when the
// whole node must go (the caller removes it).
Status Cursor::del_dup(unsigned flags, bool* done) {
  *done = false;
  std::byte* p = stack_.top_page();
  std::byte* node = page::node(p, stack_.top_index());
  if (!sub_->initialized_ || (page::node_flags(node) & format::kNodeSubData) == 0) {
    if (!sub_->initialized_) {
      ASPEN_TRY(init_sub(node));
      ASPEN_TRY(sub_->first(nullptr, nullptr));
    }
  }
  if (flags & put_flag::kNoDupData) {
    db_->entries -= sub_db_.entries - 1;
    clear_sub();
  } else {
    refresh_sub_page();
    ASPEN_TRY(sub_->del(0));
    if (sub_db_.entries > 0) {
      node = page::node(p, stack_.top_index());
      if (page::node_flags(node) & format::kNodeSubData) {
        sub_db_.encode(page::node_data(node));
      } else {
        shrink_sub_page(p, stack_.top_index());
        refresh_sub_page();
      }
      --db_->entries;
      *done = true;
      return ok_status();
    }
    // The last duplicate went with the sub-tree's last page: the record in the node still names the pages
    // the delete just freed, so there is nothing left to drop (dropping them again freed them twice).
    clear_sub();
    return ok_status();
  }
  node = page::node(p, stack_.top_index());
  if (page::node_flags(node) & format::kNodeSubData) ASPEN_TRY(drop_sub_tree(node));
  return ok_status();
}

// Frees every page of the sub-tree whose record is in `node`.
Status Cursor::drop_sub_tree(const std::byte* node) {
  format::DbRecord sub = format::DbRecord::decode(page::node_data(node));
  if (sub.root == kInvalidPage) return ok_status();
  struct Walk {
    PageStore& store;
    Status free(uint64_t pgno, unsigned depth) {
      if (depth > format::kCursorStackDepth) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
      ASPEN_ASSIGN(std::byte* p, store.page(pgno));
      if (page::is_branch(p))
        for (unsigned i = 0; i < page::num_keys(p); ++i) ASPEN_TRY(free(page::node_child(page::node(p, i)), depth + 1));
      return store.release(p, 1);
    }
  } walk{*store_};
  return walk.free(sub.root, 0);
}

// Removes the free space of the sub-page in node `index` of `page` (mdb_node_shrink).
void Cursor::shrink_sub_page(std::byte* p, unsigned index) {
  std::byte* node = page::node(p, index);
  std::byte* sp = page::node_data(node);
  const unsigned delta = page::size_left(sp);
  const uint32_t nsize = page::node_data_size(node) - delta;
  size_t len;
  if (page::is_leaf2(sp)) {
    len = nsize;
    if (nsize & 1) return;  // keep the node's size even
  } else {
    std::byte* xp = sp + delta;
    for (int i = static_cast<int>(page::num_keys(sp)) - 1; i >= 0; --i)
      store<uint16_t>(xp + format::kPageHeaderSize + 2 * i, static_cast<uint16_t>(page::node_offset(sp, i) - delta));
    len = format::kPageHeaderSize;
  }
  page::set_upper(sp, page::lower(sp));
  page::set_page_number(sp, page::page_number(p));
  page::set_node_data_size(node, nsize);
  std::byte* base = p + page::upper(p);
  std::memmove(base + delta, base, static_cast<size_t>((sp + len) - base));
  const uint16_t at = page::node_offset(p, index);
  for (unsigned i = 0; i < page::num_keys(p); ++i) {
    const uint16_t ptr = page::node_offset(p, i);
    if (ptr <= at) store<uint16_t>(p + format::kPageHeaderSize + 2 * i, static_cast<uint16_t>(ptr + delta));
  }
  page::set_upper(p, page::upper(p) + delta);
}

}  // namespace aspen::tree
