// Transaction: a snapshot for reading or the one write transaction, nested to any depth (layer: txn).
//
// A read transaction pins the newest committed snapshot in a reader slot and reads pages straight from the
// map. A write transaction holds the writer lock; it copies every page it changes (copy-on-write) into a
// dirty page keyed by page number, takes new pages from its own released pages, from FREE_DBI records that
// no live snapshot can still see, or from the end of the file, and commits by the protocol in commit.cpp.
// A nested transaction works on copies of its parent's state and folds them into the parent on commit.
//
// States (LMDB's): active -> finished (commit/abort); a read txn may be reset (slot kept, no snapshot) and
// renewed; an error in a write leaves the txn `failed` (only abort is allowed); a txn with an active child is
// `blocked`. Operations on a finished, failed or blocked txn return MDB_BAD_TXN.
// Thread-safety: a transaction and its cursors are used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "format/db_record.hpp"
#include "tree/cursor.hpp"
#include "tree/page_store.hpp"
#include "txn/dirty_map.hpp"
#include "os/process.hpp"
#include "txn/env_host.hpp"
#include "util/ids.hpp"

namespace aspen::txn {

class DbCursor;

// Statistics of one tree (MDB_stat).
struct TreeStat {
  uint32_t page_size = 0;
  uint32_t depth = 0;
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t entries = 0;
};

inline constexpr unsigned kTxnReadOnly = 0x20000;  // MDB_RDONLY

class Transaction final : public tree::PageStore {
 public:
  // Begins a transaction. `parent` non-null gives a nested write transaction.
  static Result<std::unique_ptr<Transaction>> begin(EnvHost& host, Transaction* parent, unsigned flags);
  ~Transaction() override;

  bool read_only() const { return read_only_; }
  uint64_t id() const { return txnid_; }
  EnvHost& host() const { return *host_; }
  Transaction* parent() const { return parent_; }
  // The active nested child, if any (the C ABI frees it with its parent, as LMDB does).
  Transaction* child() const { return child_; }
  // MDB_BAD_TXN unless the transaction can take another operation; MDB_PANIC in a forked child (the
  // transaction was inherited through fork()); code::kOusted once a writer ousted its leased snapshot.
  // Inline, like check_snapshot: both run on every point read and cursor step.
  Status check_usable() const {
    if (finished_ || failed_ || child_ || was_reset_) [[unlikely]] return unusable_error();
    return check_snapshot();
  }
  // The last two checks alone: after a read, a leased snapshot is checked again, so that a read that raced
  // with an ousting never returns pages a writer may have reused.
  Status check_snapshot() const {
    if (!snapshot_ok()) [[unlikely]] return snapshot_error();
    return ok_status();
  }
  // check_usable() as a bool, for the fast cursor step (no Status built when all is well).
  bool usable() const { return !(finished_ || failed_ || child_ || was_reset_) && snapshot_ok(); }
  bool snapshot_ok() const {
    if (os::fork_generation() != fork_generation_) [[unlikely]] return false;
    if (pin_word_) {
      // Every read of the map before this check happened before a writer could reuse the pages (the writer
      // ousts the slot first): the acquire fence keeps those reads before the load.
      std::atomic_thread_fence(std::memory_order_acquire);
      if (std::atomic_ref<uint64_t>(*pin_word_).load(std::memory_order_relaxed) != txnid_) [[unlikely]]
        return false;
    }
    return true;
  }
  bool leased() const { return pin_word_ != nullptr; }
  Status check_writable() const;

  // Ends the transaction. Both release every resource; the object may then only be destroyed (or, for a
  // read transaction, renewed).
  Status commit();
  void abort();
  void reset();
  Status renew();
  bool finished() const { return finished_; }

  // Database handles (mdb_dbi_open, mdb_stat, mdb_dbi_flags, mdb_drop).
  Result<Dbi> open_db(const char* name, unsigned flags);
  Result<TreeStat> stat(Dbi dbi);
  Result<unsigned> db_flags(Dbi dbi) const;
  Status drop(Dbi dbi, bool del);
  Status set_compare(Dbi dbi, tree::KeyCompare cmp, bool dup);
  bool valid_dbi(Dbi dbi, bool user) const;

  // Point operations (mdb_get, mdb_put, mdb_del).
  Status get(Dbi dbi, Bytes key, Bytes* data);
  Status put(Dbi dbi, Bytes key, Bytes* data, unsigned flags);
  Status del(Dbi dbi, Bytes key, const Bytes* data);

  // The current record of `dbi` (loading a named database's record on first use), or an error.
  Result<format::DbRecord*> record(Dbi dbi);
  const tree::KeyCompare& key_order(Dbi dbi) const;
  const tree::KeyCompare* dup_order(Dbi dbi) const;
  // Cursor bookkeeping: write transactions track their cursors so writes can preserve their positions.
  void track(DbCursor* cursor);
  void untrack(DbCursor* cursor);
  // Called before any write to `dbi`: other cursors remember their position.
  Status before_write(Dbi dbi, const DbCursor* writer);
  // Called after a write to `dbi` with the write_mark() taken before it: the database becomes dirty (its record
  // is stored at commit) only when the write made a page writable, as LMDB marks DB_DIRTY only when it touches
  // a page. A write refused before touching anything (MDB_KEYEXIST, MDB_NOTFOUND, EINVAL ...) changes nothing,
  // so a transaction made only of such writes commits nothing and takes no new txnid, like LMDB's.
  uint64_t write_mark() const { return writes_; }
  void after_write(Dbi dbi, uint64_t mark) {
    if (writes_ != mark) dbs_[dbi].dirty = true;
    untouched_named_ = 0;
  }
  void fail() { failed_ = true; }
  // Runs `write`, a change to the trees. std::bad_alloc from any container on the way leaves pages and page
  // lists half changed: the transaction fails (only abort is allowed, LMDB's MDB_TXN_ERROR) and the answer is
  // ENOMEM, so that neither this process nor the file ever sees the half change.
  template <class Write>
  Status guarded(Write&& write) {
    try {
      return write();
    } catch (const std::bad_alloc&) {
      failed_ = true;
      return ASPEN_ERROR(ENOMEM);
    }
  }

  // tree::PageStore
  size_t page_size() const override { return geometry_.page_size; }
  size_t node_max() const override { return geometry_.node_max; }
  uint64_t page_limit() const override { return page_limit_; }
  Result<std::byte*> page(uint64_t pgno) override;
  Result<std::byte*> touch(std::byte* page) override;
  Result<std::byte*> writable_if_dirty(std::byte* run, unsigned count) override;
  Result<std::byte*> allocate(unsigned count) override;
  // LMDB's mdb_page_loose / mdb_ovpage_free: a branch or leaf page this transaction dirtied itself becomes a
  // loose page, reused first by the next single-page allocation (never written); an overflow run it dirtied
  // goes straight back to the reusable pages (top-level transactions that consumed a FREE_DBI record only);
  // anything else joins the pages this transaction frees (written to FREE_DBI under its txnid).
  Status release(const std::byte* page, unsigned count) override;
  // The page (or overflow run) joins the pages this transaction frees, even when it is dirty: LMDB's
  // mdb_midl_append to mt_free_pgs, used for a collapsed or emptied root and for dropped trees. (It becomes
  // an override once tree::PageStore declares it.)
  Status retire(const std::byte* page, unsigned count);

 private:
  struct DbState {
    format::DbRecord record{};
    bool valid = false;   // the handle may be used in this txn
    bool stale = false;   // named db whose record is not loaded yet
    bool dirty = false;   // modified: its record goes into MAIN at commit
    bool fresh = false;   // opened by this txn (closed again on abort)
    unsigned sequence = 0;
    bool appending = false;  // the last put() went past the last key: try that first (put_flag::kAppendHint)
  };

  Transaction(EnvHost& host, Transaction* parent, bool read_only);
  Status start_read(unsigned slot);
  Status start_write();
  void start_nested();
  void init_db_states(const format::Meta& meta);
  Status load_record(Dbi dbi);
  void close_fresh_handles();
  void free_all_buffers();
  void finish();

  // Page allocation and the free list (free_list.cpp).
  Result<uint64_t> take_page_numbers(unsigned count);
  Result<bool> load_free_record();
  bool take_reclaimed(unsigned count, uint64_t* pgno);
  void reclaim_run(uint64_t pgno, unsigned count);
  void forget_dirty(uint64_t pgno);
  Status touch_named_record();
  Status save_free_list();
  Status write_freed_record(tree::Cursor& cursor);
  Status fill_reclaimed_records(tree::Cursor& cursor);

  // Commit (commit.cpp).
  Status commit_nested();
  Status commit_top();
  Status store_named_records();
  Status write_dirty_pages(const std::vector<DirtyMap::Entry>& pages);
  Status drop_tree(format::DbRecord& record, bool sub_trees);

  bool dirty_here(uint64_t pgno) const { return dirty_.find(pgno) != nullptr; }
  std::byte* find_dirty(uint64_t pgno) const;

  EnvHost* host_;
  Transaction* parent_;
  Transaction* child_ = nullptr;
  Geometry geometry_;
  bool read_only_;
  Status unusable_error() const;   // the MDB_BAD_TXN of check_usable
  Status snapshot_error() const;   // the MDB_PANIC / kOusted of check_snapshot
  bool finished_ = false;
  bool failed_ = false;
  bool was_reset_ = false;
  bool modified_ = false;  // anything to commit (LMDB's MDB_TXN_DIRTY, or a non-empty dirty list)
  uint64_t writes_ = 0;    // pages this transaction made writable (allocated or copied from an ancestor)
  // A named database being written for the first time in this transaction: before the first of its pages is
  // touched, its record's path in MAIN is touched (LMDB's mdb_cursor_touch), which fixes the page order.
  Dbi untouched_named_ = 0;
  bool saving_free_list_ = false;
  uint64_t txnid_ = 0;
  unsigned reader_slot_ = ~0u;
  uint64_t* pin_word_ = nullptr;   // a leased snapshot's slot txnid word (Snapshot::pin_word), else null
  uint64_t fork_generation_ = 0;   // os::fork_generation() when the transaction began
  format::Meta meta_{};  // the snapshot this txn started from
  std::vector<DbState> dbs_;
  unsigned num_dbs_ = format::kCoreDbs;
  std::vector<std::vector<DbCursor*>> cursors_;

  // Write state.
  DirtyMap dirty_;
  std::vector<uint64_t> freed_;      // pages this txn stopped using (LMDB's mt_free_pgs), in no order
  std::vector<uint64_t> reclaimed_;  // free pages ready for reuse, descending (LMDB's me_pghead)
  std::vector<uint64_t> loose_;      // dirty pages freed again (LMDB's mt_loose_pgs); back() is reused first
  bool have_reclaimed_ = false;      // a FREE_DBI record was consumed (LMDB's me_pghead != NULL)
  uint64_t last_loaded_ = 0;         // highest FREE_DBI key consumed into reclaimed_ (LMDB's me_pglast)
  uint64_t next_pgno_ = 0;           // first page never used
  uint64_t page_limit_ = 0;          // one past the highest readable page
};

}  // namespace aspen::txn
