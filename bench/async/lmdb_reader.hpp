// Random point reads with Debian's liblmdb, for bench/async (compiled apart: see CMakeLists.txt).
// Plain C++ types only, so that this header is safe next to Aspen's headers.
#pragma once

#include <cstdint>
#include <string>

namespace aspen::async_bench {

struct LmdbRun {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system time of the process during the reads
  double runq_seconds = 0; // time the reading threads spent waiting for a CPU, summed over them
  uint64_t found = 0;
  uint64_t checksum = 0;
  std::string error;  // empty on success
};

// Opens the environment at `dir` read-only (MDB_RDONLY, MDB_NORDAHEAD when `no_readahead`), runs `threads`
// threads each doing `per_thread` random mdb_get of keys drawn by `key_of(i)` over [0, entries) in one read
// transaction per thread, and reports the wall time of the reads. With `warm`, a cursor scan of the whole
// database comes first, untimed.
LmdbRun run_lmdb(const std::string& dir, unsigned threads, uint64_t per_thread, uint64_t entries, bool no_readahead,
                 uint64_t seed, bool warm);

// The key of entry `i` (shared with the Aspen side so both read the same keys).
std::string key_of(uint64_t i);

}  // namespace aspen::async_bench
