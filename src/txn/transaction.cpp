// Transaction lifecycle, database handles and point operations (layer: txn). See transaction.hpp.
#include "txn/transaction.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "os/process.hpp"
#include "txn/db_cursor.hpp"

namespace aspen::txn {
namespace {

constexpr unsigned kValidDbFlags = 0x7e | 0x40000;  // persistent flags | MDB_CREATE
constexpr unsigned kNoTlsFlag = 0x200000;           // MDB_NOTLS

bool harmless(int code) {
  return code == 0 || code == code::kNotFound || code == code::kKeyExist || code == code::kBadValsize ||
         code == EINVAL || code == code::kIncompatible || code == EACCES;
}

// A delete that reaches a node of the wrong kind (a database record through a plain delete) fails the
// transaction in LMDB (mdb_cursor_del's `fail:` path), unlike a put that does the same.
bool harmless_delete(int code) { return code != code::kIncompatible && harmless(code); }

}  // namespace

Transaction::Transaction(EnvHost& host, Transaction* parent, bool read_only)
    : host_(&host),
      parent_(parent),
      geometry_(host.geometry()),
      read_only_(read_only),
      fork_generation_(os::fork_generation()) {}

Transaction::~Transaction() {
  if (!finished_) abort();
}

Result<std::unique_ptr<Transaction>> Transaction::begin(EnvHost& host, Transaction* parent, unsigned flags) {
  if (host.poisoned()) return ASPEN_ERROR(code::kPanic);
  const bool env_read_only = host.geometry().env_flags & kTxnReadOnly;
  bool read_only = (flags & kTxnReadOnly) != 0;
  if (parent) {
    // LMDB: EINVAL under a read-only parent; MDB_BAD_TXN for a read-only child, under WRITEMAP, or when the
    // parent is finished, failed or has a child already.
    if (parent->read_only_) return ASPEN_ERROR(EINVAL);
    if (read_only || parent->finished_ || parent->failed_ || parent->child_ ||
        (host.geometry().env_flags & 0x80000 /* MDB_WRITEMAP */))
      return ASPEN_ERROR(code::kBadTxn);
  } else if (!read_only && env_read_only) {
    return ASPEN_ERROR(EACCES);
  }
  std::unique_ptr<Transaction> txn;
  try {
    txn.reset(new Transaction(host, parent, read_only));  // its members allocate too (the dirty map)
    if (parent) {
      txn->start_nested();
    } else if (read_only) {
      ASPEN_TRY(txn->start_read(~0u));
    } else {
      ASPEN_TRY(txn->start_write());
    }
  } catch (const std::bad_alloc&) {
    return ASPEN_ERROR(ENOMEM);  // the half-begun transaction's destructor gives back what it took
  }
  return txn;
}

void Transaction::init_db_states(const format::Meta& meta) {
  DbTable& table = host_->db_table();
  dbs_.assign(table.max_dbs(), DbState{});  // allocations first: abort() relies on num_dbs_ <= dbs_.size()
  cursors_.assign(read_only_ ? 0 : table.max_dbs(), {});
  num_dbs_ = table.count();
  for (unsigned i = 0; i < num_dbs_; ++i) {
    const DbSlot& slot = table.slot(i);
    DbState& s = dbs_[i];
    s.sequence = slot.sequence;
    if (i < format::kCoreDbs) {
      s.record = meta.dbs[i];
      s.valid = true;
    } else if (slot.open) {
      s.valid = s.stale = true;
      s.record = format::DbRecord::empty(slot.flags);
    }
  }
}

Status Transaction::start_read(unsigned slot) {
  ASPEN_ASSIGN(Snapshot snap, host_->pin_snapshot(slot));
  reader_slot_ = snap.slot;
  pin_word_ = snap.pin_word;
  meta_ = snap.meta;
  txnid_ = meta_.txnid;
  next_pgno_ = meta_.last_page + 1;
  page_limit_ = std::min(next_pgno_, host_->mapped_pages());
  init_db_states(meta_);
  return ok_status();
}

Status Transaction::start_write() {
  ASPEN_ASSIGN(meta_, host_->begin_write());
  txnid_ = meta_.txnid + 1;
  next_pgno_ = meta_.last_page + 1;
  page_limit_ = next_pgno_;
  init_db_states(meta_);
  return ok_status();
}

void Transaction::start_nested() {
  Transaction& p = *parent_;
  meta_ = p.meta_;
  txnid_ = p.txnid_;
  dbs_ = p.dbs_;  // allocations first: abort() relies on num_dbs_ <= dbs_.size()
  cursors_.assign(p.cursors_.size(), {});
  reclaimed_ = p.reclaimed_;  // the child works on a copy of the reusable pages (LMDB's mnt_pgstate)
  num_dbs_ = p.num_dbs_;
  for (DbState& s : dbs_) s.fresh = false;  // handles the child opens are its own to close on abort
  have_reclaimed_ = p.have_reclaimed_;
  last_loaded_ = p.last_loaded_;
  next_pgno_ = p.next_pgno_;
  page_limit_ = p.page_limit_;
  // The parent's cursors must not rely on page pointers the child may change.
  for (auto& list : p.cursors_)
    for (DbCursor* c : list) c->cursor().save_position();
  p.child_ = this;
}

Status Transaction::unusable_error() const { return ASPEN_ERROR(code::kBadTxn); }

Status Transaction::snapshot_error() const {
  if (os::fork_generation() != fork_generation_) return ASPEN_ERROR(code::kPanic);  // inherited by fork()
  return ASPEN_ERROR(code::kOusted);
}

Status Transaction::check_writable() const {
  if (read_only_) return ASPEN_ERROR(EACCES);
  return check_usable();
}

bool Transaction::valid_dbi(Dbi dbi, bool user) const {
  if (dbi >= num_dbs_ || !dbs_[dbi].valid) return false;
  return !user || dbi != format::kFreeDbi;
}

// --- lifecycle ---------------------------------------------------------------------------------------

void Transaction::close_fresh_handles() {
  DbTable& table = host_->db_table();
  for (unsigned i = format::kCoreDbs; i < num_dbs_; ++i)
    if (dbs_[i].fresh) table.close(i);
}

void Transaction::free_all_buffers() {
  dirty_.for_each([&](const DirtyMap::Entry& e) {
    if (!(geometry_.env_flags & 0x80000)) host_->give_buffer(e.page, e.pages);
  });
  dirty_.clear();
}

void Transaction::finish() {
  finished_ = true;
  for (auto& list : cursors_) {
    std::vector<DbCursor*> cursors;
    cursors.swap(list);
    for (DbCursor* c : cursors) {
      c->detach();
      if (c->owned_by_txn()) delete c;
    }
  }
  if (parent_) {
    parent_->child_ = nullptr;
  } else if (read_only_) {
    // A reset transaction no longer owns a thread-local slot: the thread's next transaction may pin into it.
    const bool owns_slot = !was_reset_ || (geometry_.env_flags & kNoTlsFlag);
    if (reader_slot_ != ~0u && owns_slot) host_->unpin_snapshot(reader_slot_, false);
    reader_slot_ = ~0u;
    pin_word_ = nullptr;
  } else {
    host_->end_write();
  }
}

void Transaction::abort() {
  if (finished_) return;
  if (child_) child_->abort();
  close_fresh_handles();
  free_all_buffers();
  finish();
}

void Transaction::reset() {
  if (!read_only_ || finished_ || was_reset_) return;
  close_fresh_handles();
  if (reader_slot_ != ~0u) host_->unpin_snapshot(reader_slot_, true);
  was_reset_ = true;
  // Like LMDB (mt_numdbs = 0): no handle is valid until renew, so calls answer EINVAL (or MDB_BAD_TXN).
  num_dbs_ = 0;
}

Status Transaction::renew() {
  if (!read_only_ || (!was_reset_ && !finished_)) return ASPEN_ERROR(EINVAL);
  if (host_->poisoned()) return ASPEN_ERROR(code::kPanic);
  ASPEN_TRY(start_read(reader_slot_));
  was_reset_ = finished_ = failed_ = false;
  return ok_status();
}

Status Transaction::commit() {
  if (finished_) return ASPEN_ERROR(EINVAL);
  if (os::fork_generation() != fork_generation_) {
    abort();  // in a forked child: nothing of the parent's transaction may reach the file
    return ASPEN_ERROR(code::kPanic);
  }
  if (child_) {
    Status st = child_->commit();
    if (!st.ok()) {
      abort();
      return st;
    }
  }
  if (failed_) {
    if (parent_) parent_->failed_ = true;  // LMDB: committing a failed child fails its parent too
    abort();
    return ASPEN_ERROR(code::kBadTxn);
  }
  if (read_only_) {
    DbTable& table = host_->db_table();
    if (num_dbs_ > table.count()) table.set_count(num_dbs_);
    finish();
    return ok_status();
  }
  Status st = guarded([&] { return parent_ ? commit_nested() : commit_top(); });
  if (!st.ok()) {
    abort();
    return st;
  }
  free_all_buffers();
  finish();
  return ok_status();
}

// --- database handles --------------------------------------------------------------------------------

Status Transaction::load_record(Dbi dbi) {
  DbState& s = dbs_[dbi];
  const DbSlot& slot = host_->db_table().slot(dbi);
  if (slot.sequence != s.sequence) return ASPEN_ERROR(code::kBadDbi);
  tree::Cursor main(*this, dbs_[format::kMainDbi].record, key_order(format::kMainDbi), nullptr);
  Bytes key = as_bytes(slot.name), data;
  ASPEN_TRY(main.get(tree::CursorOp::kSet, &key, &data));
  Bytes probe = as_bytes(slot.name);
  (void)probe;
  // The node must hold a database record (F_SUBDATA without F_DUPDATA).
  if (data.size() != format::kDbRecordSize) return ASPEN_ERROR(code::kIncompatible);
  format::DbRecord record = format::DbRecord::decode(data.data());
  if ((s.record.flags & format::kDbPersistentFlags) != record.flags) return ASPEN_ERROR(code::kIncompatible);
  s.record = record;
  s.stale = false;
  return ok_status();
}

Result<format::DbRecord*> Transaction::record(Dbi dbi) {
  if (dbs_[dbi].stale) ASPEN_TRY(load_record(dbi));
  return &dbs_[dbi].record;
}

const tree::KeyCompare& Transaction::key_order(Dbi dbi) const { return host_->db_table().slot(dbi).cmp; }

const tree::KeyCompare* Transaction::dup_order(Dbi dbi) const {
  if (!(dbs_[dbi].record.flags & format::kDbDupSort)) return nullptr;
  return &host_->db_table().slot(dbi).dup_cmp;
}

Result<Dbi> Transaction::open_db(const char* name, unsigned flags) {
  if (flags & ~kValidDbFlags) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(check_usable());
  DbTable& table = host_->db_table();
  const uint16_t persistent = flags & format::kDbPersistentFlags;
  if (!name) {
    DbState& main = dbs_[format::kMainDbi];
    if ((main.record.flags | persistent) != main.record.flags) {
      main.record.flags |= persistent;
      main.dirty = modified_ = true;
    }
    DbSlot& slot = table.slot(format::kMainDbi);
    if (!slot.user_cmp) slot.cmp = tree::KeyCompare::for_keys(main.record.flags);
    if (!slot.user_dup_cmp) slot.dup_cmp = tree::KeyCompare::for_duplicates(main.record.flags);
    return Dbi{format::kMainDbi};
  }
  std::string db_name(name);
  if (Dbi found = table.find(db_name, num_dbs_)) return found;
  Dbi unused = table.free_slot(num_dbs_);
  if (!unused && num_dbs_ >= table.max_dbs()) return ASPEN_ERROR(code::kDbsFull);
  if (dbs_[format::kMainDbi].record.flags & (format::kDbDupSort | format::kDbIntegerKey))
    return ASPEN_ERROR((flags & 0x40000) ? code::kIncompatible : code::kNotFound);

  tree::Cursor main(*this, dbs_[format::kMainDbi].record, key_order(format::kMainDbi), nullptr);
  Bytes key = as_bytes(db_name), data;
  Status found = main.get(tree::CursorOp::kSet, &key, &data);
  format::DbRecord record;
  bool created = false;
  if (found.ok()) {
    // A plain key of the same name in MAIN is not a database.
    if (data.size() != format::kDbRecordSize) return ASPEN_ERROR(code::kIncompatible);
    record = format::DbRecord::decode(data.data());
  } else {
    if (found.code() != code::kNotFound || !(flags & 0x40000)) return found.error();
    if (read_only_) return ASPEN_ERROR(EACCES);
    record = format::DbRecord::empty(persistent);
    ASPEN_TRY(before_write(format::kMainDbi, nullptr));
    Bytes value{reinterpret_cast<const std::byte*>(&record), sizeof record};
    Status st = guarded([&] { return main.put(key, &value, tree::put_flag::kSubData); });
    if (!st.ok()) {
      if (!harmless(st.code())) failed_ = true;
      return st.error();
    }
    created = modified_ = true;
  }
  if (record.flags & ~format::kDbPersistentFlags) return ASPEN_ERROR(code::kInvalid);
  Dbi dbi = unused ? unused : num_dbs_;
  DbSlot& slot = table.slot(dbi);
  slot.name = db_name;
  slot.open = true;
  slot.flags = record.flags;
  slot.cmp = tree::KeyCompare::for_keys(record.flags);
  slot.dup_cmp = tree::KeyCompare::for_duplicates(record.flags);
  slot.user_cmp = slot.user_dup_cmp = false;
  ++slot.sequence;
  DbState& s = dbs_[dbi];
  s = DbState{};
  s.record = record;
  s.valid = s.fresh = true;
  s.dirty = created;
  s.sequence = slot.sequence;
  if (!unused) ++num_dbs_;
  return dbi;
}

Result<TreeStat> Transaction::stat(Dbi dbi) {
  if (!valid_dbi(dbi, false)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(check_usable());
  ASPEN_ASSIGN(format::DbRecord* r, record(dbi));
  TreeStat st;
  st.page_size = static_cast<uint32_t>(geometry_.page_size);
  st.depth = r->depth;
  st.branch_pages = r->branch_pages;
  st.leaf_pages = r->leaf_pages;
  st.overflow_pages = r->overflow_pages;
  st.entries = r->entries;
  return st;
}

Result<unsigned> Transaction::db_flags(Dbi dbi) const {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  return static_cast<unsigned>(dbs_[dbi].record.flags & format::kDbPersistentFlags);
}

Status Transaction::set_compare(Dbi dbi, tree::KeyCompare cmp, bool dup) {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  DbSlot& slot = host_->db_table().slot(dbi);
  (dup ? slot.dup_cmp : slot.cmp) = cmp;
  (dup ? slot.user_dup_cmp : slot.user_cmp) = true;
  return ok_status();
}

Status Transaction::drop(Dbi dbi, bool del) {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  if (read_only_) return ASPEN_ERROR(EACCES);
  if (dbs_[dbi].sequence != host_->db_table().slot(dbi).sequence) return ASPEN_ERROR(code::kBadDbi);
  ASPEN_TRY(check_usable());
  ASPEN_ASSIGN(format::DbRecord* r, record(dbi));
  ASPEN_TRY(before_write(dbi, nullptr));
  untouched_named_ = 0;  // dropping touches no page: LMDB rewrites the record at commit only
  Status st = guarded([&] { return drop_tree(*r, (r->flags & format::kDbDupSort) != 0); });
  for (DbCursor* c : cursors_[dbi]) c->cursor().reset();
  if (!st.ok()) {
    failed_ = true;
    return st;
  }
  if (del && dbi >= format::kCoreDbs) {
    ASPEN_TRY(before_write(format::kMainDbi, nullptr));
    const std::string name = host_->db_table().slot(dbi).name;
    tree::Cursor main(*this, dbs_[format::kMainDbi].record, key_order(format::kMainDbi), nullptr);
    Bytes key = as_bytes(name);
    st = main.get(tree::CursorOp::kSet, &key, nullptr);
    if (st.ok()) st = guarded([&] { return main.del(tree::put_flag::kSubData); });
    if (!st.ok()) {
      failed_ = true;
      return st;
    }
    dbs_[dbi] = DbState{};
    host_->db_table().close(dbi);
    return ok_status();
  }
  uint16_t flags = r->flags;
  *r = format::DbRecord::empty(flags);
  dbs_[dbi].dirty = modified_ = true;
  return ok_status();
}

// --- point operations ---------------------------------------------------------------------------------

Status Transaction::get(Dbi dbi, Bytes key, Bytes* data) {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(check_usable());
  ASPEN_ASSIGN(format::DbRecord* r, record(dbi));
  Status st;
  if (const tree::KeyCompare* dups = dup_order(dbi)) {
    tree::Cursor c(*this, *r, key_order(dbi), dups);  // the first duplicate, by the cursor's rules
    st = c.get(tree::CursorOp::kSet, &key, data);
  } else if (key.empty()) {
    st = ASPEN_ERROR(code::kBadValsize);
  } else {
    st = tree::Tree(*this, *r, key_order(dbi)).get(key, data);  // no cursor to build: mdb_get's own path
  }
  if (pin_word_) ASPEN_TRY(check_snapshot());
  return st;
}

Status Transaction::put(Dbi dbi, Bytes key, Bytes* data, unsigned flags) {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  using namespace tree::put_flag;
  if (flags & ~(kNoOverwrite | kNoDupData | kReserve | kAppend | kAppendDup)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(check_writable());
  ASPEN_ASSIGN(format::DbRecord* r, record(dbi));
  ASPEN_TRY(before_write(dbi, nullptr));
  tree::Cursor c(*this, *r, key_order(dbi), dup_order(dbi));
  const uint64_t mark = write_mark();
  DbState& state = dbs_[dbi];
  const bool hint = state.appending && !(flags & (kAppend | kAppendDup)) && !dup_order(dbi);
  Status st = guarded([&] { return c.put(key, data, hint ? flags | kAppendHint : flags); });
  state.appending = st.ok() && c.put_past_end();
  after_write(dbi, mark);
  if (!harmless(st.code())) failed_ = true;
  return st;
}

Status Transaction::del(Dbi dbi, Bytes key, const Bytes* data) {
  if (!valid_dbi(dbi, true)) return ASPEN_ERROR(EINVAL);
  ASPEN_TRY(check_writable());
  ASPEN_ASSIGN(format::DbRecord* r, record(dbi));
  tree::Cursor c(*this, *r, key_order(dbi), dup_order(dbi));
  const bool dups = dup_order(dbi) != nullptr;
  Bytes probe = key, value = (dups && data) ? *data : Bytes{};
  Status st = c.get(dups && data ? tree::CursorOp::kGetBoth : tree::CursorOp::kSet, &probe, &value);
  if (!st.ok()) return st;
  ASPEN_TRY(before_write(dbi, nullptr));
  const uint64_t mark = write_mark();
  // The cursor is dropped after the delete: no need to position it on the successor.
  const unsigned flags = (dups && data ? 0 : tree::put_flag::kNoDupData) | tree::put_flag::kNoReposition;
  st = guarded([&] { return c.del(flags); });
  after_write(dbi, mark);
  if (!harmless_delete(st.code())) failed_ = true;
  return st;
}

// --- cursors ----------------------------------------------------------------------------------------

void Transaction::track(DbCursor* cursor) { cursors_[cursor->dbi()].push_back(cursor); }

void Transaction::untrack(DbCursor* cursor) {
  auto& list = cursors_[cursor->dbi()];
  list.erase(std::remove(list.begin(), list.end(), cursor), list.end());
}

Status Transaction::before_write(Dbi dbi, const DbCursor* writer) {
  if (dbs_[dbi].sequence != host_->db_table().slot(dbi).sequence) return ASPEN_ERROR(code::kBadDbi);
  for (DbCursor* c : cursors_[dbi])
    if (c != writer) c->cursor().save_position();
  // Only dirty pages (or a flag change) make a commit write a new meta, as in LMDB: a put that fails before
  // touching anything leaves the transaction clean. The database itself becomes dirty when the write touches
  // its first page (touch_named_record) or in after_write().
  untouched_named_ = (dbi >= format::kCoreDbs && !dbs_[dbi].dirty) ? dbi : 0;
  return ok_status();
}

// LMDB's mdb_cursor_touch for a named database that is not dirty yet: MAIN's path to its record is made
// writable before the database's own pages, so that the commit can rewrite the record in place.
Status Transaction::touch_named_record() {
  const Dbi dbi = std::exchange(untouched_named_, 0);
  ASPEN_TRY(before_write(format::kMainDbi, nullptr));
  tree::Stack path;
  Bytes name = as_bytes(host_->db_table().slot(dbi).name);
  ASPEN_TRY(tree::Tree(*this, dbs_[format::kMainDbi].record, key_order(format::kMainDbi))
                .search(path, name, tree::SearchMode::kKey, true));
  dbs_[dbi].dirty = true;
  return ok_status();
}

}  // namespace aspen::txn
