// The library-wide entry points of the C ABI: mdb_version, mdb_strerror, and the reader table
// (mdb_reader_list, mdb_reader_check) (layer: abi). See handles.hpp.
#include <cinttypes>
#include <cstdio>

#include "abi/handles.hpp"

using namespace aspen;
using namespace aspen::abi;

ASPEN_ABI char* mdb_version(int* major, int* minor, int* patch) {
  if (major) *major = MDB_VERSION_MAJOR;
  if (minor) *minor = MDB_VERSION_MINOR;
  if (patch) *patch = MDB_VERSION_PATCH;
  return const_cast<char*>(MDB_VERSION_STRING);
}

ASPEN_ABI char* mdb_strerror(int err) { return const_cast<char*>(error_message(err)); }

// LMDB's text, line by line: a heading before the first live slot, then "pid thread txnid" per slot ("-" for a
// slot that pins no snapshot); "(no active readers)" when there is none; "(no reader locks)" when the
// environment keeps no reader table in lock.mdb (MDB_NOLOCK, read-only file system, or not open). Stops at the
// first negative answer of `func` and returns it. -1 (not EINVAL) for a NULL argument, as LMDB.
ASPEN_ABI int mdb_reader_list(MDB_env* env, MDB_msg_func* func, void* ctx) {
  if (!env || !func) return -1;
  return guarded([&] {
    Env& e = *env_of(env);
    if (!e.is_open() || !e.native()->readers().valid() || e.native()->readers().in_process())
      return func("(no reader locks)\n", ctx);
    int rc = 0;
    bool first = true;
    e.reader_list([&](const ReaderInfo& r) {
      if (rc < 0) return;
      char line[64];
      if (r.txnid == ~uint64_t{0})
        std::snprintf(line, sizeof line, "%10d %zx -\n", r.pid, static_cast<size_t>(r.thread));
      else
        std::snprintf(line, sizeof line, "%10d %zx %zu\n", r.pid, static_cast<size_t>(r.thread),
                      static_cast<size_t>(r.txnid));
      if (first) {
        first = false;
        rc = func("    pid     thread     txnid\n", ctx);
        if (rc < 0) return;
      }
      rc = func(line, ctx);
    });
    if (first) rc = func("(no active readers)\n", ctx);
    return rc;
  });
}

// Frees the slots of dead processes; *dead = how many. Without a reader table there is nothing to check.
ASPEN_ABI int mdb_reader_check(MDB_env* env, int* dead) {
  if (!env) return EINVAL;
  if (dead) *dead = 0;
  if (!env_of(env)->is_open()) return MDB_SUCCESS;
  return guarded([&] {
    Result<int> cleared = env_of(env)->reader_check();
    if (!cleared.ok()) return cleared.code();
    if (dead) *dead = *cleared;
    return MDB_SUCCESS;
  });
}
