// Environment: one open LMDB environment, data.mdb + lock.mdb (layer: env).
//
// Owns the data file, its memory map, the reader table and the database handle table, and implements the
// services transactions need (txn::EnvHost): pinning snapshots, the writer lock, meta-page writes, syncs and
// dirty-page buffers. Lifecycle mirrors LMDB: construct (mdb_env_create), configure (map size, readers,
// dbs), open, use, close. Meta pages are chosen and validated by meta.cpp; copies are made by copy.cpp.
//
// Thread-safety: configuration, open and close are not thread-safe. Once open, transactions may be begun
// from any thread; read transactions run concurrently without locks; write transactions serialise on the
// writer mutex in lock.mdb (shared with other processes, LMDB's included).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "env/reader_table.hpp"
#include "format/meta.hpp"
#include "os/file.hpp"
#include "os/mapping.hpp"
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

class Environment final : public txn::EnvHost {
 public:
  Environment();
  ~Environment() override;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Configuration. set_map_size also works on an open environment with no transaction active.
  Status set_map_size(uint64_t bytes);
  Status set_max_readers(unsigned readers);
  Status set_max_dbs(unsigned dbs);

  // Opens (or creates) the environment at `path`: a directory holding data.mdb and lock.mdb, or with
  // MDB_NOSUBDIR the data file itself (lock file: path + "-lock").
  Status open(const std::string& path, unsigned flags, mode_t mode);
  bool is_open() const { return data_file_.valid(); }
  void close();

  Status set_flags(unsigned flags, bool on);
  unsigned flags() const { return flags_ & (env_flag::kChangeable | env_flag::kChangeless); }
  const std::string& path() const { return path_; }
  int fd() const { return data_file_.fd(); }
  unsigned max_readers() const { return readers_.valid() ? readers_.max_readers() : max_readers_; }
  unsigned max_dbs() const { return max_dbs_; }

  Result<txn::TreeStat> stat();
  Result<EnvInfo> info();
  Status sync(bool force);
  Status copy_to(int fd, bool compact);
  Result<int> reader_check();
  void reader_list(const std::function<void(const ReaderInfo&)>& fn) const;
  ReaderTable& readers() { return readers_; }

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
  Status commit_meta(const format::Meta& meta) override;
  Status sync_data(bool force) override;
  bool poisoned() const override { return poisoned_.load(std::memory_order_acquire); }
  std::byte* take_buffer(unsigned pages) override;
  void give_buffer(std::byte* buffer, unsigned pages) override;

 private:
  Status open_files(const std::string& path, mode_t mode);
  Status load_or_create_meta();
  Status map_file();
  Status create_new(size_t page_size);
  Result<format::Meta> read_meta(int which, bool* sealed = nullptr) const;
  Result<format::Meta> newest_meta() const;
  Status write_meta(const format::Meta& meta);
  Status refresh_file_pages(uint64_t needed) const;
  // Maps at least `bytes` of the file inside the reservation (never moving the map); MDB_MAP_FULL beyond
  // the bound, MDB_MAP_RESIZED when another process grew the file past our reservation.
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
  ReaderTable readers_;
  mutable std::atomic<uint64_t> file_pages_{0};
  std::atomic<bool> poisoned_{false};
  std::atomic<bool> previous_snapshot_{false};  // kPreviousSnapshot in force (until the next commit)
  format::Meta last_meta_{};  // the newest meta, as the writer last saw it
  bool have_tls_key_ = false;
  pthread_key_t tls_key_{};
  std::mutex thread_slots_mutex_;
  std::vector<ThreadSlot*> thread_slots_;
  std::atomic<uint64_t> writer_thread_{0};  // the thread running this env's write transaction, 0 if none
  std::mutex buffer_mutex_;
  static constexpr size_t kPooledBuffers = 1024;  // single-page buffers kept for reuse
  std::vector<std::byte*> free_buffers_;
};

}  // namespace aspen::env
