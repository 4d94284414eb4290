// Aspen's C++ API: an LMDB 0.9-compatible embedded key-value store (public header).
//
// Types (all in namespace aspen):
//   Env      an environment: data.mdb + lock.mdb, opened once per process, shared by threads and processes.
//   TxnRef   a view of a transaction; Txn owns one (abort on destruction); ReadTxn / WriteTxn say which kind.
//   Dbi      a database handle (named or the main database), valid for the environment's lifetime.
//   CursorRef / Cursor   a position in one database; Cursor owns it. Iterate with range-for.
// Every call returns Status or Result<T>; error codes are LMDB's (code::kNotFound ...) or errno values, and
// error_message() gives mdb_strerror's text. Values returned by reads point into the map (zero-copy) and stay
// valid until the transaction ends or the same transaction writes.
//
// Thread-safety (LMDB's rules): an Env may be shared by threads; a transaction and its cursors are used by
// one thread at a time; one write transaction at a time per environment (others wait); read transactions
// never block and are never blocked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "aspen/error.hpp"
#include "aspen/result.hpp"

namespace aspen {

namespace env { class Environment; }
namespace txn { class Transaction; class DbCursor; }

using Bytes = std::span<const std::byte>;
using Dbi = unsigned int;

inline Bytes bytes_of(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }
inline std::string_view string_of(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Environment flags (MDB_*): see lmdb.h for each one's durability meaning.
enum EnvFlags : unsigned {
  kFixedMap = 0x01, kNoSubdir = 0x4000, kNoSync = 0x10000, kReadOnly = 0x20000, kNoMetaSync = 0x40000,
  kWriteMap = 0x80000, kMapAsync = 0x100000, kNoTls = 0x200000, kNoLock = 0x400000, kNoReadahead = 0x800000,
  kNoMemInit = 0x1000000,
  // Beyond LMDB 0.9 (LMDB 1.0's MDB_PREVSNAPSHOT): open the older meta page's snapshot, for recovery by hand
  // when the newest commit is damaged. Cleared by the first commit, which replaces the newest meta. A writable
  // open must be the environment's only user (EBUSY otherwise); MDB_INVALID when the older meta is not valid.
  kPreviousSnapshot = 0x2000000,
};
// Database flags (mdb_dbi_open).
enum DbFlags : unsigned {
  kReverseKey = 0x02, kDupSort = 0x04, kIntegerKey = 0x08, kDupFixed = 0x10, kIntegerDup = 0x20,
  kReverseDup = 0x40, kCreate = 0x40000,
};
// Write flags (mdb_put / mdb_cursor_put).
enum PutFlags : unsigned {
  kNoOverwrite = 0x10, kNoDupData = 0x20, kCurrent = 0x40, kReserve = 0x10000, kAppend = 0x20000,
  kAppendDup = 0x40000, kMultiple = 0x80000,
};
inline constexpr unsigned kCopyCompact = 0x01;

// Cursor operations, with LMDB's MDB_cursor_op values.
enum class CursorOp : unsigned {
  kFirst = 0, kFirstDup, kGetBoth, kGetBothRange, kGetCurrent, kGetMultiple, kLast, kLastDup, kNext,
  kNextDup, kNextMultiple, kNextNoDup, kPrev, kPrevDup, kPrevNoDup, kSet, kSetKey, kSetRange, kPrevMultiple,
};

struct Stat {
  uint32_t page_size = 0;
  uint32_t depth = 0;
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t entries = 0;
};

struct EnvInfo {
  void* map_address = nullptr;
  uint64_t map_size = 0;
  uint64_t last_page = 0;
  uint64_t last_txnid = 0;
  unsigned max_readers = 0;
  unsigned num_readers = 0;
};

struct ReaderInfo {
  int pid;
  uint64_t thread;
  uint64_t txnid;  // ~0 when the slot holds no snapshot
};

// A key order: returns <0, 0, >0. `context` is passed back untouched.
using CompareFn = int (*)(Bytes a, Bytes b, const void* context);

struct Entry {
  Bytes key;
  Bytes value;
  std::string_view key_string() const { return string_of(key); }
  std::string_view value_string() const { return string_of(value); }
};

struct EnvOptions {
  uint64_t map_size = 0;      // 0: LMDB's default (1 MiB) or the file's own size
  unsigned max_readers = 126;
  unsigned max_dbs = 0;       // named databases allowed
  unsigned flags = 0;         // EnvFlags
  unsigned mode = 0644;
  bool previous_snapshot = false;  // the same as kPreviousSnapshot in flags
  // Beyond LMDB: a lease for read transactions (Env::set_reader_lease). 0 = no limit of that kind.
  uint32_t reader_lease_ms = 0;
  uint32_t reader_lease_lag = 0;
  // Beyond LMDB: a durable commit pays one fdatasync instead of two (Env::set_single_flush_commit).
  bool single_flush_commit = false;
};

// Beyond LMDB: what operators watch (Env::health, `aspen stat --health`): who holds back page reuse, file and
// map use, and the size of the last commit.
// What Env::shrink did: the data file's size before and after.
struct ShrinkResult {
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
};

struct Health {
  uint64_t last_txnid = 0;        // the newest committed transaction
  uint64_t oldest_txnid = 0;      // the oldest snapshot a reader pins; last_txnid when none
  uint64_t reader_lag = 0;        // last_txnid - oldest_txnid
  int oldest_pid = 0;             // process of the oldest reader (0: no reader pins a snapshot)
  uint64_t oldest_thread = 0;
  int64_t oldest_age_ms = -1;     // how long it has pinned it; -1 unknown (a liblmdb reader, or none)
  bool oldest_leased = false;     // it has a reader lease (a writer may oust it)
  unsigned readers_pinning = 0;   // reader slots pinning a snapshot
  unsigned slots_used = 0;        // reader slots with an owner, pinning or idle
  unsigned stale_slots = 0;       // slots of dead processes not cleared yet (reader_check clears them)
  unsigned slots_high_water = 0;  // slots ever used since lock.mdb was initialised
  unsigned max_readers = 0;
  bool pages_known = false;       // the free list was read (false e.g. on a thread with a read txn open)
  uint64_t free_pages = 0;        // pages listed in the free list
  uint64_t pages_held_back = 0;   // of those, pages that readers keep from reuse
  uint64_t page_size = 0;
  uint64_t pages_used = 0;        // pages of the newest snapshot's file (mdb_stat's "Number of pages used")
  uint64_t map_size = 0;          // bytes, as EnvInfo::map_size (mdb_stat -e "Map size")
  bool last_commit_known = false; // the last commit was made by an Aspen writer, which notes its size
  uint64_t last_commit_pages = 0; // pages that commit wrote
};

class TxnRef;
class Txn;
class ReadTxn;
class WriteTxn;
class CursorRef;
class Cursor;

class Env {
 public:
  Env();  // created, not open (mdb_env_create)
  ~Env();
  Env(Env&&) noexcept;
  Env& operator=(Env&&) noexcept;

  // Creates, configures and opens in one step. `path` is a directory (or, with kNoSubdir, the data file).
  static Result<Env> open(const std::string& path, const EnvOptions& options = {});

  Status set_map_size(uint64_t bytes);
  Status set_max_readers(unsigned readers);
  Status set_max_dbs(unsigned dbs);
  Status open(const char* path, unsigned flags, unsigned mode = 0644);
  void close();
  bool is_open() const;

  Status set_flags(unsigned flags, bool on);
  unsigned flags() const;
  const std::string& path() const;
  int fd() const;
  unsigned max_readers() const;
  static int max_key_size() { return 511; }
  Result<Stat> stat() const;
  Result<EnvInfo> info() const;
  Status sync(bool force = true);
  Status copy(const char* path, unsigned flags = 0);
  Status copy_fd(int fd, unsigned flags = 0);
  // Beyond LMDB: gives the pages that deletes freed back to the file system. Opens the environment at `path`,
  // rewrites its data file compacted (what copy(kCopyCompact) writes) and swaps it in atomically (a crash
  // leaves the old file or the new one, each whole). EBUSY while any other process, or another Env of this
  // one, has the environment open; openers wait meanwhile.
  static Result<ShrinkResult> shrink(const std::string& path, const EnvOptions& options = {});
  Result<int> reader_check();
  void reader_list(const std::function<void(const ReaderInfo&)>& fn) const;
  // Beyond LMDB: a lease for the read transactions begun from now on. A writer that needs pages ousts a reader
  // whose snapshot is older than `max_age_ms` or more than `max_lag` commits behind; the reader's next
  // operation answers code::kOusted (and values it returned before must no longer be used). 0 = no limit of
  // that kind; (0, 0), the default, = no lease. Only Aspen readers that set a lease are ever ousted, never a
  // liblmdb reader sharing the environment. Before or after open.
  Status set_reader_lease(uint32_t max_age_ms, uint32_t max_lag = 0);
  // Beyond LMDB, opt-in: a durable commit pays one fdatasync instead of two. The commit writes its pages, then
  // its meta page carrying a manifest (the page runs it wrote and their CRC-32C), then syncs once. After a
  // crash, the first process to open the environment re-reads the newest meta's pages; if they do not match
  // (the power went before they all reached the disk), it falls back to the previous commit, which was never
  // acknowledged as lost, and rewrites the torn meta so that liblmdb agrees. Caveats:
  //   - After a power loss, open the environment with Aspen (writable) before liblmdb: liblmdb checks no
  //     manifest and would trust a torn meta. Live sharing with liblmdb is unaffected.
  //   - Relies on 512-byte sector writes being atomic (docs/COMMIT.md, assumption M4).
  //   - Ignored (two flushes, or none, as the flags say) under kWriteMap, kNoSync and kNoMetaSync, and for a
  //     commit whose page runs do not fit in the meta page (237 runs at 4 KiB pages) or that writes more
  //     than 16 MiB.
  // Not stored in the file; may be set before or after open, and applies from the next commit.
  void set_single_flush_commit(bool on);
  // Beyond LMDB: reader lag, the oldest reader, slot use and pages held back.
  Result<Health> health() const;
  void set_user_context(void* ctx);
  void* user_context() const;

  Result<ReadTxn> begin_read();
  Result<WriteTxn> begin_write();
  // General form of mdb_txn_begin: `parent` for a nested write transaction, flags kReadOnly.
  Result<Txn> begin(TxnRef* parent, unsigned flags);

  env::Environment* native() const { return impl_.get(); }

 private:
  std::unique_ptr<env::Environment> impl_;
};

// A transaction, not owned. All operations of LMDB's mdb_txn_*, mdb_dbi_*, mdb_get/put/del.
class TxnRef {
 public:
  TxnRef() = default;
  explicit TxnRef(txn::Transaction* impl) : impl_(impl) {}

  uint64_t id() const;
  bool read_only() const;
  Status commit();
  void abort();
  void reset();
  Status renew();

  // Opens (name == nullptr: the main database) with DbFlags; kCreate creates a missing named database.
  Result<Dbi> open_db(const char* name, unsigned flags = 0);
  Result<Dbi> open_db(const std::string& name, unsigned flags) { return open_db(name.c_str(), flags); }
  Result<Stat> stat(Dbi dbi) const;
  Result<unsigned> db_flags(Dbi dbi) const;
  Status drop(Dbi dbi, bool del);
  Status set_compare(Dbi dbi, CompareFn fn, const void* context = nullptr);
  Status set_dupsort(Dbi dbi, CompareFn fn, const void* context = nullptr);

  Result<Bytes> get(Dbi dbi, Bytes key) const;
  Result<std::string_view> get(Dbi dbi, std::string_view key) const;
  Status put(Dbi dbi, Bytes key, Bytes value, unsigned flags = 0);
  Status put(Dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0) {
    return put(dbi, bytes_of(key), bytes_of(value), flags);
  }
  // mdb_put in its general form: `value` is in/out (kReserve returns the space; on kKeyExist the old value).
  Status put_raw(Dbi dbi, Bytes key, Bytes* value, unsigned flags);
  // Reserves `size` bytes for `key` and returns where to write them (kReserve).
  Result<std::span<std::byte>> reserve(Dbi dbi, Bytes key, size_t size, unsigned flags = 0);
  Status del(Dbi dbi, Bytes key);
  Status del(Dbi dbi, std::string_view key) { return del(dbi, bytes_of(key)); }
  Status del(Dbi dbi, Bytes key, Bytes value);  // one duplicate of a DUPSORT database

  Result<Cursor> cursor(Dbi dbi);

  txn::Transaction* native() const { return impl_; }
  explicit operator bool() const { return impl_ != nullptr; }

 protected:
  txn::Transaction* impl_ = nullptr;
};

// An owned transaction: aborted on destruction unless committed.
class Txn : public TxnRef {
 public:
  Txn() = default;
  explicit Txn(txn::Transaction* impl) : TxnRef(impl) {}
  ~Txn();
  Txn(Txn&& other) noexcept : TxnRef(std::exchange(other.impl_, nullptr)) {}
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  Status commit();
  void abort();
  // Gives up ownership (the C ABI hands the pointer out as MDB_txn*).
  txn::Transaction* release() { return std::exchange(impl_, nullptr); }
};

class ReadTxn : public Txn {
 public:
  using Txn::Txn;
  ReadTxn(Txn&& t) noexcept : Txn(std::move(t)) {}
};

class WriteTxn : public Txn {
 public:
  using Txn::Txn;
  WriteTxn(Txn&& t) noexcept : Txn(std::move(t)) {}
};

// A cursor, not owned.
class CursorRef {
 public:
  CursorRef() = default;
  explicit CursorRef(txn::DbCursor* impl) : impl_(impl) {}

  // mdb_cursor_get: `key`/`value` in/out as MDB_val.
  Status get(CursorOp op, Bytes* key, Bytes* value);
  Result<Entry> get(CursorOp op);
  Result<Entry> seek(Bytes key);         // kSetRange: first key >= key
  Result<Entry> find(Bytes key);         // kSetKey: exactly key
  Status put(Bytes key, Bytes* value, unsigned flags);
  Status put(Bytes key, Bytes value, unsigned flags = 0) { return put(key, &value, flags); }
  Status del(unsigned flags = 0);
  Result<size_t> count();
  // MDB_MULTIPLE (DUPFIXED): stores `*count` values of `value_size` bytes packed in `values` (a count of 0
  // stores one, as LMDB does); `*count` comes back as the number stored. On kKeyExist with kNoOverwrite,
  // `*existing` (when given) is the key's first value, as mdb_cursor_put answers it.
  Status put_multiple(Bytes key, Bytes values, size_t value_size, size_t* count, unsigned flags = 0,
                      Bytes* existing = nullptr);

  // Range-for over the values of one key of a DUPSORT database, in order:
  //   for (Bytes value : cursor.values_of(key)) ...
  class ValueRange;
  ValueRange values_of(Bytes key);
  // DUPFIXED: the values of the current key a page at a time (kGetMultiple, then kNextMultiple); each block
  // packs fixed-size values. kNotFound after the last block.
  Result<Bytes> first_block(Bytes key);
  Result<Bytes> next_block();
  Status renew(TxnRef txn);
  Dbi dbi() const;
  txn::Transaction* txn() const;

  txn::DbCursor* native() const { return impl_; }

  // Range-for over the database from the first key: for (Entry e : cursor) ...
  class Iterator {
   public:
    Iterator() = default;
    // Positions `cursor` on the first item.
    explicit Iterator(CursorRef* cursor);
    const Entry& operator*() const { return entry_; }
    const Entry* operator->() const { return &entry_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return done_ == other.done_; }
    // The error that stopped the iteration early, if any (kNotFound ends it normally).
    const Status& status() const { return status_; }

   private:
    void settle(Status st);
    CursorRef* cursor_ = nullptr;
    Entry entry_;
    Status status_;
    bool done_ = true;
  };
  Iterator begin();
  Iterator end() { return Iterator(); }

 protected:
  txn::DbCursor* impl_ = nullptr;
};

class CursorRef::ValueRange {
 public:
  class Iterator {
   public:
    Iterator() = default;
    Iterator(CursorRef* cursor, Bytes value) : cursor_(cursor), value_(value), done_(false) {}
    Bytes operator*() const { return value_; }
    Iterator& operator++() {
      Bytes key;
      if (!cursor_->get(CursorOp::kNextDup, &key, &value_).ok()) done_ = true;
      return *this;
    }
    bool operator==(const Iterator& other) const { return done_ == other.done_; }

   private:
    CursorRef* cursor_ = nullptr;
    Bytes value_;
    bool done_ = true;
  };
  ValueRange(CursorRef* cursor, Bytes key) : cursor_(cursor), key_(key) {}
  Iterator begin() {
    Bytes key = key_, value;
    if (!cursor_->get(CursorOp::kSet, &key, &value).ok()) return Iterator();
    return Iterator(cursor_, value);
  }
  Iterator end() { return Iterator(); }

 private:
  CursorRef* cursor_;
  Bytes key_;
};

// An owned cursor, closed on destruction. When its write transaction ends first, the cursor is detached:
// every operation then returns EINVAL, and destroying it is still safe.
class Cursor : public CursorRef {
 public:
  Cursor() = default;
  explicit Cursor(txn::DbCursor* impl) : CursorRef(impl) {}
  ~Cursor();
  Cursor(Cursor&& other) noexcept : CursorRef(std::exchange(other.impl_, nullptr)) {}
  Cursor& operator=(Cursor&& other) noexcept;
  void close();
  txn::DbCursor* release() { return std::exchange(impl_, nullptr); }
};

// LMDB's version string for this library ("LMDB 0.9.70: Aspen ...") and its numbers.
const char* version(int* major, int* minor, int* patch);

}  // namespace aspen
