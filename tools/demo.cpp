// `aspen demo` (layer: tools): what Aspen does, end to end, in a temporary directory.
//
// Creates an environment, loads N keys (16-byte keys in random order, 100-byte values) in write
// transactions of B keys each, reads every key back in a random order and then with one sequential cursor
// scan (verifying each value), runs the integrity checker on the file, prints timings and throughput, and
// removes the directory (unless -k). Exit status 1 if any step fails or the checker finds a problem.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "cli.hpp"
#include "progress.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kHelp =
    "usage: aspen demo [-n keys] [-b batch] [-k]\n"
    "Create an environment in a temporary directory, load keys (16-byte keys, 100-byte values) in batches,\n"
    "read them all back randomly and sequentially, check the file, print timings, remove the directory.\n"
    "  -n keys   number of keys (default 1000000)\n"
    "  -b batch  keys per write transaction (default 10000)\n"
    "  -k        keep the directory\n";

constexpr size_t kKeySize = 16;
constexpr size_t kValueSize = 100;

using Clock = std::chrono::steady_clock;

// A 64-bit mix (splitmix64's finaliser): distinct for distinct i, so keys are unique and spread out.
uint64_t mix(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string key_of(uint64_t i) {
  char key[kKeySize + 1];
  std::snprintf(key, sizeof key, "%016" PRIx64, mix(i));
  return std::string(key, kKeySize);
}

std::string value_of(uint64_t i) {
  std::string v(kValueSize, '\0');
  for (size_t j = 0; j < kValueSize; ++j) v[j] = static_cast<char>('a' + (i + j) % 26);
  return v;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void report(const char* step, uint64_t count, const char* unit, double secs) {
  std::printf("  %-12s %10" PRIu64 " %-8s %8.3f s %12.0f %s/s\n", step, count, unit, secs,
              secs > 0 ? count / secs : 0.0, unit);
}

struct DemoConfig {
  uint64_t keys = 1000000;
  uint64_t batch = 10000;
  bool keep = false;
};

bool fail(const char* what, int code) {
  std::fprintf(stderr, "aspen demo: %s failed: %s\n", what, error_text(code));
  return false;
}

bool load_keys(Env& env, const DemoConfig& c) {
  Progress progress("loading");
  const auto start = Clock::now();
  for (uint64_t first = 0; first < c.keys; first += c.batch) {
    Result<WriteTxn> txn = env.begin_write();
    if (!txn.ok()) return fail("begin_write", txn.code());
    Result<Dbi> main = txn->open_db(nullptr, 0);
    if (!main.ok()) return fail("open_db", main.code());
    for (uint64_t i = first; i < first + c.batch && i < c.keys; ++i)
      if (Status st = txn->put(*main, key_of(i), value_of(i)); !st.ok()) return fail("put", st.code());
    if (Status st = txn->commit(); !st.ok()) return fail("commit", st.code());
    progress.update(std::min(first + c.batch, c.keys), c.keys);
  }
  progress.finish();
  report("load", c.keys, "keys", seconds_since(start));
  return true;
}

bool read_random(Env& env, const DemoConfig& c) {
  std::vector<uint64_t> order(c.keys);
  std::iota(order.begin(), order.end(), uint64_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  const auto start = Clock::now();
  Result<ReadTxn> txn = env.begin_read();
  if (!txn.ok()) return fail("begin_read", txn.code());
  Result<Dbi> main = txn->open_db(nullptr, 0);
  if (!main.ok()) return fail("open_db", main.code());
  for (uint64_t i : order) {
    Result<std::string_view> v = txn->get(*main, key_of(i));
    if (!v.ok()) return fail("get", v.code());
    if (*v != value_of(i)) return fail("get (wrong value)", code::kCorrupted);
  }
  report("random get", c.keys, "keys", seconds_since(start));
  return true;
}

bool read_sequential(Env& env, const DemoConfig& c) {
  const auto start = Clock::now();
  Result<ReadTxn> txn = env.begin_read();
  if (!txn.ok()) return fail("begin_read", txn.code());
  Result<Dbi> main = txn->open_db(nullptr, 0);
  if (!main.ok()) return fail("open_db", main.code());
  Result<Cursor> cursor = txn->cursor(*main);
  if (!cursor.ok()) return fail("cursor", cursor.code());
  uint64_t n = 0;
  std::string previous;
  Result<Entry> e = cursor->get(CursorOp::kFirst);
  for (; e.ok(); e = cursor->get(CursorOp::kNext), ++n) {
    if (e->key.size() != kKeySize || e->value.size() != kValueSize || std::string(e->key_string()) <= previous)
      return fail("scan (bad record or order)", code::kCorrupted);
    previous = e->key_string();
  }
  if (e.code() != code::kNotFound) return fail("scan", e.code());
  if (n != c.keys) return fail("scan (wrong count)", code::kCorrupted);
  report("scan", n, "keys", seconds_since(start));
  return true;
}

bool check_file(const std::string& dir) {
  const auto start = Clock::now();
  Result<check::CheckReport> r = check::check_environment(dir);
  if (!r.ok()) return fail("check", r.code());
  const uint64_t pages = r->meta.last_page + 1;
  report("check", pages, "pages", seconds_since(start));
  std::printf("  %s: %" PRIu64 " branch, %" PRIu64 " leaf, %" PRIu64 " free pages; %zu problems\n",
              r->ok() ? "checker OK" : "checker FAILED", r->pages.branch, r->pages.leaf, r->pages.free,
              r->problems.size() + static_cast<size_t>(r->problems_omitted));
  for (const check::Problem& p : r->problems) std::printf("    %s\n", check::to_string(p).c_str());
  return r->ok();
}

bool run(const std::string& dir, const DemoConfig& c) {
  Result<Env> env = Env::open(dir, EnvOptions{uint64_t{4} << 30, 126, 0, 0, 0644});
  if (!env.ok()) return fail("open", env.code());
  if (!load_keys(*env, c) || !read_random(*env, c) || !read_sequential(*env, c)) return false;
  Result<Stat> st = env->stat();
  if (st.ok())
    std::printf("  tree: depth %u, %" PRIu64 " branch pages, %" PRIu64 " leaf pages, %" PRIu64 " entries\n", st->depth,
                st->branch_pages, st->leaf_pages, st->entries);
  env->close();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(dir + "/data.mdb", ec);
  if (!ec) std::printf("  data.mdb: %.1f MiB\n", static_cast<double>(bytes) / (1 << 20));
  return check_file(dir);
}

}  // namespace

int run_demo(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "n:b:k");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (!args.ok || !args.positional.empty()) return usage(args.prog, "[-n keys] [-b batch] [-k]");
  DemoConfig c;
  if (const std::string* n = args.value('n')) c.keys = std::strtoull(n->c_str(), nullptr, 10);
  if (const std::string* b = args.value('b')) c.batch = std::max<uint64_t>(1, std::strtoull(b->c_str(), nullptr, 10));
  c.keep = args.has('k');
  std::string dir = (std::filesystem::temp_directory_path() / "aspen-demo-XXXXXX").string();
  if (!mkdtemp(dir.data())) return fail("mkdtemp", errno), EXIT_FAILURE;
  std::printf("aspen demo: %" PRIu64 " keys (%zu-byte keys, %zu-byte values), %" PRIu64 " per transaction, in %s\n",
              c.keys, kKeySize, kValueSize, c.batch, dir.c_str());
  const bool ok = run(dir, c);
  if (!c.keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::printf("  removed %s\n", dir.c_str());
  }
  std::printf("%s\n", ok ? "demo OK" : "demo FAILED");
  return ok ? 0 : EXIT_FAILURE;
}

}  // namespace aspen::tools
