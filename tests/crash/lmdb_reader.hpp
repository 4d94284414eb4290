// Reading an environment with the real liblmdb (Debian's liblmdb-dev), for the crash suites' cross-open checks:
// after Aspen's first open of a crashed file, liblmdb must read the same contents (tests/crash).
//
// lmdb_reader.cpp is compiled against /usr/include/lmdb.h and linked to -llmdb only, apart from Aspen's headers
// (Aspen ships an lmdb.h of its own), so this header uses standard types alone.
// Thread-safety: none needed (single-threaded suites).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace aspen::crash {

struct LmdbDbSpec {
  const char* name;   // nullptr: the main database
  unsigned flags;     // MDB_DUPSORT, MDB_INTEGERKEY ... as the database was created
  std::string label;  // the key in LmdbContents
};

// Database label -> key -> values, as crash::Model holds them.
using LmdbContents = std::map<std::string, std::map<std::string, std::set<std::string>>>;

// Opens `dir` read-only with liblmdb and reads every database of `dbs` in one read transaction. In the main
// database only keys starting with 'm' are kept (the others are the named databases' records). Returns "" with
// `*out` filled, else what failed, with liblmdb's message.
std::string read_with_liblmdb(const std::string& dir, const std::vector<LmdbDbSpec>& dbs, LmdbContents* out);

}  // namespace aspen::crash
