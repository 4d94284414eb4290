// Environment: one open LMDB environment, data.mdb + lock.mdb (layer: env).
//
// Owns the data file, its memory map, the reader table and the database handle table, and implements the
// services transactions need (txn::EnvHost): pinning snapshots, the writer lock, meta-page writes, syncs and
// dirty-page buffers. Lifecycle mirrors LMDB: construct (mdb_env_create), configure (map size, readers,
// dbs), open, use, close. Meta pages are chosen and validated by meta.cpp; copies are made by copy.cpp.
//
// Thread-safety: configuration, open and close are not thread-safe. Once open, transactions may be begun
// from any thread; read transactions run concurrently without locks; write transactions serialise on the
// writer mutex in lock.mdb (shared with other processes, LMDB's included). set_reader_lease and health may
// be called from any thread.
//
// Many processes (beyond LMDB, see env/reader_table.hpp and env/lock_registry.hpp):
//   - Environments of one process on the same lock file share one ReaderTable (LockRegistry), so opening an
//     environment twice in a process is safe; each Environment frees only the reader slots it claimed.
//   - A thread's reader slot is freed when the thread exits (a TLS destructor, as in LMDB).
//   - Fork: an Environment is usable only in the process that opened it. In a forked child every begin,
//     renew, commit and operation of an inherited transaction answers MDB_PANIC (poisoned()), the inherited
//     reader slots and writer mutex are left alone, and close() is safe; the child opens its own Environment.
//   - Writer death: when the writer mutex's owner died, begin_write re-reads the metas and publishes the
//     newest txnid; the dead transaction is simply gone. If the dead owner was a write transaction of this
//     very Environment (a thread that exited inside it), the Environment is poisoned (MDB_PANIC), as in LMDB.
//   - A writer that needs pages and finds a reader holding back reuse clears dead processes' slots and
//     ousts readers whose lease expired (at most every kReclaimIntervalMs): oldest_reader().
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "env/reader_table.hpp"
#include "format/meta.hpp"
#include "format/meta_seal.hpp"
#include "os/file.hpp"
#include "os/mapping.hpp"
#include "os/process.hpp"
#include "txn/env_host.hpp"
#include "txn/transaction.hpp"

namespace aspen::env {

// LMDB's environment flags.
namespace env_flag {
inline constexpr unsigned kFixedMap = 0x01;
inline constexpr unsigned kNoSubdir = 0x4000;
inline constexpr unsigned kNoSync = 0x10000;
inline constexpr unsigned kReadOnly = 0x20000;
inline constexpr unsigned kNoMetaSync = 0x40000;
inline constexpr unsigned kWriteMap = 0x80000;
inline constexpr unsigned kMapAsync = 0x100000;
inline constexpr unsigned kNoTls = 0x200000;
inline constexpr unsigned kNoLock = 0x400000;
inline constexpr unsigned kNoReadahead = 0x800000;
inline constexpr unsigned kNoMemInit = 0x1000000;
// Beyond LMDB 0.9 (LMDB 1.0's MDB_PREVSNAPSHOT, same value): open the snapshot of the older meta page instead
// of the newest one, for recovery by hand. Only at open; cleared by the first successful commit. A writable
// open must be the only user of the environment (EBUSY otherwise).
inline constexpr unsigned kPreviousSnapshot = 0x2000000;
inline constexpr unsigned kChangeable = kNoSync | kNoMetaSync | kMapAsync | kNoMemInit;
inline constexpr unsigned kChangeless = kFixedMap | kNoSubdir | kReadOnly | kWriteMap | kNoTls | kNoLock | kNoReadahead;
}  // namespace env_flag

// MDB_envinfo.
struct EnvInfo {
  void* map_address = nullptr;
  uint64_t map_size = 0;
  uint64_t last_page = 0;
  uint64_t last_txnid = 0;
  unsigned max_readers = 0;
  unsigned num_readers = 0;
};

// Readers and reuse, for `aspen stat --health` (Environment::health).
struct EnvHealth {
  uint64_t last_txnid = 0;        // the newest committed transaction
  uint64_t oldest_txnid = 0;      // the oldest snapshot a reader pins; last_txnid when none
  uint64_t reader_lag = 0;        // last_txnid - oldest_txnid: commits the oldest reader has not seen
  pid_t oldest_pid = 0;           // the process of that reader (0: no reader pins a snapshot)
  uint64_t oldest_tid = 0;        // its thread
  int64_t oldest_age_ms = -1;     // how long it has pinned it; -1 unknown (a liblmdb reader, or none)
  bool oldest_leased = false;     // it has a reader lease, so a writer may oust it
  unsigned readers_pinning = 0;   // slots pinning a snapshot now
  unsigned slots_used = 0;        // slots with an owner, pinning or idle
  unsigned stale_slots = 0;       // slots of dead processes not cleared yet
  unsigned slots_high_water = 0;  // slots ever used since lock.mdb was initialised
  unsigned max_readers = 0;
  bool pages_known = false;       // false when the free list could not be read (see health())
  uint64_t free_pages = 0;        // pages listed in FREE_DBI
  uint64_t pages_held_back = 0;   // of those, pages readers keep from reuse (records oldest <= K < last)
  uint64_t page_size = 0;
  uint64_t pages_used = 0;        // last_page + 1 of the newest snapshot (mdb_stat's "Number of pages used")
  uint64_t map_size = 0;          // bytes, as EnvInfo::map_size (mdb_stat -e "Map size")
  bool last_commit_known = false; // the last commit was noted by an Aspen writer (not by liblmdb)
  uint64_t last_commit_pages = 0; // pages that commit wrote
};

class Environment final : public txn::EnvHost {
 public:
  // A writer looks for dead readers and expired leases at most this often (ms), and only when a reader holds
  // back the pages it could reuse.
  static constexpr uint64_t kReclaimIntervalMs = 20;

  Environment();
  ~Environment() override;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Configuration. set_map_size also works on an open environment with no transaction active.
  Status set_map_size(uint64_t bytes);
  Status set_max_readers(unsigned readers);
  Status set_max_dbs(unsigned dbs);
  // Beyond LMDB: the lease of read transactions begun from now on (0 = no limit of that kind; both 0 = no
  // lease, the default). A writer that needs pages ousts a reader whose snapshot is older than max_age_ms or
  // more than max_lag commits behind; the reader's next operation fails with code::kOusted. Works before or
  // after open. Errors: those of fcntl when the lease lock cannot be taken.
  Status set_reader_lease(uint32_t max_age_ms, uint32_t max_lag);
  ReaderLease reader_lease() const;
  // Beyond LMDB: durable commits pay one fdatasync instead of two, their meta carrying a manifest of the pages
  // they wrote, checked at the next first open (docs/COMMIT.md §7). Ignored under MDB_WRITEMAP, MDB_NOSYNC and
  // MDB_NOMETASYNC. Not stored in the file. May be changed at any time; applies from the next commit.
  void set_single_flush_commit(bool on) { single_flush_.store(on, std::memory_order_relaxed); }

  // Opens (or creates) the environment at `path`: a directory holding data.mdb and lock.mdb, or with
  // MDB_NOSUBDIR the data file itself (lock file: path + "-lock").
  Status open(const std::string& path, unsigned flags, mode_t mode);
  bool is_open() const { return data_file_.valid(); }
  void close();

  Status set_flags(unsigned flags, bool on);
  unsigned flags() const { return flags_ & (env_flag::kChangeable | env_flag::kChangeless); }
  const std::string& path() const { return path_; }
  int fd() const { return data_file_.fd(); }
  unsigned max_readers() const { return readers_ && readers_->valid() ? readers_->max_readers() : max_readers_; }
  unsigned max_dbs() const { return max_dbs_; }

  Result<txn::TreeStat> stat();
  Result<EnvInfo> info();
  Status sync(bool force);
  Status copy_to(int fd, bool compact);
  // Beyond LMDB: rewrites the data file compacted (what copy_to(fd, true) writes) and swaps it in with
  // rename(2), then closes. A crash leaves the old file or the new one, each whole. Nothing else may map the
  // file meanwhile, so this must be the only Environment of this process on the lock file (EBUSY otherwise),
  // no other process may have it open (EBUSY; byte 0 of the lock file is held exclusively, so openers
  // wait), and REQUIRES: no transaction of this Environment is open. `*bytes_before`/`*bytes_after` are the
  // data file's sizes.
  Status shrink_and_close(uint64_t* bytes_before, uint64_t* bytes_after);
  Result<int> reader_check();
  void reader_list(const std::function<void(const ReaderInfo&)>& fn) const;
  ReaderTable& readers() { return readers_ ? *readers_ : no_table(); }
  // Beyond LMDB: reader lag, the oldest reader, slot use, the pages readers hold back, file and map use and
  // the size of the last commit. Begins a read
  // transaction of its own to read the free list (pages_known = false when that fails, e.g. MDB_BAD_RSLOT on a
  // thread that has a read transaction open without MDB_NOTLS). EINVAL when not open.
  Result<EnvHealth> health();

  void* user_context = nullptr;
  // Kept for the C ABI (src/abi): the MDB_env handle that owns this environment (mdb_txn_env answers it) and
  // the mdb_env_set_assert callback, stored but never called (Aspen reports failures as values).
  void* abi_handle = nullptr;
  void* assert_callback = nullptr;

  // txn::EnvHost
  const txn::Geometry& geometry() const override { return geometry_; }
  std::byte* map() const override { return map_.data(); }
  uint64_t mapped_pages() const override;
  const os::File& data_file() const override { return data_file_; }
  txn::DbTable& db_table() override { return dbs_; }
  Result<txn::Snapshot> pin_snapshot(unsigned slot) override;
  void unpin_snapshot(unsigned slot, bool keep_slot) override;
  uint64_t oldest_reader(uint64_t if_none) override;
  Result<format::Meta> begin_write() override;
  void end_write() override;
  Status reserve_pages(uint64_t page_count) override;
  Result<WriteView> write_view(uint64_t page_count) override;  // write_view.cpp
  Status commit_meta(const format::Meta& meta, uint64_t pages_written, const txn::CommitManifest* manifest) override;
  Status sync_data(bool force) override;
  bool single_flush_commit() const override;
  bool poisoned() const override { return poisoned_.load(std::memory_order_acquire) || forked(); }
  std::byte* take_buffer(unsigned pages) override;
  void give_buffer(std::byte* buffer, unsigned pages) override;

 private:
  // copy.cpp: MDB_CP_COMPACT, as LMDB's mdb_env_copyfd1.
  Status copy_compact(txn::Transaction& txn, const format::Meta& snapshot, const os::File& out);
  Result<uint64_t> free_page_count(txn::Transaction& txn);
  Status open_files(const std::string& path, mode_t mode);
  Status load_or_create_meta();
  Status map_file();
  Status create_new(size_t page_size);
  // One meta page as read from the file (as much of the page as the file holds) and what it says.
  struct MetaImage {
    std::vector<std::byte> bytes;
    format::Meta meta{};
    format::SealState seal = format::SealState::kUnsealed;
  };
  // Both meta pages, each a valid meta or why not (meta.cpp: judged_metas).
  struct MetaPair {
    Result<MetaImage> slot[format::kNumMetas];
  };
  // What the manifest check last found for a meta page, so that it reads the pages once per meta.
  struct ManifestVerdict {
    bool known = false;
    uint64_t txnid = 0;
    uint64_t seal = 0;
    bool whole = false;
  };
  Result<MetaImage> read_meta_image(int which) const;
  Result<format::Meta> read_meta(int which) const;
  Result<MetaPair> judged_metas() const;
  Result<bool> manifest_holds(int which, const MetaImage& image) const;
  Result<format::Meta> newest_meta() const;
  Status repair_torn_meta(const MetaPair& pair);
  Status write_meta(const format::Meta& meta, const txn::CommitManifest* manifest);
  Status refresh_file_pages(uint64_t needed) const;
  // Maps at least `bytes` of the file inside the reservation (never moving the map); MDB_MAP_FULL beyond
  // the bound, MDB_MAP_RESIZED when another process grew the file past our reservation. Either error carries
  // the bound, in pages, as its page().
  Status grow_map(uint64_t bytes, int beyond_reservation_code);
  uint64_t map_size() const { return map_size_.load(std::memory_order_acquire); }
  // A thread's reader slot, kept across its read transactions (LMDB's TLS slot) and freed when the thread
  // exits; the environment owns the records so that close() can free them.
  struct ThreadSlot {
    Environment* env;
    unsigned slot;
  };
  static void release_thread_slot(void* record);
  ThreadSlot* thread_slot() const;
  void set_thread_slot(unsigned slot);
  void release_buffers();
  static ReaderTable& no_table();
  Result<unsigned> slot_for_new_reader(bool* claimed);
  bool copy_pinned_meta(uint64_t txnid, format::Meta* out) const;
  void abandon_pin(unsigned slot, bool claimed);
  bool forked() const { return os::fork_generation() != fork_generation_; }
  void pages_held_back(EnvHealth* health);

  std::string path_;
  unsigned flags_ = 0;
  // The map: a reservation of address space, of which the first map_size_ bytes map the file. The user's
  // mapsize (mdb_env_set_mapsize) is the bound; without one the map grows up to the reservation.
  std::atomic<uint64_t> map_size_{0};
  uint64_t map_bound_ = 0;
  bool map_size_set_ = false;
  std::mutex map_mutex_;
  unsigned max_readers_ = format::kDefaultMaxReaders;
  unsigned max_dbs_ = format::kCoreDbs;
  txn::Geometry geometry_;
  txn::DbTable dbs_;
  os::File data_file_;
  os::Mapping map_;
  os::Mapping write_view_;  // writable view of the file for the writer's commits (write_view.cpp)
  enum class ViewState { kUnknown, kUsable, kRefused };
  ViewState write_view_state_ = ViewState::kUnknown;  // whether the file system allows the view
  bool view_holes_filled_ = false;                     // the file's holes were filled once (write_view.cpp)
  std::shared_ptr<ReaderTable> readers_;  // shared by the Environments of this process on one lock file
  pid_t pid_ = 0;                          // the process that opened the environment
  uint64_t fork_generation_ = 0;           // os::fork_generation() at open
  std::atomic<uint32_t> lease_age_ms_{0};
  std::atomic<uint32_t> lease_lag_{0};
  uint64_t last_reclaim_ms_ = 0;           // writer only (under the writer mutex)
  mutable std::atomic<uint64_t> file_pages_{0};
  std::atomic<bool> poisoned_{false};
  std::atomic<bool> previous_snapshot_{false};  // kPreviousSnapshot in force (until the next commit)
  std::atomic<bool> single_flush_{false};
  mutable std::mutex manifest_mutex_;
  mutable ManifestVerdict manifest_verdicts_[format::kNumMetas];  // by meta page, under manifest_mutex_
  format::Meta last_meta_{};  // the newest meta, as the writer last saw it
  bool have_tls_key_ = false;
  pthread_key_t tls_key_{};
  std::mutex thread_slots_mutex_;
  std::vector<ThreadSlot*> thread_slots_;
  std::atomic<uint64_t> writer_thread_{0};  // the thread running this env's write transaction, 0 if none
  std::mutex buffer_mutex_;
  // Single-page buffers kept for reuse (at most 32 MiB): enough for the pages one commit of 1,000 random
  // puts dirties in a 1M-key tree, so steady write loads allocate and zero no fresh buffers.
  static constexpr size_t kPooledBuffers = 8192;
  std::vector<std::byte*> free_buffers_;
};

}  // namespace aspen::env
