// liblmdb (Debian) random point reads for bench/async. Compiled without Aspen's include path, so <lmdb.h> is
// Debian's, and linked to Debian's liblmdb alone (never Aspen's lmdb_abi).
#include "lmdb_reader.hpp"
#include "sched.hpp"

#include <lmdb.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace aspen::async_bench {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double cpu_now() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

std::string key_of(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%013llu", static_cast<unsigned long long>(i));
  return buf;
}

LmdbRun run_lmdb(const std::string& dir, unsigned threads, uint64_t per_thread, uint64_t entries, bool no_readahead,
                 uint64_t seed, bool warm) {
  LmdbRun out;
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc == 0) rc = mdb_env_set_mapsize(env, uint64_t{64} << 30);
  if (rc == 0) rc = mdb_env_set_maxreaders(env, 256);
  unsigned flags = MDB_RDONLY | (no_readahead ? MDB_NORDAHEAD : 0);
  if (rc == 0) rc = mdb_env_open(env, dir.c_str(), flags, 0644);
  if (rc != 0) {
    out.error = std::string("mdb_env_open: ") + mdb_strerror(rc);
    if (env) mdb_env_close(env);
    return out;
  }
  MDB_dbi dbi = 0;
  {
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    MDB_cursor* cursor = nullptr;
    if (rc == 0 && warm && mdb_cursor_open(txn, dbi, &cursor) == 0) {
      MDB_val k, v;
      for (int c = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); c == 0; c = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
        out.checksum += v.mv_size;
      mdb_cursor_close(cursor);
    }
    if (txn) mdb_txn_abort(txn);
  }
  std::vector<uint64_t> found(threads, 0), sums(threads, 0);
  std::vector<double> runq(threads, 0);
  const double cpu_start = cpu_now();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      MDB_txn* txn = nullptr;
      const double runq_start = runq_seconds_now();
      if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return;
      uint64_t state = seed * 1000003 + t;
      for (uint64_t i = 0; i < per_thread; ++i) {
        std::string key = key_of(splitmix(state) % entries);
        MDB_val k{key.size(), key.data()}, v;
        if (mdb_get(txn, dbi, &k, &v) == 0) {
          ++found[t];
          sums[t] += static_cast<const unsigned char*>(v.mv_data)[v.mv_size / 2] + v.mv_size;
        }
      }
      mdb_txn_abort(txn);
      runq[t] = runq_seconds_now() - runq_start;
    });
  }
  for (auto& w : workers) w.join();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.cpu_seconds = cpu_now() - cpu_start;
  for (unsigned t = 0; t < threads; ++t) {
    out.found += found[t];
    out.checksum += sums[t];
    out.runq_seconds += runq[t];
  }
  mdb_env_close(env);
  return out;
}

}  // namespace aspen::async_bench
