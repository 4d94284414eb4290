// What the real liblmdb reads in an environment, as a crash::Model digest, for the crash suites' cross-open
// checks (tests/crash). liblmdb runs in a child process: on a damaged file it may crash, and that must be a
// finding, not the end of the suite. Without liblmdb-dev (ASPEN_CRASH_HAVE_LIBLMDB unset) nothing is read.
// Thread-safety: none needed (single-threaded suites; forks).
#pragma once

#include <cstdint>
#include <string>

namespace aspen::crash {

// Trivially copyable: it comes back through a pipe.
struct LmdbRead {
  bool ok = false;
  uint64_t digest = 0;  // Model::digest() of the standard databases as liblmdb read them
  char why[160] = {};   // when !ok: liblmdb's error, the child's death, or "built without liblmdb-dev"
};

// Whether this build can read with liblmdb.
bool have_liblmdb();

// Reads the standard databases (crash::standard_dbs) of `dir` with liblmdb, read-only, in a child process.
// `quiet` silences liblmdb's messages (its assertions on a file it cannot read).
LmdbRead lmdb_view(const std::string& dir, bool quiet);

}  // namespace aspen::crash
