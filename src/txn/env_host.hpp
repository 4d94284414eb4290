// EnvHost: what an environment provides to its transactions (layer: txn; implemented by env::Environment).
//
// Transactions need the map, the files, the newest meta, the reader table and the writer lock; the
// environment owns them. This interface keeps the dependency pointing downward: txn defines it, env
// implements it. Thread-safety: as documented per call; the environment outlives its transactions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/meta.hpp"
#include "os/file.hpp"
#include "txn/commit_manifest.hpp"
#include "txn/db_table.hpp"
#include "util/result.hpp"

namespace aspen::txn {

struct Geometry {
  size_t page_size = 4096;
  size_t node_max = 0;
  unsigned max_dbs = format::kCoreDbs;
  unsigned env_flags = 0;  // MDB_* environment flags in force
};

// A pinned snapshot: the reader slot that holds it and the meta it reads. With a reader lease (beyond LMDB) a
// writer may oust the snapshot: `pin_word` then points at the slot's txnid word in lock.mdb, which holds
// meta.txnid for as long as the snapshot is protected; the transaction checks it around every read.
struct Snapshot {
  unsigned slot = ~0u;
  format::Meta meta{};
  uint64_t* pin_word = nullptr;  // null: the snapshot cannot be ousted
};

class EnvHost {
 public:
  virtual ~EnvHost() = default;

  virtual const Geometry& geometry() const = 0;
  // Base of the memory map and the number of pages it covers (readable up to the file's end).
  virtual std::byte* map() const = 0;
  virtual uint64_t mapped_pages() const = 0;
  virtual const os::File& data_file() const = 0;
  // The environment's database handle table (names, flags, comparators).
  virtual DbTable& db_table() = 0;

  // Pins the newest committed snapshot in a reader slot. `slot` is the slot to reuse (~0u: find one).
  virtual Result<Snapshot> pin_snapshot(unsigned slot) = 0;
  // Unpins a snapshot; with `keep_slot` the slot stays reserved for the same owner (mdb_txn_reset).
  virtual void unpin_snapshot(unsigned slot, bool keep_slot) = 0;
  // The txnid of the oldest snapshot any reader (in any process) still uses, or `if_none` when none.
  virtual uint64_t oldest_reader(uint64_t if_none) = 0;

  // Takes the writer lock and returns the newest meta. Blocks while another writer runs.
  virtual Result<format::Meta> begin_write() = 0;
  virtual void end_write() = 0;
  // Makes pages [0, page_count) addressable, growing the map when allowed; MDB_MAP_FULL otherwise.
  virtual Status reserve_pages(uint64_t page_count) = 0;
  // A writable view of the data file for the commit of a non-WRITEMAP environment: its pages [0, pages) may
  // be stored to, pages being at most `page_count` and never past the file's end (a meta's last page may lie
  // past it: pages allocated and freed again in one transaction are never written). base == nullptr when
  // the commit must pwrite everything. Writer only.
  struct WriteView {
    std::byte* base = nullptr;
    uint64_t pages = 0;
  };
  virtual Result<WriteView> write_view(uint64_t page_count) = 0;
  // Durably writes `meta` into meta page txnid % 2, per the env's sync flags. Without a manifest the data is
  // synced already (sync_data); with one (a one-flush commit) the meta carries it and one fdatasync covers the
  // data and the meta. `pages_written` is the size of the commit (its dirty pages), kept for health reports.
  // Failure poisons the environment (MDB_PANIC).
  virtual Status commit_meta(const format::Meta& meta, uint64_t pages_written, const CommitManifest* manifest) = 0;
  // Syncs the data file (or map) as the env's flags require before a meta write.
  virtual Status sync_data(bool force) = 0;
  // Whether commits take the one-flush path (EnvOptions::single_flush_commit, and none of MDB_WRITEMAP,
  // MDB_NOSYNC, MDB_NOMETASYNC in force).
  virtual bool single_flush_commit() const = 0;
  // MDB_PANIC once the environment refused further writes after a failed sync or meta write.
  virtual bool poisoned() const = 0;
  // A page-sized buffer for a dirty page, and its return. Buffers come from a pool. A buffer holds zeroes
  // or an image of one of this environment's pages, never unrelated heap memory (unless MDB_NOMEMINIT).
  virtual std::byte* take_buffer(unsigned pages) = 0;
  virtual void give_buffer(std::byte* buffer, unsigned pages) = 0;
};

}  // namespace aspen::txn
