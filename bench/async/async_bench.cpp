// aspen_async_bench: random point reads on cold or warm data (docs/ASYNC.md): Aspen's coroutine read path
// (one thread, K lookups in flight, hybrid or pool mode) against Aspen's synchronous mmap path and Debian's
// liblmdb with T threads, and the raw io_uring ceiling of the device (K random 4 KiB reads in flight).
//
//   aspen_async_bench load DIR ENTRIES VALUE_BYTES       build the database (sorted keys, appended)
//   aspen_async_bench drop DIR                           drop data.mdb from the page cache; print residency
//   aspen_async_bench ab DIR MODE ROUNDS OPS IN_FLIGHT   warm A/B, sync mmap vs async MODE, one thread (below)
//   aspen_async_bench run DIR ENGINE N OPS [options]     one measurement, one CSV line on stdout:
//       engine,n,temperature,ops,seconds,ops_per_s,found,reads,resident_before,cpu_seconds,runq_seconds
//     (cpu_seconds: the process's user + system time during the timed part, all threads: on a shared machine
//     ops / cpu_seconds is the steadier measure of CPU-bound warm runs; runq_seconds: time the reading threads
//     were runnable but waited for a CPU, summed over them, from /proc/thread-self/schedstat)
//     ENGINE: hybrid | pool | map   (async, N = lookups in flight, one thread)
//             hybrid-direct         (hybrid with ExecutorOptions::direct_leaves: a lookup's cold leaf
//                                    is read around the page cache, O_DIRECT, the first time)
//             mmap | lmdb           (synchronous, N = threads)
//             raw | rawd            (io_uring random 4 KiB page reads of data.mdb, N in flight; rawd with
//                                    O_DIRECT, as the kPool pager reads)
//     --cold         drop the file from the page cache first (the run is its own process: nothing maps it)
//     --warm         read everything once through the engine's own path before timing
//     --pool-pages P kPool buffer pool size (default 65536 = 256 MiB)
//     --prefault     touch the pool's memory before timing (ExecutorOptions::prefault_pool), as a
//                    long-running executor has; otherwise the first read into each frame also faults it in
//     --direct       raw: O_DIRECT (the same as ENGINE rawd)
//     --stats        async: print the executor's counters (ExecutorStats) to stderr after the run
//     --submits K    async: ExecutorOptions::submits_per_step (default 8; 1: once per step)
//     --seed S
// Every engine opens the environment without read-ahead (MDB_NORDAHEAD; the async pager's descriptor has
// POSIX_FADV_RANDOM), the setting LMDB recommends for random reads of data larger than memory.
#include <fcntl.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aspen/async.hpp"
#include "aspen/aspen.hpp"
#include "lmdb_reader.hpp"
#include "sched.hpp"
#include "os/uring.hpp"

namespace aspen::async_bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Options {
  std::string dir, engine;
  uint64_t n = 1, ops = 10000, seed = 1, pool_pages = 65536, submits_per_step = 8;
  bool cold = false, warm = false, direct = false, prefault = false, stats = false;
};

double cpu_now() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Outcome {
  double cpu = 0;
  double runq = 0;  // seconds the reading threads waited for a CPU (sched.hpp), summed over them
  double seconds = 0;
  uint64_t found = 0, checksum = 0, reads = 0;
};

std::string data_path(const std::string& dir) { return dir + "/data.mdb"; }

uint64_t entries_of(const std::string& dir) {
  FILE* f = std::fopen((dir + "/entries").c_str(), "r");
  unsigned long long n = 0;
  if (f) {
    if (std::fscanf(f, "%llu", &n) != 1) n = 0;
    std::fclose(f);
  }
  return n;
}

// Fraction of data.mdb's pages in the page cache.
double residency(const std::string& dir) {
  int fd = ::open(data_path(dir).c_str(), O_RDONLY);
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) return -1;
  const size_t size = static_cast<size_t>(st.st_size), page = 4096, pages = (size + page - 1) / page;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  std::vector<unsigned char> vec(pages);
  double r = -1;
  if (::mincore(map, size, vec.data()) == 0) {
    size_t in = 0;
    for (unsigned char v : vec) in += v & 1;
    r = static_cast<double>(in) / static_cast<double>(pages);
  }
  ::munmap(map, size);
  return r;
}

void drop_cache(const std::string& dir) {
  int fd = ::open(data_path(dir).c_str(), O_RDONLY);
  if (fd < 0) return;
  (void)::fdatasync(fd);
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

int load(const std::string& dir, uint64_t entries, size_t value_bytes) {
  ::mkdir(dir.c_str(), 0755);
  auto env = Env::open(dir, {.map_size = uint64_t{64} << 30, .flags = kNoSync});
  if (!env.ok()) return std::fprintf(stderr, "open: %s\n", error_message(env.code())), 1;
  std::string value(value_bytes, 'v');
  uint64_t state = 42;
  for (uint64_t i = 0; i < entries;) {
    auto txn = env->begin_write();
    if (!txn.ok()) return 1;
    auto dbi = txn->open_db(nullptr, 0);
    for (uint64_t end = std::min(entries, i + 200000); i < end; ++i) {
      for (size_t b = 0; b < value.size(); b += 8) value[b] = static_cast<char>('a' + splitmix(state) % 26);
      Status st = txn->put(*dbi, key_of(i), value, kAppend);
      if (!st.ok()) return std::fprintf(stderr, "put: %s\n", error_message(st.code())), 1;
    }
    if (!txn->commit().ok()) return 1;
  }
  (void)env->sync(true);
  FILE* f = std::fopen((dir + "/entries").c_str(), "w");
  std::fprintf(f, "%llu\n", static_cast<unsigned long long>(entries));
  std::fclose(f);
  return 0;
}

// --- Aspen, asynchronous --------------------------------------------------------------------------------

struct Tally {
  uint64_t found = 0, checksum = 0;
};

async::Task<void> looker(const async::Txn& txn, Dbi dbi, uint64_t count, uint64_t entries, uint64_t seed, Tally& t) {
  uint64_t state = seed;
  for (uint64_t i = 0; i < count; ++i) {
    std::string key = key_of(splitmix(state) % entries);
    Result<async::Value> v = co_await txn.get(dbi, bytes_of(key));
    if (v.ok() && v->size() > 0) {
      ++t.found;
      t.checksum += static_cast<unsigned char>(v->data()[v->size() / 2]) + v->size();
    }
  }
}

async::Task<void> scan_all(const async::Txn& txn, Dbi dbi, Tally& t) {
  auto cursor = txn.cursor(dbi);
  if (!cursor.ok()) co_return;
  for (Result<Entry> e = co_await cursor->first(); e.ok(); e = co_await cursor->next()) t.checksum += e->value.size();
}

Result<Outcome> run_async(const Options& o, uint64_t entries) {
  async::ReadMode mode = o.engine == "pool" ? async::ReadMode::kPool
                         : o.engine == "map" ? async::ReadMode::kMap
                                             : async::ReadMode::kHybrid;
  ASPEN_ASSIGN(Env env, Env::open(o.dir, {.map_size = uint64_t{64} << 30, .flags = kReadOnly | kNoReadahead}));
  const unsigned depth = static_cast<unsigned>(std::max<uint64_t>(64, 2 * o.n));
  ASPEN_ASSIGN(auto ex, async::Executor::open(env, {.mode = mode, .queue_depth = depth, .pool_pages = o.pool_pages,
                                                     .submits_per_step = static_cast<unsigned>(o.submits_per_step),
                                                     .direct_leaves = o.engine == "hybrid-direct",
                                                     .prefault_pool = o.prefault}));
  ASPEN_ASSIGN(async::Txn txn, async::Txn::begin(*ex));
  ASPEN_ASSIGN(Dbi dbi, txn.read_txn().open_db(nullptr, 0));
  Tally tally;
  if (o.warm) {
    ex->spawn(scan_all(txn, dbi, tally));
    ASPEN_TRY(ex->run());
  }
  const uint64_t reads_before = ex->stats().reads;
  const double runq_start = runq_seconds_now();
  const double cpu_start = cpu_now();
  const auto start = Clock::now();
  for (uint64_t k = 0; k < o.n; ++k)
    ex->spawn(looker(txn, dbi, o.ops / o.n, entries, o.seed * 7919 + k, tally));
  ASPEN_TRY(ex->run());
  Outcome out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu = cpu_now() - cpu_start;
  out.runq = runq_seconds_now() - runq_start;
  out.found = tally.found;
  out.checksum = tally.checksum;
  out.reads = ex->stats().reads - reads_before;
  if (o.stats) {
    const async::ExecutorStats s = ex->stats();
    std::fprintf(stderr, "fetches %llu hits %llu reads %llu direct %llu joined %llu probes %llu evictions %llu\n",
                 static_cast<unsigned long long>(s.fetches), static_cast<unsigned long long>(s.hits),
                 static_cast<unsigned long long>(s.reads), static_cast<unsigned long long>(s.direct_reads),
                 static_cast<unsigned long long>(s.joined), static_cast<unsigned long long>(s.residency_probes),
                 static_cast<unsigned long long>(s.evictions));
  }
  return out;
}

// --- Aspen, synchronous (the map) ------------------------------------------------------------------------

Result<Outcome> run_mmap(const Options& o, uint64_t entries) {
  ASPEN_ASSIGN(Env env, Env::open(o.dir, {.map_size = uint64_t{64} << 30, .flags = kReadOnly | kNoReadahead}));
  Dbi dbi = 1;
  if (o.warm) {
    ASPEN_ASSIGN(ReadTxn txn, env.begin_read());
    ASPEN_ASSIGN(Cursor c, txn.cursor(dbi));
    uint64_t sum = 0;
    for (Entry e : c) sum += e.value.size();
    if (sum == 42) std::puts("");
  }
  const uint64_t per_thread = o.ops / o.n;
  std::vector<Tally> tallies(o.n);
  std::vector<double> runq(o.n, 0);
  const double cpu_start = cpu_now();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < o.n; ++t) {
    threads.emplace_back([&, t] {
      const double runq_start = runq_seconds_now();
      auto txn = env.begin_read();
      if (!txn.ok()) return;
      uint64_t state = o.seed * 7919 + t;
      for (uint64_t i = 0; i < per_thread; ++i) {
        std::string key = key_of(splitmix(state) % entries);
        Result<Bytes> v = txn->get(dbi, bytes_of(key));
        if (v.ok() && !v->empty()) {
          ++tallies[t].found;
          tallies[t].checksum += static_cast<unsigned char>((*v)[v->size() / 2]) + v->size();
        }
      }
      runq[t] = runq_seconds_now() - runq_start;
    });
  }
  for (auto& th : threads) th.join();
  Outcome out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu = cpu_now() - cpu_start;
  for (const Tally& t : tallies) {
    out.found += t.found;
    out.checksum += t.checksum;
  }
  for (double w : runq) out.runq += w;
  return out;
}

// --- the device through io_uring, without a tree ---------------------------------------------------------

Result<Outcome> run_raw(const Options& o) {
  int fd = ::open(data_path(o.dir).c_str(), O_RDONLY);
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0) return ASPEN_ERROR(errno);
  int rfd = -1;
  if (o.direct) {
    rfd = ::open(data_path(o.dir).c_str(), O_RDONLY | O_DIRECT);
    if (rfd < 0) return ASPEN_ERROR(errno);
  } else {
    ASPEN_ASSIGN(rfd, os::open_for_random_reads(fd));
  }
  ::close(fd);
  const uint64_t pages = static_cast<uint64_t>(st.st_size) / 4096;
  ASPEN_ASSIGN(auto q, os::ReadQueue::open({static_cast<unsigned>(o.n), os::ReadBackend::kUring, 1}));
  void* mem = std::aligned_alloc(4096, o.n * 4096);
  std::unique_ptr<void, decltype(&std::free)> hold(mem, &std::free);
  auto* buffers = static_cast<std::byte*>(mem);
  uint64_t state = o.seed, issued = 0, done = 0;
  os::ReadCompletion batch[64];
  const double runq_start = runq_seconds_now();
  const double cpu_start = cpu_now();
  const auto start = Clock::now();
  while (done < o.ops) {
    while (issued < o.ops && !q->full()) {
      const uint64_t slot = issued % o.n;
      ASPEN_TRY(q->queue_read(rfd, buffers + slot * 4096, 4096, (splitmix(state) % pages) * 4096, slot));
      ++issued;
    }
    ASPEN_TRY(q->submit(true));
    done += q->reap(batch);
  }
  Outcome out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu = cpu_now() - cpu_start;
  out.runq = runq_seconds_now() - runq_start;
  out.found = out.reads = done;
  os::close_fd(rfd);
  return out;
}

// A/B on warm data, in one process and on one thread: rounds alternate a burst of synchronous lookups
// (ReadTxn::get, the mmap path) and a burst of asynchronous ones (co_await Txn::get, `mode`), on the same
// snapshot (the async Txn's own ReadTxn), so that both see the same machine at the same moments. Prints one
// CSV line per side: side,mode,in_flight,ops,wall_s,ops_per_s,thread_cpu_s,ops_per_cpu_s.
double thread_cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int ab(const std::string& dir, const std::string& mode_name, uint64_t rounds, uint64_t per_round, uint64_t in_flight) {
  const uint64_t entries = entries_of(dir);
  if (entries == 0) return std::fprintf(stderr, "%s: no database\n", dir.c_str()), 1;
  const async::ReadMode mode = mode_name == "pool" ? async::ReadMode::kPool
                               : mode_name == "map" ? async::ReadMode::kMap
                                                    : async::ReadMode::kHybrid;
  auto env = Env::open(dir, {.map_size = uint64_t{64} << 30, .flags = kReadOnly | kNoReadahead});
  if (!env.ok()) return 1;
  auto ex = async::Executor::open(*env, {.mode = mode, .queue_depth = 256, .pool_pages = 65536});
  if (!ex.ok()) return 1;
  auto txn = async::Txn::begin(**ex);
  if (!txn.ok()) return 1;
  const Dbi dbi = 1;
  Tally tally;
  (*ex)->spawn(scan_all(*txn, dbi, tally));  // warm every path: the map's page tables, the pool, the marks
  if (!(*ex)->run().ok()) return 1;
  {
    auto c = txn->read_txn().cursor(dbi);
    for (Entry e : *c) tally.checksum += e.value.size();
  }
  double wall[2] = {0, 0}, cpu[2] = {0, 0};
  for (uint64_t r = 0; r < rounds; ++r) {
    for (int side = 0; side < 2; ++side) {
      const int which = (r % 2) ? 1 - side : side;  // alternate which side goes first
      const double c0 = thread_cpu_now();
      const auto t0 = Clock::now();
      if (which == 0) {
        uint64_t state = r * 7919 + 1;
        for (uint64_t i = 0; i < per_round; ++i) {
          std::string key = key_of(splitmix(state) % entries);
          Result<Bytes> v = txn->read_txn().get(dbi, bytes_of(key));
          if (v.ok() && !v->empty()) {
            ++tally.found;
            tally.checksum += static_cast<unsigned char>((*v)[v->size() / 2]) + v->size();
          }
        }
      } else {
        for (uint64_t k = 0; k < in_flight; ++k)
          (*ex)->spawn(looker(*txn, dbi, per_round / in_flight, entries, r * 7919 + 1 + k, tally));
        if (!(*ex)->run().ok()) return 1;
      }
      wall[which] += std::chrono::duration<double>(Clock::now() - t0).count();
      cpu[which] += thread_cpu_now() - c0;
    }
  }
  const uint64_t ops = rounds * per_round;
  const char* sides[2] = {"sync-mmap", "async"};
  for (int side = 0; side < 2; ++side)
    std::printf("%s,%s,%llu,%llu,%.4f,%.0f,%.4f,%.0f\n", sides[side], mode_name.c_str(),
                static_cast<unsigned long long>(side ? in_flight : 1), static_cast<unsigned long long>(ops), wall[side],
                static_cast<double>(ops) / wall[side], cpu[side], static_cast<double>(ops) / cpu[side]);
  return tally.found == 2 * ops ? 0 : (std::fprintf(stderr, "missing keys\n"), 1);
}

int run(const Options& o) {
  const uint64_t entries = entries_of(o.dir);
  if (entries == 0) return std::fprintf(stderr, "%s: no database (run load first)\n", o.dir.c_str()), 1;
  if (o.cold) drop_cache(o.dir);
  const double resident = residency(o.dir);
  Outcome out;
  int rc = EINVAL;
  auto take = [&](Result<Outcome> r) {
    rc = r.code();
    if (r.ok()) out = *r;
  };
  if (o.engine == "hybrid" || o.engine == "hybrid-direct" || o.engine == "pool" || o.engine == "map") {
    take(run_async(o, entries));
  } else if (o.engine == "mmap") {
    take(run_mmap(o, entries));
  } else if (o.engine == "raw" || o.engine == "rawd") {
    Options d = o;
    d.direct = o.direct || o.engine == "rawd";
    take(run_raw(d));
  } else if (o.engine == "lmdb") {
    LmdbRun r = run_lmdb(o.dir, static_cast<unsigned>(o.n), o.ops / o.n, entries, true, o.seed, o.warm);
    if (!r.error.empty()) return std::fprintf(stderr, "lmdb: %s\n", r.error.c_str()), 1;
    rc = 0;
    out.seconds = r.seconds;
    out.cpu = r.cpu_seconds;
    out.found = r.found;
    out.checksum = r.checksum;
    out.runq = r.runq_seconds;
  }
  if (rc != 0) return std::fprintf(stderr, "%s: %s\n", o.engine.c_str(), error_message(rc)), 1;
  const bool raw = o.engine == "raw" || o.engine == "rawd";
  const uint64_t ops = raw ? o.ops : (o.ops / o.n) * o.n;
  std::printf("%s,%llu,%s,%llu,%.4f,%.0f,%llu,%llu,%.4f,%.4f,%.4f\n", o.engine.c_str(), static_cast<unsigned long long>(o.n),
              o.cold ? "cold" : (o.warm ? "warm" : "as-is"), static_cast<unsigned long long>(ops), out.seconds,
              static_cast<double>(ops) / out.seconds, static_cast<unsigned long long>(out.found),
              static_cast<unsigned long long>(out.reads), resident, out.cpu, out.runq);
  if (!raw && out.found != ops) std::fprintf(stderr, "warning: %llu of %llu keys found\n",
                                                           static_cast<unsigned long long>(out.found),
                                                           static_cast<unsigned long long>(ops));
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: aspen_async_bench load DIR ENTRIES VALUE_BYTES\n"
               "       aspen_async_bench drop DIR\n"
               "       aspen_async_bench ab DIR hybrid|pool|map ROUNDS OPS_PER_ROUND IN_FLIGHT\n"
               "       aspen_async_bench run DIR hybrid|hybrid-direct|pool|map|mmap|lmdb|raw|rawd N OPS [--cold|--warm] "
               "[--pool-pages P] [--prefault] [--direct] [--stats] [--submits K] [--seed S]\n");
  return 2;
}

}  // namespace
}  // namespace aspen::async_bench

int main(int argc, char** argv) {
  using namespace aspen::async_bench;
  if (argc < 3) return usage();
  const std::string cmd = argv[1];
  if (cmd == "load" && argc == 5) return load(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10));
  if (cmd == "drop") {
    drop_cache(argv[2]);
    std::printf("resident %.4f\n", residency(argv[2]));
    return 0;
  }
  if (cmd == "ab" && argc == 7)
    return ab(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10), std::strtoull(argv[5], nullptr, 10),
              std::max<uint64_t>(1, std::strtoull(argv[6], nullptr, 10)));
  if (cmd != "run" || argc < 6) return usage();
  Options o;
  o.dir = argv[2];
  o.engine = argv[3];
  o.n = std::max<uint64_t>(1, std::strtoull(argv[4], nullptr, 10));
  o.ops = std::strtoull(argv[5], nullptr, 10);
  for (int i = 6; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cold") o.cold = true;
    else if (a == "--warm") o.warm = true;
    else if (a == "--direct") o.direct = true;
    else if (a == "--prefault") o.prefault = true;
    else if (a == "--stats") o.stats = true;
    else if (a == "--pool-pages" && i + 1 < argc) o.pool_pages = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && i + 1 < argc) o.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--submits" && i + 1 < argc) o.submits_per_step = std::strtoull(argv[++i], nullptr, 10);
    else return usage();
  }
  return run(o);
}
