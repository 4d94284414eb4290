// Cursor: a position in one B+tree and every LMDB 0.9 cursor operation on it (layer: tree).
//
// A cursor is a Stack plus LMDB's state bits: `initialized` (positioned), `eof` (moved past an end) and
// `deleted` (the item it was on was deleted: the next MDB_NEXT / MDB_GET_CURRENT see its successor). The
// semantics of get/put/del are LMDB's, case by case, so that the differential tests against liblmdb agree.
//
// DUPSORT: the duplicates of the current key live in a sub-page inside its leaf node (F_DUPDATA) or in a
// sub-tree (F_DUPDATA|F_SUBDATA); a sub-cursor (sub_) walks them, keyed by the values. Sub-pages grow,
// shrink and turn into sub-trees by LMDB's exact rules (cursor_dup.cpp), so node sizes and page splits match.
//
// Other cursors: a write through one cursor may move pages under another. Before writing, the transaction
// calls save_position() on every other cursor of the database; a saved cursor re-finds its item by key on
// its next use (restore_position). A cursor writing itself keeps its own stack valid, or re-finds its item
// after a split or rebalance.
// Thread-safety: one transaction's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tree/tree.hpp"

namespace aspen::tree {

// LMDB's MDB_cursor_op values.
enum class CursorOp : unsigned {
  kFirst = 0, kFirstDup, kGetBoth, kGetBothRange, kGetCurrent, kGetMultiple, kLast, kLastDup, kNext,
  kNextDup, kNextMultiple, kNextNoDup, kPrev, kPrevDup, kPrevNoDup, kSet, kSetKey, kSetRange, kPrevMultiple,
};

// Write flags (MDB_NOOVERWRITE ...), plus kSubData: the value is a database record (F_SUBDATA, internal).
namespace put_flag {
inline constexpr unsigned kSubData = 0x02;
inline constexpr unsigned kNoOverwrite = 0x10;
inline constexpr unsigned kNoDupData = 0x20;
inline constexpr unsigned kCurrent = 0x40;
inline constexpr unsigned kReserve = 0x10000;
inline constexpr unsigned kAppend = 0x20000;
inline constexpr unsigned kAppendDup = 0x40000;
inline constexpr unsigned kMultiple = 0x80000;
// del() only (internal): the caller discards the cursor afterwards (mdb_del), so it need not be positioned
// on the successor: saves a second descent and a key copy per delete.
inline constexpr unsigned kNoReposition = 0x1000000;
// put() only (internal): the caller's previous put to this database went past its last key, so this one
// probably does too (a sequential load). One descent along the last branch of every page settles it, without
// a binary search per page; a key that is not past the end is then searched as usual. The split rules are
// those of a plain put (not kAppend's), so the tree has the same shape as LMDB's after mdb_put.
inline constexpr unsigned kAppendHint = 0x2000000;
}  // namespace put_flag

class Cursor {
 public:
  // `dup_cmp` is the duplicate order for DUPSORT databases, null otherwise.
  Cursor(PageStore& store, format::DbRecord& db, const KeyCompare& cmp, const KeyCompare* dup_cmp);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // mdb_cursor_get: `key`/`data` are inputs for the SET/GET_BOTH family and outputs otherwise, exactly as
  // MDB_val in LMDB (a NULL output is simply not written).
  Status get(CursorOp op, Bytes* key, Bytes* data);
  // MDB_NEXT in the plain case of a scan of a database without duplicates: to the next item of the same
  // leaf, or to the first item of the next leaf under the same parent. Moves, reports the item and returns
  // true. Returns false, changing nothing, in every other case (a parent boundary, eof/deleted/saved state,
  // DUPSORT, LEAF2, a bad page or node); get(kNext) then does it.
  // See cursor_step.cpp.
  bool step_within_leaf(Bytes* key, Bytes* data);
  // mdb_cursor_put. With kReserve, `data->data()` comes back pointing at the reserved space; on
  // MDB_KEYEXIST with kNoOverwrite, `*data` is the existing value.
  Status put(Bytes key, Bytes* data, unsigned flags);
  // After a put of a new key: whether it went after every key of the tree (what kAppendHint bets on).
  bool put_past_end() const { return put_past_end_; }
  // mdb_cursor_del. Leaves the cursor on the successor, marked deleted.
  Status del(unsigned flags);
  // mdb_cursor_count.
  Status count(size_t* out);
  // mdb_cursor_put with MDB_MULTIPLE: `count` fixed-size values packed in `values` (a count of 0 stores
  // one, as LMDB does); `*count` comes back as the number stored. See cursor_write.cpp.
  Status put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags,
                      Bytes* existing = nullptr);

  bool initialized() const { return initialized_; }
  bool at_end() const { return eof_; }
  void reset();
  // Remembers the current item by key so that the cursor survives writes made through other cursors.
  void save_position();
  bool position_saved() const { return saved_.active; }
  Tree tree() const { return Tree(*store_, *db_, *cmp_, inline_root_, inline_size_); }
  format::DbRecord& db() const { return *db_; }

 private:
  struct SavedPosition {
    bool active = false;
    bool after = false;  // the cursor was just past `key` (past the end of its page)
    bool eof = false;
    bool deleted = false;
    bool has_dup = false;
    std::vector<std::byte> key;
    std::vector<std::byte> dup;
  };

  // Reads (cursor.cpp).
  enum class Shortcut { kSearch, kOnPage, kAt };
  Result<Shortcut> try_current_page(Bytes key, CursorOp op);
  Status restore_position();
  Status first(Bytes* key, Bytes* data);
  Status last(Bytes* key, Bytes* data);
  Status next(Bytes* key, Bytes* data, CursorOp op);
  Status prev(Bytes* key, Bytes* data, CursorOp op);
  Status set(Bytes* key, Bytes* data, CursorOp op);
  Status current(Bytes* key, Bytes* data);
  Status first_or_last_dup(Bytes* key, Bytes* data, bool first_dup);
  Status multiple(CursorOp op, Bytes* key, Bytes* data);
  // Reports the item under the cursor: its key, and its value or (DUPSORT) the sub-cursor's first or last
  // duplicate, per `dup_edge` (kFirst / kLast / kGetCurrent).
  Status read_item(Bytes* key, Bytes* data, CursorOp dup_edge);
  Status read_value(const std::byte* node, Bytes* data) const;

  // DUPSORT sub-cursor (cursor_dup.cpp).
  bool on_dups() const;
  Status init_sub(const std::byte* node);
  void clear_sub();
  void refresh_sub_page();
  Status put_dup(Bytes key, Bytes* data, unsigned flags, bool insert_key);
  Status put_into_sub(Bytes key, Bytes* data, unsigned flags, std::vector<std::byte>& original,
                      std::byte* sub_root, bool insert_key);
  Status del_dup(unsigned flags, bool* done);
  Status drop_sub_tree(const std::byte* node);
  void shrink_sub_page(std::byte* page, unsigned index);

  // Writes (cursor_write.cpp).
  Status replace_current(Bytes key, Bytes* data, unsigned flags, bool* done);
  Status replace_sub_key(Bytes key);
  Status fix_parent_key(Bytes key);
  Status insert_new(Bytes key, Bytes* data, unsigned flags, bool append);
  Status insert_node(const NodeSpec& spec, Bytes key, bool append);
  Status position_after_delete(Bytes deleted_key);
  bool on_last_slot() const;
  bool step_to_next_leaf(Bytes* key, Bytes* data);
  bool read_plain(const std::byte* p, unsigned i, Bytes* key, Bytes* data) const;
  Status seek_exact(Bytes key);
  Status check_sizes(Bytes key, const Bytes* data, unsigned flags) const;
  Status locate_for_put(Bytes key, Bytes* data, unsigned flags, bool* exists, bool* no_root);

  PageStore* store_;
  format::DbRecord* db_;
  const KeyCompare* cmp_;
  const KeyCompare* dup_cmp_;
  std::byte* inline_root_ = nullptr;  // a sub-cursor over a sub-page: that page
  size_t inline_size_ = 0;            // and its size
  bool is_sub_ = false;
  std::unique_ptr<Cursor> sub_;       // DUPSORT: the duplicates of the current key
  format::DbRecord sub_db_{};         // the sub-cursor's record
  std::vector<std::byte> scratch_;    // one page, for rebuilding sub-pages
  Stack stack_;
  bool initialized_ = false;
  bool eof_ = false;
  bool deleted_ = false;
  bool put_past_end_ = false;
  SavedPosition saved_;
  size_t step_page_size_ = 0;  // the page size, cached by step_within_leaf
};

}  // namespace aspen::tree
