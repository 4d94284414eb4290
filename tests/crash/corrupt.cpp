// crash_corrupt: corrupted files (tests/crash).
//
// A small database (three databases, overflow values, a DUPSORT key grown into a sub-tree, ~60 pages) is
// damaged in every way of three families, one at a time:
//   - every single-bit flip of both meta pages (the bytes anything reads: page header, meta record, seal;
//     with --whole-meta every bit of the two pages);
//   - every single-bit flip of every other page's 16-byte header;
//   - truncation at every page boundary.
// For each damaged file: Aspen opens it (or refuses with an error), reads every database through cursors, and
// the checker examines it. Nothing may crash (a crash kills the suite: the last case printed names it). And
// the checker must report every structural change: whenever the checker finds nothing, what Aspen reads must
// be exactly the newest or the previous committed snapshot of the undamaged file; otherwise the checker
// missed a change and the case fails. (A flip in an unused byte, a free page's header or the file's slack is
// no structural change; the suite counts them as "harmless".)
//
// usage: crash_corrupt [--whole-meta] [--keep] [--verbose]
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "crash_support.hpp"

namespace aspen::crash {
namespace {

constexpr size_t kPage = 4096;

struct Totals {
  uint64_t cases = 0, refused = 0, read_errors = 0, detected = 0, harmless = 0, fallback = 0, missed = 0;
};

const char* g_case = "";  // printed by the crash handler
char g_case_buf[160];

void on_crash(int sig) {
  char msg[256];
  int n = std::snprintf(msg, sizeof msg, "\ncrash_corrupt: signal %d while running case: %s\n", sig, g_case);
  (void)!::write(2, msg, static_cast<size_t>(n));
  ::_exit(3);
}

class CorruptSuite {
 public:
  explicit CorruptSuite(const std::string& root) : root_(root), dir_(root + "/case") { ::mkdir(dir_.c_str(), 0755); }

  bool build() {
    const std::string src = root_ + "/src";
    ::mkdir(src.c_str(), 0755);
    {
      EnvOptions o;
      o.max_dbs = 4;
      Result<Env> env = Env::open(src, o);
      if (!env.ok() || !create_dbs(*env).ok()) return false;
      Model model;
      Workload mixed(Shape::kMixed, 11, true), dups(Shape::kDupSort, 12, false), big(Shape::kOverflow, 13, false);
      for (int i = 0; i < 6; ++i) {
        if (!mixed.run_txn(*env, &model).ok() || !dups.run_txn(*env, &model).ok()) return false;
      }
      if (!big.run_txn(*env, &model).ok()) return false;
      // One DUPSORT key with enough duplicates to leave its sub-page for a sub-tree.
      Result<WriteTxn> txn = env->begin_write();
      if (!txn.ok()) return false;
      Dbi dbi = *txn->open_db("dups", kDupSort);
      for (int i = 0; i < 300; ++i) {
        char v[32];
        std::snprintf(v, sizeof v, "dup-value-%05d", i);
        if (!txn->put(dbi, std::string_view("d-subtree"), std::string_view(v)).ok()) return false;
        model.dbs["dups"]["d-subtree"].insert(v);
      }
      if (!txn->commit().ok() || !mixed.run_txn(*env, &model).ok()) return false;
      newest_ = model.digest();
    }
    image_ = read_file(src + "/data.mdb");
    Result<uint64_t> prev = read_digest(src, true);
    if (!prev.ok() || !read_digest(src, false).ok() || *read_digest(src, false) != newest_) return false;
    previous_ = *prev;
    std::printf("database: %zu pages, newest snapshot %016llx, previous %016llx\n", image_.size() / kPage,
                static_cast<unsigned long long>(newest_), static_cast<unsigned long long>(previous_));
    return check_verdict(src, -1, false).empty();
  }

  void meta_flips(bool whole) {
    const size_t bytes = whole ? kPage : 280;  // header 16 + record 136 + gap + seal at 256..280
    for (size_t page = 0; page < 2; ++page)
      for (size_t b = 0; b < bytes; ++b)
        for (int bit = 0; bit < 8; ++bit) flip_case("meta", page * kPage + b, bit);
  }

  void header_flips() {
    for (size_t page = 2; page < image_.size() / kPage; ++page)
      for (size_t b = 0; b < 16; ++b)
        for (int bit = 0; bit < 8; ++bit) flip_case("header", page * kPage + b, bit);
  }

  void truncations() {
    for (size_t pages = 0; pages < image_.size() / kPage; ++pages) {
      std::snprintf(g_case_buf, sizeof g_case_buf, "truncate to %zu pages", pages);
      g_case = g_case_buf;
      run(image_.substr(0, pages * kPage), "truncate");
    }
  }

  const Totals& totals() const { return totals_; }
  bool verbose = false;

 private:
  void flip_case(const char* family, size_t byte, int bit) {
    std::snprintf(g_case_buf, sizeof g_case_buf, "%s flip: byte %zu (page %zu offset %zu) bit %d", family, byte,
                  byte / kPage, byte % kPage, bit);
    g_case = g_case_buf;
    std::string damaged = image_;
    damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
    run(damaged, family);
  }

  Result<uint64_t> read_digest(const std::string& dir, bool previous) {
    EnvOptions o;
    o.max_dbs = 4;
    o.flags = kReadOnly;
    o.previous_snapshot = previous;
    ASPEN_ASSIGN(Env env, Env::open(dir, o));
    ASPEN_ASSIGN(Model model, read_model(env));
    return model.digest();
  }

  void run(const std::string& damaged, const char* family) {
    ++totals_.cases;
    remove_tree(dir_ + "/lock.mdb");
    write_file(dir_ + "/data.mdb", damaged);
    // Aspen first: open (refusing is fine), read everything (an error is fine), never crash.
    EnvOptions o;
    o.max_dbs = 4;
    o.flags = kReadOnly;
    bool refused = false, read_error = false;
    uint64_t digest = 0;
    {
      Result<Env> env = Env::open(dir_, o);
      if (!env.ok()) {
        refused = true;
      } else {
        Result<Model> model = read_model(*env);
        if (model.ok()) digest = model->digest();
        else read_error = true;
      }
    }
    totals_.refused += refused;
    totals_.read_errors += read_error;
    const std::string verdict = check_verdict(dir_, -1, false);
    if (!verdict.empty()) {
      ++totals_.detected;
      return;
    }
    if (!refused && !read_error && digest == newest_) {
      ++totals_.harmless;
      return;
    }
    if (!refused && !read_error && digest == previous_) {
      ++totals_.fallback;  // Aspen fell back to the previous snapshot, which is sound
      return;
    }
    ++totals_.missed;
    if (totals_.missed <= 20)
      std::fprintf(stderr, "crash_corrupt: the checker found nothing, but Aspen %s (%s): %s\n",
                   refused ? "refused to open" : read_error ? "failed to read" : "read other content", family, g_case);
  }

  std::string root_, dir_, image_;
  uint64_t newest_ = 0, previous_ = 0;
  Totals totals_;
};

}  // namespace
}  // namespace aspen::crash

int main(int argc, char** argv) {
  using namespace aspen::crash;
  Options opt(argc, argv);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, on_crash);
  ScratchDir scratch("corrupt");
  if (opt.flag("keep")) scratch.keep();
  CorruptSuite suite(scratch.path());
  if (!suite.build()) return usage("crash_corrupt: building the sample database failed");
  const auto start = std::chrono::steady_clock::now();
  suite.meta_flips(opt.flag("whole-meta"));
  const Totals meta = suite.totals();
  suite.header_flips();
  const Totals headers = suite.totals();
  suite.truncations();
  const Totals& t = suite.totals();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  meta flips:    %llu cases\n  header flips:  %llu cases\n  truncations:   %llu cases\n",
              static_cast<unsigned long long>(meta.cases), static_cast<unsigned long long>(headers.cases - meta.cases),
              static_cast<unsigned long long>(t.cases - headers.cases));
  std::printf("corrupt cases=%llu detected_by_checker=%llu harmless=%llu fallback_to_previous=%llu aspen_refused=%llu "
              "aspen_read_errors=%llu missed=%llu crashes=0 seconds=%.1f\n",
              static_cast<unsigned long long>(t.cases), static_cast<unsigned long long>(t.detected),
              static_cast<unsigned long long>(t.harmless), static_cast<unsigned long long>(t.fallback),
              static_cast<unsigned long long>(t.refused), static_cast<unsigned long long>(t.read_errors),
              static_cast<unsigned long long>(t.missed), secs);
  return t.missed == 0 ? 0 : 1;
}
