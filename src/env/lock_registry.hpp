// LockRegistry: at most one ReaderTable per lock file per process (layer: env).
//
// Why: POSIX record locks belong to the process, and closing ANY descriptor of a file drops all of the
// process's locks on it. Two Environments of one process on the same lock.mdb, each with its own descriptor,
// would therefore break each other: the second opener would take F_WRLCK on byte 0 over its own process's
// F_RDLCK (a process never conflicts with itself), think it is the first opener and re-initialise the
// mutexes under the first; and the first to close would drop the other's byte-0 and pid locks, so that
// other processes would take its live readers for dead and reuse their pages. LMDB has both problems.
// Instead, every Environment of a process that opens the same lock file (same st_dev/st_ino) shares one
// ReaderTable, reference-counted; the table closes when the last Environment closes.
//
// Fork: a child inherits the registry's entries but not the locks. Lookups only return tables opened by the
// calling process, so a child that opens the environment gets a table of its own. When the child then
// destroys an inherited table while its own table of the same file is open, the inherited descriptor is
// parked (kept open) until that table closes, because closing it would drop the child's locks.
//
// In-process tables (MDB_NOLOCK, MDB_RDONLY on a read-only file system) are never shared: they have no file.
//
// Thread-safety: every function is thread-safe. lock() serialises opens: Environment::open holds it from
// the lookup until the table is shared (a first opener publishes the txnid and downgrades byte 0 under it),
// so a second Environment never sees a table that is still being initialised. Tables are destroyed under
// the same lock. It is recursive (per thread) because a failed open may drop the last reference while holding
// it, and it is released in a forked child even though another thread of the parent may have held it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "env/reader_table.hpp"
#include "util/result.hpp"

namespace aspen::env {

class LockRegistry {
 public:
  // The registry lock, held while the object lives; hold one across open().
  class Guard {
   public:
    Guard();
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
  };

  // The table this process already has open on the file `lock_path` names, or a new one opened with
  // `options` (ReaderTable::open's errors). REQUIRES: the caller holds a Guard.
  static Result<std::shared_ptr<ReaderTable>> open(const std::string& lock_path, const ReaderTableOptions& options);

  // How many tables of this process are registered and alive (for tests).
  static size_t live_tables();
};

}  // namespace aspen::env
