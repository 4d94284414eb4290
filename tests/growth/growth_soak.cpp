// growth_soak: the growing map under load (issue 6). Loads --gib of values into an environment opened with
// no map size, while reader processes (this executable re-run with --reader, each opening the environment
// itself) keep checking snapshots the whole time; then runs `aspen check` on the result.
//
// Usage: growth_soak --aspen=PATH_TO_aspen [--gib=10] [--readers=3] [--batch-mib=4] [--dir=PARENT] [--nosync]
//                    [--keep]
//   The environment goes to a fresh directory under PARENT (default $TMPDIR, else /tmp) and is deleted at the
//   end unless --keep. More than 1 GiB on a tmpfs (RAM) is refused, and so is a disk without room for it.
//   Reader 0 also reopens its environment every 2 s (opening a large, growing file); the others keep theirs.
// Passes (exit 0) when no error reached the writer or any reader, every reader checked snapshots, and
// `aspen check` finds nothing. The data model is in growth_model.hpp, the reader in growth_reader.cpp.
// Not in CI at 10 GiB (README.md "Test suites"); CI runs --gib=0.25.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "growth_model.hpp"
#include "growth_soak.hpp"

extern char** environ;

namespace growth {
namespace {

constexpr aspen::Dbi kMain = 1;
constexpr long kTmpfsMagic = 0x01021994;

struct Options {
  double gib = 10;
  unsigned readers = 3;
  uint64_t batch_bytes = uint64_t{4} << 20;
  std::string parent;
  std::string aspen_tool;
  bool nosync = false;
  bool keep = false;
};

struct Reader {
  pid_t pid = -1;
  int stdin_fd = -1;   // closed to stop it
  int stdout_fd = -1;  // its report line
};

struct LoadStats {
  uint64_t batches = 0, entries = 0, bytes = 0, growth_steps = 0, map_size = 0;
  double seconds = 0;
};

int fail(const std::string& why) {
  std::fprintf(stderr, "growth_soak: %s\n", why.c_str());
  return 1;
}

// Starts this executable as a reader of `dir`, with its stdin and stdout on pipes.
Reader spawn_reader(const std::string& dir, unsigned index) {
  Reader r;
  int in[2], out[2];
  // Close-on-exec, so that no reader holds another's stdin open (its end of file is the stop signal).
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const std::string seed = std::to_string(index + 1), reopen = index == 0 ? "2000" : "0";
  std::string self = "/proc/self/exe", mode = "--reader";
  char* argv[] = {self.data(), mode.data(), const_cast<char*>(dir.c_str()), const_cast<char*>(seed.c_str()),
                  const_cast<char*>(reopen.c_str()), nullptr};
  if (posix_spawn(&r.pid, "/proc/self/exe", &actions, nullptr, argv, environ) != 0) r.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  r.stdin_fd = in[1];
  r.stdout_fd = out[0];
  return r;
}

// A reader that already ended (before it was told to) failed.
bool any_reader_ended(std::vector<Reader>& readers) {
  for (Reader& r : readers) {
    int status;
    if (waitpid(r.pid, &status, WNOHANG) == r.pid) {
      std::fprintf(stderr, "growth_soak: reader %d ended early (status %d)\n", static_cast<int>(r.pid), status);
      r.pid = -1;
      return true;
    }
  }
  return false;
}

// One batch in one write transaction (growth_model.hpp).
aspen::Status write_batch(aspen::Env& env, uint64_t b, uint64_t target_bytes, Totals* totals) {
  ASPEN_ASSIGN(aspen::WriteTxn txn, env.begin_write());
  BatchRecord rec;
  std::vector<std::byte> value;
  for (uint32_t j = 0; rec.bytes < target_bytes; ++j) {
    value.resize(value_size(b, j));
    value_bytes(b, j, value.data(), value.size());
    ASPEN_TRY(txn.put(kMain, aspen::bytes_of(data_key(b, j)), value, aspen::kNoOverwrite));
    rec.checksum = fold(rec.checksum, value.data(), value.size());
    rec.bytes += value.size();
    ++rec.count;
  }
  Totals next{b, totals->entries + rec.count, totals->bytes + rec.bytes};
  auto as_bytes = [](const auto& v) { return aspen::Bytes{reinterpret_cast<const std::byte*>(&v), sizeof v}; };
  ASPEN_TRY(txn.put(kMain, aspen::bytes_of(record_key(b)), as_bytes(rec), aspen::kNoOverwrite));
  ASPEN_TRY(txn.put(kMain, aspen::bytes_of(totals_key()), as_bytes(next)));
  ASPEN_TRY(txn.commit());
  *totals = next;
  return aspen::ok_status();
}

// Loads options.gib of values, batch by batch, watching the readers.
bool load(aspen::Env& env, const Options& o, std::vector<Reader>& readers, LoadStats* stats) {
  const uint64_t target = static_cast<uint64_t>(o.gib * double(uint64_t{1} << 30));
  const uint64_t start = now_ms();
  Totals totals;
  uint64_t next_report = uint64_t{1} << 30;
  for (uint64_t b = 1; totals.bytes < target; ++b) {
    aspen::Status st = write_batch(env, b, std::min(o.batch_bytes, target - totals.bytes), &totals);
    if (!st.ok()) return fail("batch " + std::to_string(b) + ": " + aspen::error_message(st.code())) == 0;
    auto info = env.info();
    if (!info.ok()) return fail("info") == 0;
    if (info->map_size != stats->map_size) ++stats->growth_steps;
    stats->map_size = info->map_size;
    if (any_reader_ended(readers)) return false;
    if (totals.bytes >= next_report) {
      std::fprintf(stderr, "growth_soak: %.1f GiB loaded, map %llu MiB, %.0f s\n", double(totals.bytes) / (1 << 30),
                   static_cast<unsigned long long>(info->map_size >> 20), double(now_ms() - start) / 1000);
      next_report += uint64_t{1} << 30;
    }
  }
  stats->batches = totals.last_batch;
  stats->entries = totals.entries;
  stats->bytes = totals.bytes;
  stats->seconds = double(now_ms() - start) / 1000;
  return true;
}

// Stops every reader and collects its report; false when one failed.
bool stop_readers(std::vector<Reader>& readers) {
  bool ok = true;
  for (Reader& r : readers) close(r.stdin_fd);
  for (Reader& r : readers) {
    char line[512] = {};
    ssize_t n = r.pid > 0 ? read(r.stdout_fd, line, sizeof line - 1) : 0;  // blocks until it reports or exits
    int status = -1;
    if (r.pid > 0) waitpid(r.pid, &status, 0);
    close(r.stdout_fd);
    const bool passed = r.pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0;
    std::fprintf(stderr, "growth_soak: reader %d: %s%s", static_cast<int>(r.pid), passed ? "" : "FAILED ",
                 n > 0 ? line : "no report\n");
    ok &= passed;
  }
  return ok;
}

int run_check(const std::string& tool, const std::string& dir) {
  pid_t pid;
  std::string cmd = "check", quiet = "-q";
  char* argv[] = {const_cast<char*>(tool.c_str()), cmd.data(), quiet.data(), const_cast<char*>(dir.c_str()), nullptr};
  if (posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv, environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string refuse_place(const std::string& parent, double gib) {
  struct statfs fs;
  struct statvfs vfs;
  if (statfs(parent.c_str(), &fs) != 0 || statvfs(parent.c_str(), &vfs) != 0) return parent + ": cannot stat";
  if (fs.f_type == kTmpfsMagic && gib > 1) return parent + " is a tmpfs (RAM): use a disk for more than 1 GiB";
  const double free_gib = double(vfs.f_bavail) * double(vfs.f_frsize) / double(uint64_t{1} << 30);
  // data.mdb holds ~1.35 bytes per byte of values.
  if (free_gib < gib * 1.5 + 1) return parent + ": not enough free space for " + std::to_string(gib) + " GiB";
  return {};
}

bool parse(int argc, char** argv, Options* o) {
  const char* tmp = getenv("TMPDIR");
  o->parent = tmp && *tmp ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) { return a.rfind(name, 0) == 0 ? a.substr(std::strlen(name)) : std::string(); };
    if (a == "--nosync") o->nosync = true;
    else if (a == "--keep") o->keep = true;
    else if (!value("--gib=").empty()) o->gib = std::atof(value("--gib=").c_str());
    else if (!value("--readers=").empty()) o->readers = static_cast<unsigned>(std::atoi(value("--readers=").c_str()));
    else if (!value("--batch-mib=").empty()) o->batch_bytes = std::strtoull(value("--batch-mib=").c_str(), nullptr, 10) << 20;
    else if (!value("--dir=").empty()) o->parent = value("--dir=");
    else if (!value("--aspen=").empty()) o->aspen_tool = value("--aspen=");
    else return false;
  }
  return o->gib > 0 && o->readers > 0 && o->batch_bytes > 0 && !o->aspen_tool.empty();
}

int run(const Options& o) {
  if (std::string why = refuse_place(o.parent, o.gib); !why.empty()) return fail(why);
  std::string dir = o.parent + "/aspen-growth-XXXXXX";
  if (!mkdtemp(dir.data())) return fail("mkdtemp in " + o.parent);
  aspen::EnvOptions options;  // no map size: the map grows by itself
  options.flags = o.nosync ? unsigned{aspen::kNoSync} : 0u;
  auto env = aspen::Env::open(dir, options);
  if (!env.ok()) return fail(std::string("open: ") + aspen::error_message(env.code()));
  std::fprintf(stderr, "growth_soak: loading %.2f GiB into %s with %u reader processes\n", o.gib, dir.c_str(), o.readers);
  std::vector<Reader> readers;
  for (unsigned i = 0; i < o.readers; ++i) readers.push_back(spawn_reader(dir, i));
  LoadStats stats;
  const bool loaded = load(*env, o, readers, &stats);
  env->close();
  const bool readers_ok = stop_readers(readers);
  const int check = loaded ? run_check(o.aspen_tool, dir) : -1;
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(dir + "/data.mdb", ec);
  std::fprintf(stderr,
               "growth_soak: %llu batches, %llu values, %.2f GiB of values in %.1f s (%.0f MiB/s); data.mdb %.2f GiB; "
               "map %llu MiB after %llu growth steps; aspen check: %s\n",
               static_cast<unsigned long long>(stats.batches), static_cast<unsigned long long>(stats.entries),
               double(stats.bytes) / (1 << 30), stats.seconds, double(stats.bytes) / (1 << 20) / stats.seconds,
               double(file_size) / (1 << 30), static_cast<unsigned long long>(stats.map_size >> 20),
               static_cast<unsigned long long>(stats.growth_steps), check == 0 ? "OK" : "FAILED");
  if (!o.keep) std::filesystem::remove_all(dir, ec);
  if (!loaded || !readers_ok || check != 0) return fail("FAILED");
  std::fprintf(stderr, "growth_soak: PASSED\n");
  return 0;
}

}  // namespace
}  // namespace growth

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--reader")
    return growth::run_reader(argv[2], std::strtoull(argv[3], nullptr, 10), static_cast<unsigned>(std::atoi(argv[4])));
  growth::Options o;
  if (!growth::parse(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: growth_soak --aspen=PATH_TO_aspen [--gib=10] [--readers=3] [--batch-mib=4] [--dir=PARENT] "
                 "[--nosync] [--keep]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  return growth::run(o);
}
