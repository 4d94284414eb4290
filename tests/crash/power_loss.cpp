// crash_power_loss: simulated power loss from recorded I/O traces (tests/crash).
//
// 1. Record. A workload runs against a real environment while a recording IoHooks table (the os::io() seam)
//    logs, for data.mdb, every pwrite/pwritev with its bytes, every fdatasync/fsync and every msync(MS_SYNC);
//    with MDB_WRITEMAP, where pages change through the map, each msync is turned into the page writes it made
//    durable by comparing the file with what was last recorded. The workload adds INTENT (before commit) and
//    ACK (after commit returned) marks with the txnid and the digest of the expected content.
// 2. Build crash states. The trace is cut into epochs at each sync. A power loss inside epoch e leaves the
//    durable image of the earlier epochs plus any part of epoch e's writes (the page cache writes back in any
//    order). For every epoch the suite builds: every prefix of the writes; each prefix followed by a 512-byte
//    sector tear of the next write; random subsets with random sector tears; and for writes to a meta page,
//    byte-level tears (every prefix and every suffix of the changed bytes). Identical images are tried once.
// 3. Verify each state: open it with Aspen, read everything, then
//    - the content equals the recorded digest of the txnid Aspen recovered (no mixed or partial commit);
//    - sync modes (default, writemap): no acknowledged commit is lost (txnid >= last ACK before the epoch
//      ended); nometasync modes: at most the last acknowledged commit is lost (their documented contract);
//    - the checker finds no structural problem in the recovered snapshot (a torn *other* meta is expected and
//      ignored: the engine fell back from it);
//    - every 16th state also takes a write transaction after recovery and is checked again;
//    - then the real liblmdb opens the file (read-only) and must read the same content: Aspen's first open
//      rewrote any meta it rejected but liblmdb would pick (when built with liblmdb-dev).
// MDB_NOSYNC and MDB_MAPASYNC are not power-loss safe by contract (docs/COMMIT.md §4) and are not run here.
//
// The oneflush mode (EnvOptions::single_flush_commit, docs/COMMIT.md §7) syncs once per commit, after the pages
// AND the meta, so its epochs hold both: a meta may land without some pages. Its meta writes are torn only at
// file sector boundaries (it relies on assumption M4), and each epoch also tries the meta with every single page
// write missing or torn. A state whose newest meta's manifest does not match its pages must recover an older
// txnid (counted as manifest_fallbacks; the run fails if it never happens, as the cases went untested). For those
// states liblmdb is also run on the file as the crash left it, before Aspen's open: lmdb_unsafe_raw counts the
// states where it would have read something else, i.e. where the repair at open was needed.
//
// usage: crash_power_loss [--modes default,nometasync,writemap,writemap+nometasync,oneflush]
//                         [--shapes growth,overflow,dupsort,nested,deletes,mixed] [--txns N] [--seed S]
//                         [--subsets R] [--sector-tears K] [--meta-tears all|K] [--lmdb-every N] [--keep]
//                         [--self-test-drop-data-sync]   (must FAIL: proves the suite sees ordering bugs)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <unordered_set>

#include "check/manifest.hpp"
#include "crash_support.hpp"
#include "env/environment.hpp"
#include "format/meta_seal.hpp"
#include "lmdb_view.hpp"
#include "os/io_hooks.hpp"

namespace aspen::crash {
namespace {

constexpr size_t kSector = 512;

struct Event {
  enum Kind { kWrite, kSync, kSize, kIntent, kAck } kind;
  uint64_t off = 0;   // kWrite: file offset; kSize: new file size
  std::string data;   // kWrite: the bytes
  uint64_t txnid = 0;
  uint64_t digest = 0;
};

// --- the recorder (an IoHooks table) -----------------------------------------------------------------

class Recorder;
Recorder* g_recorder = nullptr;

class Recorder {
 public:
  Recorder(int fd, std::byte* map, std::string image, size_t page_size)
      : fd_(fd), map_(map), shadow_(std::move(image)), page_size_(page_size) {
    g_recorder = this;
    hooks_ = os::real_io_hooks();
    hooks_.pwrite = &Recorder::pwrite;
    hooks_.pwritev = &Recorder::pwritev;
    hooks_.fdatasync = &Recorder::fdatasync;
    hooks_.fsync = &Recorder::fdatasync;
    hooks_.msync = &Recorder::msync;
    hooks_.ftruncate = &Recorder::ftruncate;
    hooks_.fallocate = &Recorder::fallocate;
    os::set_io_hooks(&hooks_);
  }
  ~Recorder() {
    os::reset_io_hooks();
    g_recorder = nullptr;
  }

  void mark(Event::Kind kind, uint64_t txnid, uint64_t digest) { events_.push_back({kind, 0, {}, txnid, digest}); }
  std::vector<Event>& events() { return events_; }

 private:
  static const os::IoHooks& real() { return os::real_io_hooks(); }

  void wrote(uint64_t off, const char* p, size_t n) {
    events_.push_back(Event{Event::kWrite, off, std::string(p, n), 0, 0});
    if (shadow_.size() < off + n) shadow_.resize(off + n, '\0');
    std::memcpy(shadow_.data() + off, p, n);
  }
  void resized(uint64_t size) {
    if (size <= shadow_.size()) return;
    shadow_.resize(size, '\0');
    events_.push_back(Event{Event::kSize, size, {}, 0, 0});
  }

  static ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
    ssize_t r = real().pwrite(fd, buf, n, off);
    if (r > 0 && fd == g_recorder->fd_) g_recorder->wrote(off, static_cast<const char*>(buf), r);
    return r;
  }
  static ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t off) {
    ssize_t r = real().pwritev(fd, iov, count, off);
    if (r > 0 && fd == g_recorder->fd_) {
      size_t left = r;
      for (int i = 0; i < count && left; ++i) {
        size_t n = std::min(left, iov[i].iov_len);
        g_recorder->wrote(off, static_cast<const char*>(iov[i].iov_base), n);
        off += n;
        left -= n;
      }
    }
    return r;
  }
  static int fdatasync(int fd) {
    int r = real().fdatasync(fd);
    if (r == 0 && fd == g_recorder->fd_) g_recorder->events_.push_back(Event{Event::kSync, 0, {}, 0, 0});
    return r;
  }
  // With MDB_WRITEMAP the pages changed through the map: the ones in the synced range that differ from what
  // was last recorded are the writes this msync made durable.
  static int msync(void* addr, size_t len, int flags) {
    int r = real().msync(addr, len, flags);
    Recorder& rec = *g_recorder;
    if (r != 0 || !(flags & MS_SYNC) || !rec.map_) return r;
    const uint64_t start = static_cast<uint64_t>(static_cast<std::byte*>(addr) - rec.map_);
    std::string page(rec.page_size_, '\0');
    for (uint64_t off = start; off < start + len; off += rec.page_size_) {
      ssize_t got = real().pread(rec.fd_, page.data(), page.size(), static_cast<off_t>(off));
      if (got <= 0) break;
      page.resize(static_cast<size_t>(got));
      if (off + page.size() > rec.shadow_.size() || std::memcmp(rec.shadow_.data() + off, page.data(), page.size()) != 0)
        rec.wrote(off, page.data(), page.size());
      page.resize(rec.page_size_);
    }
    rec.events_.push_back(Event{Event::kSync, 0, {}, 0, 0});
    return r;
  }
  static int ftruncate(int fd, off_t len) {
    int r = real().ftruncate(fd, len);
    if (r == 0 && fd == g_recorder->fd_) g_recorder->resized(len);
    return r;
  }
  static int fallocate(int fd, off_t off, off_t len) {
    int r = real().fallocate(fd, off, len);
    if (r == 0 && fd == g_recorder->fd_) g_recorder->resized(off + len);
    return r;
  }

  int fd_;
  std::byte* map_;
  std::string shadow_;  // the file as the recorded writes left it
  size_t page_size_;
  os::IoHooks hooks_;
  std::vector<Event> events_;
};

// --- one recorded run ------------------------------------------------------------------------------------

struct Trace {
  std::string initial;  // data.mdb when recording began (durable: synced)
  std::vector<Event> events;
  std::map<uint64_t, uint64_t> digests;  // txnid -> digest of its committed content
  size_t page_size = 4096;
};

// A mode: environment flags, and for "oneflush" the one-flush commit on top of the default flags.
struct Mode {
  unsigned flags = 0;
  bool single_flush = false;
};

bool parse_power_mode(const std::string& name, Mode* mode) {
  if (name == "oneflush") {
    *mode = Mode{0, true};
    return true;
  }
  mode->single_flush = false;
  return parse_mode(name, &mode->flags) && !(mode->flags & (kNoSync | kMapAsync));
}

EnvOptions options_for(const Mode& mode) {
  EnvOptions o;
  o.max_dbs = 4;
  o.flags = mode.flags;
  o.single_flush_commit = mode.single_flush;
  return o;
}

// Commits one small change until the last txnid reaches `target` (without syncs: only the end is synced).
Status preroll(Env& env, unsigned flags, uint64_t target) {
  ASPEN_TRY(env.set_flags(kNoSync, true));
  for (;;) {
    ASPEN_ASSIGN(EnvInfo info, env.info());
    if (info.last_txnid >= target) break;
    ASPEN_ASSIGN(WriteTxn txn, env.begin_write());
    ASPEN_ASSIGN(Dbi main, txn.open_db(nullptr));
    ASPEN_TRY(txn.put(main, std::string_view("m-preroll"), std::string_view(info.last_txnid % 2 ? "x" : "y")));
    ASPEN_TRY(txn.commit());
  }
  if (!(flags & kNoSync)) ASPEN_TRY(env.set_flags(kNoSync, false));
  ASPEN_ASSIGN(WriteTxn txn, env.begin_write());
  ASPEN_ASSIGN(Dbi main, txn.open_db(nullptr));
  ASPEN_TRY(txn.put(main, std::string_view("m-preroll"), std::string_view("x")));
  return txn.commit();
}

std::string record(const std::string& dir, const Mode& mode, Shape shape, uint64_t seed, uint64_t txns, Trace* trace,
                   bool drop_data_syncs) {
  const unsigned flags = mode.flags;
  Result<Env> env = Env::open(dir, options_for(mode));
  if (!env.ok()) return std::string("open: ") + error_message(env.code());
  if (!create_dbs(*env).ok()) return "setting up the databases failed";
  // Pre-roll txnids so that the recorded commits cross 0x100: a meta write torn inside its txnid field then
  // mixes bytes of different weight (the case where the low bytes alone are not enough to tell).
  Model model;
  if (!preroll(*env, flags, 0x100 - txns / 2).ok() || !env->sync(true).ok()) return "the pre-roll failed";
  model.dbs["main"]["m-preroll"] = {"x"};
  Result<EnvInfo> info = env->info();
  if (!info.ok()) return "info failed";
  uint64_t txnid = info->last_txnid;
  trace->digests[txnid] = model.digest();
  trace->initial = read_file(dir + "/data.mdb");
  trace->page_size = env->native()->geometry().page_size;
  Workload workload(shape, seed, !(flags & kWriteMap));
  {
    Recorder rec(env->fd(), (flags & kWriteMap) ? env->native()->map() : nullptr, trace->initial, trace->page_size);
    for (uint64_t i = 0; i < txns; ++i) {
      Status st = workload.run_txn(*env, &model, [&](const Model& next) {
        rec.mark(Event::kIntent, txnid + 1, next.digest());
      });
      if (!st.ok()) return std::string("workload: ") + error_message(st.code());
      info = env->info();
      if (!info.ok()) return "info failed";
      txnid = info->last_txnid;
      trace->digests[txnid] = model.digest();
      rec.mark(Event::kAck, txnid, model.digest());
    }
    trace->events = std::move(rec.events());
  }
  if (drop_data_syncs) {
    // Harness self-test: a disk that ignores the flush between the data pages and the meta. Sync modes must
    // then show lost or broken commits; if they do not, the suite cannot see ordering bugs.
    std::vector<Event> kept;
    for (size_t i = 0; i < trace->events.size(); ++i) {
      const Event& e = trace->events[i];
      const bool meta_next = i + 1 < trace->events.size() && trace->events[i + 1].kind == Event::kWrite &&
                             trace->events[i + 1].off < 2 * trace->page_size;
      if (!(e.kind == Event::kSync && meta_next)) kept.push_back(e);
    }
    trace->events = std::move(kept);
  }
  return "";
}

// --- crash states -------------------------------------------------------------------------------------

struct Piece {  // a write applied in full (len = data size) or in part
  const Event* write;
  std::vector<std::pair<size_t, size_t>> ranges;  // byte ranges of the write that reached the disk
};

struct Epoch {
  size_t first, end;  // event indexes [first, end); end is the sync closing it (or the log's end)
  std::vector<const Event*> writes;
  uint64_t last_ack = 0;     // txnid of the last ACK before the epoch ended
  uint64_t max_intent = 0;   // the newest txnid committed or in flight by the epoch's end
};

struct Settings {
  bool strict = true;          // sync mode: no acknowledged commit may be lost
  uint64_t subsets = 8;        // random subsets per epoch
  uint64_t sector_tears = 4;   // sector tears per write (0: none; large: every sector)
  uint64_t meta_tears = 1000;  // byte tears per meta write: every position up to this many, else a sample
  bool sector_atomic_meta = false;  // meta writes tear only at sector boundaries (assumption M4)
  uint64_t lmdb_every = 1;     // liblmdb reads every n-th state after recovery (0: never)
  bool verbose = false;
};

struct Totals {
  uint64_t states = 0, duplicates = 0, failures = 0, torn_meta_states = 0, fallbacks = 0, lost_unacked = 0,
           rewritten = 0, manifest_fallbacks = 0, lmdb_checked = 0, lmdb_unsafe_raw = 0;
  void add(const Totals& t) {
    states += t.states, duplicates += t.duplicates, failures += t.failures, torn_meta_states += t.torn_meta_states;
    fallbacks += t.fallbacks, lost_unacked += t.lost_unacked, rewritten += t.rewritten;
    manifest_fallbacks += t.manifest_fallbacks, lmdb_checked += t.lmdb_checked, lmdb_unsafe_raw += t.lmdb_unsafe_raw;
  }
};

unsigned long long ull(uint64_t v) { return v; }  // for printf's %llu

// The txnid of the newest meta of `image` when it is a one-flush commit whose pages do not match its manifest,
// else 0: the states in which Aspen must fall back to the other meta.
uint64_t torn_one_flush_txnid(const std::string& image, size_t psize) {
  const std::byte* bytes = reinterpret_cast<const std::byte*>(image.data());
  int newest = -1;
  format::Meta metas[format::kNumMetas];
  for (unsigned i = 0; i < format::kNumMetas && (i + 1) * psize <= image.size(); ++i) {
    std::memcpy(&metas[i], bytes + i * psize + format::kMetaOffset, sizeof metas[i]);
    const bool valid = metas[i].magic == format::kMagic &&
                       format::judge_seal(bytes + i * psize, psize, psize) != format::SealState::kTorn;
    if (valid && (newest < 0 || metas[i].txnid > metas[newest].txnid)) newest = static_cast<int>(i);
  }
  if (newest < 0 || format::judge_seal(bytes + newest * psize, psize, psize) != format::SealState::kSealedManifest)
    return 0;
  const check::FileRead read = [&image](uint64_t offset, std::span<std::byte> out) -> Result<size_t> {
    const size_t n = offset >= image.size() ? 0 : std::min<size_t>(out.size(), image.size() - offset);
    std::memcpy(out.data(), image.data() + offset, n);
    return n;
  };
  Result<bool> whole = check::manifest_pages_match(bytes + newest * psize, psize, read);
  return whole.ok() && *whole ? 0 : metas[newest].txnid;
}

class StateRunner {
 public:
  StateRunner(const Trace& trace, const Mode& mode, const Settings& settings, const std::string& dir,
              const std::string& label, uint64_t seed)
      : trace_(trace), mode_(mode), settings_(settings), dir_(dir), label_(label), rng_(seed) {}

  void run_all() {
    std::string durable = trace_.initial;
    uint64_t last_ack = trace_.digests.begin()->first, max_intent = last_ack;
    size_t first = 0;
    for (size_t i = 0; i <= trace_.events.size(); ++i) {
      const bool end = i == trace_.events.size();
      if (!end && trace_.events[i].kind != Event::kSync) {
        const Event& e = trace_.events[i];
        if (e.kind == Event::kAck) last_ack = std::max(last_ack, e.txnid);
        if (e.kind == Event::kIntent || e.kind == Event::kAck) max_intent = std::max(max_intent, e.txnid);
        if (e.kind == Event::kSize && durable.size() < e.off) durable.resize(e.off, '\0');
        continue;
      }
      Epoch epoch{first, i, {}, last_ack, max_intent};
      for (size_t k = first; k < i; ++k)
        if (trace_.events[k].kind == Event::kWrite) epoch.writes.push_back(&trace_.events[k]);
      run_epoch(durable, epoch);
      for (const Event* w : epoch.writes) apply(durable, *w, {{0, w->data.size()}});
      first = i + 1;
    }
  }

  const Totals& totals() const { return totals_; }

 private:
  static void apply(std::string& image, const Event& w, const std::vector<std::pair<size_t, size_t>>& ranges) {
    for (auto [from, to] : ranges) {
      if (image.size() < w.off + to) image.resize(w.off + to, '\0');
      std::memcpy(image.data() + w.off + from, w.data.data() + from, to - from);
    }
  }

  bool is_meta(const Event& w) const { return w.off < 2 * trace_.page_size; }

  void run_epoch(const std::string& durable, const Epoch& epoch) {
    const auto& ws = epoch.writes;
    std::string image = durable;
    for (size_t j = 0; j <= ws.size(); ++j) {
      try_state(image, epoch, false);  // the first j writes arrived
      if (j == ws.size()) break;
      sector_tears(image, epoch, *ws[j]);
      if (is_meta(*ws[j]) && !settings_.sector_atomic_meta) byte_tears(image, epoch, *ws[j]);
      apply(image, *ws[j], {{0, ws[j]->data.size()}});
    }
    if (mode_.single_flush) meta_without_a_page(durable, epoch);
    for (uint64_t r = 0; r < settings_.subsets && ws.size() > 1; ++r) {
      image = durable;
      for (const Event* w : ws) {
        const unsigned roll = rng_() % 10;
        if (roll < 4) continue;
        if (roll < 8 || w->data.size() <= kSector) apply(image, *w, {{0, w->data.size()}});
        else apply(image, *w, random_sectors(*w));
      }
      try_state(image, epoch, false);
    }
  }

  // The offsets inside `w` at which a sector of the file begins: where the write can tear.
  static std::vector<size_t> sector_cuts(const Event& w) {
    std::vector<size_t> cuts;
    for (size_t b = kSector - w.off % kSector; b < w.data.size(); b += kSector) cuts.push_back(b);
    return cuts;
  }

  std::vector<std::pair<size_t, size_t>> random_sectors(const Event& w) {
    std::vector<size_t> bounds = sector_cuts(w);
    bounds.insert(bounds.begin(), 0);
    bounds.push_back(w.data.size());
    std::vector<std::pair<size_t, size_t>> ranges;
    for (size_t i = 0; i + 1 < bounds.size(); ++i)
      if (rng_() % 2) ranges.push_back({bounds[i], bounds[i + 1]});
    return ranges;
  }

  // The sectors of `w` before a cut arrived (a write torn at a sector boundary), on top of `base`.
  void sector_tears(const std::string& base, const Epoch& epoch, const Event& w) {
    const std::vector<size_t> all = sector_cuts(w);
    if (all.empty() || settings_.sector_tears == 0) return;
    std::vector<size_t> cuts = all;
    if (all.size() > settings_.sector_tears) {
      cuts.clear();
      for (uint64_t k = 0; k < settings_.sector_tears; ++k) cuts.push_back(all[rng_() % all.size()]);
    }
    for (size_t cut : cuts) {
      std::string image = base;
      apply(image, w, {{0, cut}});
      try_state(image, epoch, is_meta(w));
    }
  }

  // A one-flush commit syncs once, after its pages and its meta: the meta and all pages but one arrived, the
  // one missing entirely or torn at a sector boundary (every page of the epoch, or a sample of kMissingPages).
  void meta_without_a_page(const std::string& durable, const Epoch& epoch) {
    constexpr size_t kMissingPages = 8;
    const auto& ws = epoch.writes;
    if (std::none_of(ws.begin(), ws.end(), [&](const Event* w) { return is_meta(*w); })) return;
    std::vector<const Event*> pages;
    for (const Event* w : ws)
      if (!is_meta(*w)) pages.push_back(w);
    std::shuffle(pages.begin(), pages.end(), rng_);
    if (pages.size() > kMissingPages) pages.resize(kMissingPages);
    for (const Event* missing : pages) {
      const std::vector<size_t> cuts = sector_cuts(*missing);
      for (int torn = 0; torn <= (cuts.empty() ? 0 : 1); ++torn) {
        std::string image = durable;
        for (const Event* w : ws) {
          if (w != missing) apply(image, *w, {{0, w->data.size()}});
          else if (torn) apply(image, *w, {{0, cuts[rng_() % cuts.size()]}});
        }
        try_state(image, epoch, false);
      }
    }
  }

  // A meta write torn inside its sector: every prefix and every suffix of the bytes that change.
  void byte_tears(const std::string& base, const Epoch& epoch, const Event& w) {
    size_t lo = w.data.size(), hi = 0;
    for (size_t b = 0; b < w.data.size(); ++b) {
      const bool same = w.off + b < base.size() && base[w.off + b] == w.data[b];
      if (!same) lo = std::min(lo, b), hi = b + 1;
    }
    if (lo >= hi) return;
    std::vector<size_t> cuts;
    if (hi - lo - 1 <= settings_.meta_tears) {
      for (size_t b = lo + 1; b < hi; ++b) cuts.push_back(b);
    } else {
      for (uint64_t k = 0; k < settings_.meta_tears; ++k) cuts.push_back(lo + 1 + rng_() % (hi - lo - 1));
    }
    for (size_t b : cuts) {
      std::string prefix = base, suffix = base;
      apply(prefix, w, {{0, b}});
      apply(suffix, w, {{b, w.data.size()}});
      try_state(prefix, epoch, true);
      try_state(suffix, epoch, true);
    }
  }

  static uint64_t image_hash(const std::string& image) {
    uint64_t h = 0xcbf29ce484222325ULL ^ image.size();
    size_t i = 0;
    for (; i + 8 <= image.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, image.data() + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
    for (; i < image.size(); ++i) h = (h ^ static_cast<unsigned char>(image[i])) * 0x100000001b3ULL;
    return h;
  }

  void try_state(const std::string& image, const Epoch& epoch, bool torn_meta) {
    if (!seen_.insert(image_hash(image)).second) {
      ++totals_.duplicates;
      return;
    }
    ++totals_.states;
    totals_.torn_meta_states += torn_meta;
    std::string why = verify(image, epoch);
    if (why.empty()) return;
    ++totals_.failures;
    if (totals_.failures <= 5) {
      const std::string kept = dir_ + "-failed-" + std::to_string(totals_.failures);
      remove_tree(kept);
      std::rename(dir_.c_str(), kept.c_str());
      ::mkdir(dir_.c_str(), 0755);
      std::fprintf(stderr, "power_loss %s epoch [%zu,%zu) state %llu: %s (kept in %s)\n", label_.c_str(), epoch.first,
                   epoch.end, static_cast<unsigned long long>(totals_.states), why.c_str(), kept.c_str());
    }
  }

  std::string verify(const std::string& image, const Epoch& epoch) {
    remove_tree(dir_ + "/lock.mdb");
    write_file(dir_ + "/data.mdb", image);
    const uint64_t torn_txnid = torn_one_flush_txnid(image, trace_.page_size);
    LmdbRead raw;
    // The file as the crash left it, before Aspen repairs it (only when liblmdb reads every state).
    if (torn_txnid && settings_.lmdb_every == 1) raw = lmdb_view(dir_, true);
    uint64_t txnid, digest;
    {
      Result<Env> env = Env::open(dir_, options_for(mode_));
      if (!env.ok()) return std::string("open failed: ") + error_message(env.code());
      Result<Model> model = read_model(*env);
      if (!model.ok()) return std::string("reading failed: ") + error_message(model.code());
      Result<EnvInfo> info = env->info();
      if (!info.ok()) return "info failed";
      txnid = info->last_txnid;
      auto it = trace_.digests.find(txnid);
      if (it == trace_.digests.end()) return "recovered txnid " + std::to_string(txnid) + " was never committed";
      if (it->second != model->digest()) return "the content of txnid " + std::to_string(txnid) + " is not what it committed";
      const uint64_t floor = settings_.strict ? epoch.last_ack : (epoch.last_ack ? epoch.last_ack - 1 : 0);
      if (txnid < floor)
        return "lost acknowledged commits: recovered " + std::to_string(txnid) + ", acknowledged " + std::to_string(epoch.last_ack);
      if (txnid > epoch.max_intent) return "recovered a txnid from the future: " + std::to_string(txnid);
      totals_.lost_unacked += txnid < epoch.max_intent;
      digest = model->digest();
      if (torn_txnid) {
        ++totals_.manifest_fallbacks;
        if (txnid >= torn_txnid)
          return "recovered txnid " + std::to_string(txnid) + " although the pages of " + std::to_string(torn_txnid) +
                 " do not match its manifest";
        totals_.lmdb_unsafe_raw += settings_.lmdb_every == 1 && (!raw.ok || raw.digest != digest);
      }
      if (++verified_ % 16 == 0) {
        if (std::string w = write_after_recovery(*env, txnid); !w.empty()) return w;
      }
    }
    std::string verdict = check_verdict(dir_, -1, true);
    if (!verdict.empty()) return "checker: " + verdict;
    return lmdb_agrees(digest);
  }

  // After Aspen's first open, liblmdb reads what Aspen read (the content, not the txnid: a commit after
  // recovery adds only a key that the model skips).
  std::string lmdb_agrees(uint64_t digest) {
    if (!have_liblmdb() || settings_.lmdb_every == 0 || verified_ % settings_.lmdb_every != 0) return "";
    const LmdbRead got = lmdb_view(dir_, false);
    if (!got.ok) return std::string("liblmdb: ") + got.why;
    ++totals_.lmdb_checked;
    return got.digest == digest ? "" : "liblmdb reads other content than Aspen recovered";
  }

  // The recovered environment takes a commit; then the checker sees it (and the torn meta it replaced).
  std::string write_after_recovery(Env& env, uint64_t txnid) {
    Result<WriteTxn> txn = env.begin_write();
    if (!txn.ok()) return std::string("begin_write after recovery: ") + error_message(txn.code());
    Status st = txn->put(*txn->open_db(nullptr), std::string_view("zz-after-recovery"), std::string_view("1"));
    if (st.ok()) st = txn->commit();
    if (!st.ok()) return std::string("commit after recovery: ") + error_message(st.code());
    Result<EnvInfo> info = env.info();
    if (!info.ok() || info->last_txnid != txnid + 1) return "the commit after recovery did not take the next txnid";
    ++totals_.rewritten;
    return "";
  }

  const Trace& trace_;
  Mode mode_;
  Settings settings_;
  std::string dir_, label_;
  std::mt19937_64 rng_;
  std::unordered_set<uint64_t> seen_;
  uint64_t verified_ = 0;
  Totals totals_;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  const auto modes = split(opt.get("modes", "default,nometasync,writemap,writemap+nometasync,oneflush"));
  const auto shapes = split(opt.get("shapes", "growth,overflow,dupsort,nested,deletes,mixed"));
  const uint64_t txns = opt.number("txns", 12), seed = opt.number("seed", 1);
  Settings settings;
  settings.subsets = opt.number("subsets", 8);
  settings.sector_tears = opt.number("sector-tears", 4);
  settings.meta_tears = opt.get("meta-tears", "all") == "all" ? 100000 : opt.number("meta-tears", 16);
  // liblmdb reads every 8th recovered state, and every one in the oneflush mode, unless told otherwise.
  const bool lmdb_every_given = !opt.get("lmdb-every", "").empty();
  const uint64_t lmdb_every = opt.number("lmdb-every", 8);
  ScratchDir scratch("powerloss");
  if (opt.flag("keep")) scratch.keep();
  const auto start = std::chrono::steady_clock::now();
  Totals all;
  uint64_t workloads = 0;
  bool untested_fallbacks = false;
  for (const std::string& mode : modes) {
    Mode power_mode;
    if (!parse_power_mode(mode, &power_mode))
      return usage("crash_power_loss: --modes takes default, nometasync, writemap, writemap+nometasync, oneflush");
    const unsigned flags = power_mode.flags;
    uint64_t mode_fallbacks = 0;
    for (const std::string& shape_text : shapes) {
      Shape shape;
      if (!parse_shape(shape_text, &shape)) return usage("crash_power_loss: unknown shape");
      if (shape == Shape::kNested && (flags & aspen::kWriteMap)) continue;  // no nested txns under WRITEMAP
      const std::string label = mode + "/" + shape_text;
      const std::string rec_dir = scratch.sub("rec-" + std::to_string(workloads));
      Trace trace;
      std::string err = record(rec_dir, power_mode, shape, seed + workloads, txns, &trace, opt.flag("self-test-drop-data-sync"));
      remove_tree(rec_dir);
      if (!err.empty()) {
        std::fprintf(stderr, "power_loss %s: recording failed: %s\n", label.c_str(), err.c_str());
        return 1;
      }
      settings.strict = !(flags & aspen::kNoMetaSync);
      settings.sector_atomic_meta = power_mode.single_flush;
      settings.lmdb_every = power_mode.single_flush && !lmdb_every_given ? 1 : lmdb_every;
      StateRunner runner(trace, power_mode, settings, scratch.sub("state"), label, seed * 1000 + workloads);
      runner.run_all();
      const Totals& t = runner.totals();
      std::printf("  %-20s events=%-5zu states=%-6llu torn_meta=%-5llu rewritten=%-4llu lost_unacked=%-5llu "
                  "manifest_fallbacks=%-4llu lmdb_checked=%-6llu lmdb_unsafe_raw=%-4llu failures=%llu\n",
                  label.c_str(), trace.events.size(), ull(t.states), ull(t.torn_meta_states), ull(t.rewritten),
                  ull(t.lost_unacked), ull(t.manifest_fallbacks), ull(t.lmdb_checked), ull(t.lmdb_unsafe_raw),
                  ull(t.failures));
      std::fflush(stdout);
      all.add(t);
      mode_fallbacks += t.manifest_fallbacks;
      ++workloads;
    }
    if (power_mode.single_flush && mode_fallbacks == 0) {
      std::fprintf(stderr, "power_loss %s: no state had a one-flush meta without its pages: the fallback went "
                           "untested\n", mode.c_str());
      untested_fallbacks = true;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("power_loss workloads=%llu txns_each=%llu seed=%llu crash_states=%llu torn_meta_states=%llu "
              "duplicates_skipped=%llu written_after_recovery=%llu unacked_lost=%llu manifest_fallbacks=%llu "
              "lmdb_checked=%llu lmdb_unsafe_raw=%llu failures=%llu seconds=%.1f\n",
              ull(workloads), ull(txns), ull(seed), ull(all.states), ull(all.torn_meta_states), ull(all.duplicates),
              ull(all.rewritten), ull(all.lost_unacked), ull(all.manifest_fallbacks), ull(all.lmdb_checked),
              ull(all.lmdb_unsafe_raw), ull(all.failures), secs);
  if (all.failures && !opt.flag("self-test-drop-data-sync")) scratch.keep(), std::printf("kept %s\n", scratch.path().c_str());
  return all.failures == 0 && !untested_fallbacks ? 0 : 1;
}
