// ReaderTable: lock.mdb, LMDB 0.9's reader table and writer mutex, byte-compatible on x86-64 Linux (layer: env).
//
// The file (layout in format/lock_file.hpp) holds a header with two process-shared robust mutexes (reader,
// writer), the last committed txnid and a high-water mark of used slots, then one 64-byte slot per reader:
// {txnid, pid, tid}. A read transaction pins its snapshot by writing the snapshot's txnid into its slot; a
// writer may reuse a page freed by txn T only when every live slot's txnid is >= T (oldest_reader()).
//
// Protocol (the same as LMDB's, so LMDB and Aspen processes share one live environment):
//   1. First opener: fcntl F_WRLCK on byte 0, non-blocking. Granted => nobody else has the file open: we are
//      exclusive and (re)initialise it (ftruncate to size if smaller, both mutexes, magic, format, txnid 0,
//      num_readers 0). Refused => wait for F_RDLCK on byte 0 (the exclusive opener holds F_WRLCK until it has
//      initialised everything and calls share()), then check magic (MDB_INVALID) and format
//      (MDB_VERSION_MISMATCH) and take max_readers from the file size.
//   2. Liveness: every process holds F_WRLCK on the byte at offset = its pid while it has the file open.
//      A slot whose pid holds no such lock belongs to a dead process (check_stale).
//   3. Slot claim, under the reader mutex: first slot with pid == 0 among the first num_readers (or the next
//      one, raising num_readers); write pid 0, txnid idle, tid, then num_readers, then pid last, so lock-free
//      readers of the table never see a half-claimed slot as live.
//   4. Writers hold the writer mutex for the whole write transaction.
//   5. Beyond LMDB, reader records and leases. An Aspen reader writes a record (format::ReaderRecord) into the
//      padding of its slot when it pins: the pinned txnid, the time, and its lease (maximum age in ms and/or
//      lag in transactions; zero = none). LMDB never reads, writes or clears those bytes. A writer that needs
//      pages may oust a reader whose lease has expired (oust_expired): it compare-and-swaps the slot's txnid
//      from the pinned snapshot to idle, which frees that snapshot's pages for every writer, LMDB's included
//      (mdb_find_oldest skips idle slots). The reader notices at its next access (pinned() false) and fails
//      with code::kOusted. A slot is ousted only when ALL of these hold, so that an LMDB reader (which never
//      agreed to a lease) is never ousted, even one that inherited a stale Aspen record in a reused slot:
//        - the record is stable (seqlock even), has the magic and names the txnid the slot pins now;
//        - its lease has expired;
//        - the slot's pid holds the lease lock of lock.mdb, F_WRLCK on byte kLeaseLockBase + pid, which only
//          an Aspen process that enabled leases takes (enable_leases) and which no LMDB process ever takes.
//      A compare-and-swap that races with the reader ending its snapshot fails harmlessly. The one spurious
//      case (the reader ends and re-pins the very same txnid between the writer's check and its swap) ousts
//      a fresh snapshot: the reader gets kOusted, never unprotected pages, because it checks the slot itself.
//
// Invariants:
//   - A slot with pid == 0 is free; a slot's txnid is format::kIdleReader when it pins nothing.
//   - num_readers only grows while the file is open (it is reset by the next exclusive opener); only slots
//     below it are ever looked at, and it is clamped to max_readers() because the file may be corrupt.
//   - A slot is written only by the process that owns it (pid), except that check_stale() and a closing owner
//     free it by storing pid = 0.
//   - The mutexes are never left EOWNERDEAD-and-unlocked: after a previous owner died, they are made
//     consistent before anything else, so a crash never makes lock.mdb unusable (ENOTRECOVERABLE).
//
// Memory order: slot and txnid words are accessed with std::atomic_ref. pin_latest()/set_slot_txnid(),
// publish_txnid() and oldest_reader() use sequentially consistent operations: a reader's store of its txnid
// must not be reordered after its re-read of the last txnid (a store-load pair that release/acquire does not
// order), otherwise a writer could miss a reader that pinned a snapshot it is about to recycle (ITS#7970).
//
// Without a file (options.no_lock, i.e. MDB_NOLOCK, or read_only on a read-only file system, where LMDB also
// skips the lock file) the same table lives in anonymous memory of this process only.
//
// Caveat (POSIX locks): closing any other fd of lock.mdb in this process drops our byte-0 and pid locks. Do not
// open lock.mdb a second time in a process that holds a ReaderTable on it: Environment shares one table per
// lock file through the process-wide registry (env/lock_registry.hpp) for that reason.
//
// Fork: a table opened by another process (we are a forked child) never frees slots on close: they are the
// parent's (its pid). Its descriptor may be detached (release_fd) so that closing it does not drop the locks
// of a table the child opened itself on the same file.
//
// Thread-safety: acquire_slot, release_slot, set_slot_txnid, pin_latest, pinned, last_txnid, publish_txnid,
// note_commit, last_commit_pages, oldest_reader, check_stale, enable_leases, oust_expired, summarize, list, lock_writer/unlock_writer and the
// accessors may be called from any thread
// concurrently. A slot must be used by one thread at a time (its owner). open, share, moving and destruction
// must not race with anything else on the same object. unlock_writer must run on the thread that locked.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "format/constants.hpp"
#include "format/lock_file.hpp"
#include "os/file.hpp"
#include "os/mapping.hpp"
#include "os/process.hpp"
#include "util/result.hpp"

namespace aspen::env {

struct ReaderTableOptions {
  unsigned max_readers = format::kDefaultMaxReaders;  // MDB's maxreaders; an existing file's size wins
  bool read_only = false;                             // MDB_RDONLY: tolerate a read-only file system
  bool no_lock = false;                               // MDB_NOLOCK: no lock file, in-process table only
  mode_t mode = 0644;                                 // permissions when the file is created
};

// A reader's lease: a writer that needs pages may oust the reader once its snapshot is older than max_age_ms
// or more than max_lag transactions behind the last commit. 0 = no limit of that kind.
struct ReaderLease {
  uint32_t max_age_ms = 0;
  uint32_t max_lag = 0;
  bool any() const { return max_age_ms != 0 || max_lag != 0; }
};

// Who holds back page reuse, for Environment::health(). Ages are known only for Aspen readers (their record).
struct ReaderSummary {
  uint64_t last_txnid = 0;     // the published last commit
  uint64_t oldest_txnid = 0;   // the oldest pinned snapshot; last_txnid when nothing is pinned
  pid_t oldest_pid = 0;        // its reader (0: none)
  uint64_t oldest_tid = 0;
  int64_t oldest_age_ms = -1;  // -1: unknown (an LMDB reader, or no reader)
  bool oldest_leased = false;  // the oldest reader has a lease
  unsigned pinning = 0;        // slots pinning a snapshot
  unsigned used = 0;           // slots with an owner (pid != 0), pinning or idle
  unsigned stale = 0;          // of those, slots whose process is dead (not cleared yet)
  unsigned high_water = 0;     // num_readers()
  unsigned max_readers = 0;
};

// One live slot, as mdb_reader_list prints it.
struct ReaderInfo {
  unsigned slot;
  pid_t pid;
  uint64_t tid;
  uint64_t txnid;  // format::kIdleReader when the slot pins no snapshot
};

class ReaderTable {
 public:
  ReaderTable() = default;
  ReaderTable(ReaderTable&& other) noexcept;
  ReaderTable& operator=(ReaderTable&& other) noexcept;
  ReaderTable(const ReaderTable&) = delete;
  ReaderTable& operator=(const ReaderTable&) = delete;
  // Frees this process's slots (pid == ours) and closes the file, which drops our fcntl locks.
  // REQUIRES: no thread of this process holds the writer mutex (the unmapped mutex could never be recovered).
  ~ReaderTable();

  // Opens or creates `lock_path` and runs step 1 and 2 of the protocol. Errors: errno of open/fcntl/mmap,
  // EINVAL (max_readers == 0), MDB_INVALID (bad magic or a file too small), MDB_VERSION_MISMATCH (format).
  static Result<ReaderTable> open(const std::string& lock_path, const ReaderTableOptions& options);

  bool valid() const { return map_.valid(); }
  // True while we hold F_WRLCK on byte 0: nobody else has the file open (until share()).
  bool exclusive() const { return exclusive_; }
  // True when the table lives in this process's memory only (no_lock, or read-only file system).
  bool in_process() const { return in_process_; }

  // Downgrades the exclusive lock on byte 0 to shared so that other processes may open the environment
  // (mdb_env_share_locks). The caller publishes the newest txnid first. No-op unless exclusive().
  Status share();

  // Beyond LMDB (Environment::shrink_and_close): takes byte 0 exclusively again, which the kernel grants only
  // when no other process has the environment open; meanwhile new openers wait for it. EBUSY otherwise.
  // share() gives it back. An in-process table (MDB_NOLOCK) has no lock: the caller vouches.
  Status claim_exclusive();

  // Locks the writer mutex. Returns true when its previous owner died holding it: the mutex has already been
  // made consistent and dead readers cleared; the caller must reload the newest meta and publish_txnid() it
  // (and fail with MDB_PANIC if the dead owner was a transaction of this process). REQUIRES: this thread does
  // not hold it already (a second lock from the same thread deadlocks, as in LMDB).
  Result<bool> lock_writer();
  // REQUIRES: the calling thread holds the writer mutex.
  void unlock_writer();

  // Claims a free slot for the calling thread, idle (txnid kIdleReader). When the table is full, clears
  // stale slots once and retries; MDB_READERS_FULL if still full.
  Result<unsigned> acquire_slot();
  // Frees `slot`. REQUIRES: the slot was acquired by this process and is not used by another thread.
  void release_slot(unsigned slot);
  // Stores `txnid` (or kIdleReader) in `slot`. REQUIRES: the caller owns the slot.
  void set_slot_txnid(unsigned slot, uint64_t txnid);
  // Pins the newest published snapshot in `slot` and returns its txnid: stores last_txnid() in the slot until
  // a re-read of last_txnid() agrees (LMDB's ITS#7970 loop). REQUIRES: the caller owns the slot.
  uint64_t pin_latest(unsigned slot);
  // The same, and records the pin (time `now_ms`, `lease`) in the slot's Aspen record (protocol step 5).
  // A lease takes effect only once enable_leases() succeeded. REQUIRES: the caller owns the slot.
  uint64_t pin_latest(unsigned slot, uint64_t now_ms, const ReaderLease& lease);
  // True while `slot` still pins `txnid`: false once a writer ousted it. Orders every read of the map made
  // before it (an acquire fence), so a true answer means those reads saw the snapshot intact.
  bool pinned(unsigned slot, uint64_t txnid) const;
  // The slot's txnid word, for a transaction that checks pinned() itself.
  uint64_t* pin_word(unsigned i) const { return &slot(i)->txnid; }

  // Takes the lease lock (protocol step 5) for this process; idempotent. Until then no reader of this process
  // is ever ousted. Errors: those of fcntl.
  Status enable_leases();
  bool leases_enabled() const { return leases_enabled_.load(std::memory_order_acquire); }
  // Ousts every reader pinning a txnid below `below` whose lease has expired at `now_ms` given the last
  // commit `last_txnid`. Returns how many were ousted. REQUIRES: the writer mutex is held.
  int oust_expired(uint64_t last_txnid, uint64_t below, uint64_t now_ms);
  // Counts slots and finds the oldest reader, testing the liveness of other processes (F_GETLK).
  ReaderSummary summarize(uint64_t now_ms) const;

  // The last committed txnid as published by the writer (mtb_txnid).
  uint64_t last_txnid() const;
  // Publishes the txnid of a commit. REQUIRES: the writer mutex is held (or the table is exclusive).
  void publish_txnid(uint64_t txnid);
  // Beyond LMDB: notes that commit `txnid` wrote `pages` pages, in the header's padding (format/lock_file.hpp).
  // REQUIRES: the writer mutex is held (or the table is exclusive).
  void note_commit(uint64_t txnid, uint64_t pages);
  // The pages written by the last commit, when an Aspen writer noted it: false when the note describes
  // another commit (a liblmdb writer's, or one being noted right now).
  bool last_commit_pages(uint64_t* pages) const;
  // min(upper_bound, txnid of every live slot): pages freed by transactions below this are reusable.
  uint64_t oldest_reader(uint64_t upper_bound) const;

  // mdb_reader_check: frees every slot of a process (other than ours) that no longer holds its pid lock.
  // Returns the number of slots freed. Fails only when the reader mutex cannot be locked.
  Result<int> check_stale();

  // Calls fn(const ReaderInfo&) for every live slot (pid != 0) below num_readers(), lock-free.
  template <class Fn>
  void list(Fn&& fn) const {
    unsigned n = num_readers();
    for (unsigned i = 0; i < n; ++i) {
      ReaderInfo info = slot_info(i);
      if (info.pid != 0) fn(info);
    }
  }
  // A snapshot of slot `i` (pid 0 when free). REQUIRES: i < max_readers().
  ReaderInfo slot_info(unsigned i) const;

  unsigned max_readers() const { return max_readers_; }
  // Slots ever used since the file was initialised (mti_numreaders), at most max_readers().
  unsigned num_readers() const;

  // The lock file's identity (in-process tables have none: ENOENT).
  Result<os::FileId> identity() const;
  // True when this process opened the table (false in a forked child that inherited it).
  bool opened_here() const { return !os::forked_since(opened_by_); }
  // Detaches the descriptor: close() will not close it (the caller owns it now). For a forked child, whose
  // closing of an inherited descriptor would drop the locks of its own table on the same file.
  int release_fd() { return file_.release(); }

  // Beyond LMDB's ranges: the byte range of lock.mdb whose byte kLeaseLockBase + pid an Aspen process locks
  // when it enables leases. LMDB locks byte 0 and byte pid only (pid < 2^22 on Linux).
  static constexpr uint64_t kLeaseLockBase = uint64_t{1} << 32;

 private:
  static Result<ReaderTable> open_in_process(unsigned max_readers);
  Status map_and_setup(uint64_t size);
  Status initialise_header();
  Status validate_header() const;
  Status take_pid_lock();
  Status ensure_pid_lock();
  Status lock_readers();
  void unlock_readers();
  unsigned claim_free_slot();
  Result<int> clear_stale(bool reader_mutex_held);
  int clear_pid_slots(pid_t dead, unsigned from);
  bool pid_alive(pid_t pid) const;
  bool lease_holder(pid_t pid) const;
  void release_own_slots();
  void clear_record(unsigned i);
  bool read_record(unsigned i, format::ReaderRecord* out) const;
  void close();

  format::LockHeader* header() const { return reinterpret_cast<format::LockHeader*>(map_.data()); }
  format::ReaderSlot* slot(unsigned i) const {
    return reinterpret_cast<format::ReaderSlot*>(map_.data() + format::kLockHeaderSize) + i;
  }
  pid_t slot_pid(unsigned i) const;

  os::File file_;
  os::Mapping map_;
  unsigned max_readers_ = 0;
  bool exclusive_ = false;
  bool in_process_ = false;
  pid_t pid_locked_ = 0;  // the pid whose liveness byte we hold (0: none); differs from os::pid() after fork
  pid_t opened_by_ = 0;   // the process that opened the table
  std::atomic<bool> leases_enabled_{false};
};

}  // namespace aspen::env
