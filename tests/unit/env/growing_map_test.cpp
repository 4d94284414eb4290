// The map grows by itself when no map size is set, keeping earlier pointers valid; a user map size stays a
// hard bound (MDB_MAP_FULL, with the bound as the error's page) as in LMDB; a small address budget
// (RLIMIT_AS, set in a forked child) gives a smaller reservation or a clear error, never a crash (layer: env,
// through the C++ API).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "aspen/aspen.hpp"

namespace aspen {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/aspen-grow-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(GrowingMap, GrowsWithoutAMapSize) {
  const std::string dir = temp_dir();
  {
    auto env = Env::open(dir);  // no map size: LMDB would stop at 1 MiB
    ASSERT_TRUE(env.ok());
    auto first = env->begin_write();
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first->put(1, "anchor", std::string(100, 'a')).ok());
    ASSERT_TRUE(first->commit().ok());
    auto reader = env->begin_read();  // holds a snapshot and a pointer into the map across the growth
    ASSERT_TRUE(reader.ok());
    auto anchor = reader->get(1, std::string_view("anchor"));
    ASSERT_TRUE(anchor.ok());
    const std::string value(4000, 'v');
    for (int batch = 0; batch < 20; ++batch) {
      auto txn = env->begin_write();
      ASSERT_TRUE(txn.ok());
      for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(txn->put(1, "k" + std::to_string(batch * 1000 + i), value).ok()) << batch << " " << i;
      ASSERT_TRUE(txn->commit().ok());
    }
    EXPECT_EQ(*anchor, std::string(100, 'a'));  // the old pointer still reads the same bytes
    auto info = env->info();
    ASSERT_TRUE(info.ok());
    EXPECT_GT(info->map_size, uint64_t{80} << 20);
  }
  auto env = Env::open(dir);
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_read();
  ASSERT_TRUE(txn.ok());
  auto stat = txn->stat(1);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->entries, 20001u);
  std::filesystem::remove_all(dir);
}

TEST(GrowingMap, UserMapSizeIsABound) {
  const std::string dir = temp_dir();
  auto env = Env::open(dir, {.map_size = 2 << 20});
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_write();
  ASSERT_TRUE(txn.ok());
  Status st;
  for (int i = 0; i < 10000 && st.ok(); ++i) st = txn->put(1, "k" + std::to_string(i), std::string(1000, 'x'));
  EXPECT_EQ(st.code(), code::kMapFull);
  EXPECT_EQ(st.error().page() * 4096, uint64_t{2} << 20);  // the bound, reported in pages
  txn->abort();
  std::filesystem::remove_all(dir);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASPEN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASPEN_SANITIZED 1
#endif
#endif

// Bytes of address space this process uses now (/proc/self/statm, first field, in pages).
uint64_t address_space_in_use() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long long pages = 0;
  if (f) {
    if (std::fscanf(f, "%llu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Runs fn() in a forked child whose address space is limited to what it uses now plus `headroom`; returns
// the child's exit code (128 + signal if it crashed).
template <class Fn>
int with_address_budget(uint64_t headroom, Fn fn) {
  pid_t pid = fork();
  if (pid == 0) {
    const rlim_t limit = address_space_in_use() + headroom;
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(90);
    _exit(fn());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// 256 GiB cannot be reserved under a 96 MiB budget: the open settles for a smaller reservation, and writing
// past it is MDB_MAP_FULL with that bound reported, never a crash or ENOMEM from the map.
TEST(GrowingMap, SmallAddressBudgetGivesASmallerReservation) {
#ifdef ASPEN_SANITIZED
  GTEST_SKIP() << "sanitizers reserve address space of their own";
#endif
  const std::string dir = temp_dir();
  int rc = with_address_budget(uint64_t{96} << 20, [&] {
    auto env = Env::open(dir);
    if (!env.ok()) return 10;
    const std::string value(2000, 'v');
    Status st;
    for (int batch = 0; batch < 1000 && st.ok(); ++batch) {  // 1 MiB per transaction: little heap
      auto txn = env->begin_write();
      if (!txn.ok()) return txn.code() == code::kMapFull ? 0 : 11;
      for (int i = 0; i < 500 && st.ok(); ++i) st = txn->put(1, "k" + std::to_string(batch * 500 + i), value);
      if (st.ok()) st = txn->commit();
    }
    if (st.code() != code::kMapFull) return 12;
    auto info = env->info();
    if (!info.ok() || st.error().page() == 0 || st.error().page() * 4096 > (uint64_t{96} << 20)) return 13;
    if (info->map_size > st.error().page() * 4096) return 14;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  std::filesystem::remove_all(dir);
}

// The file records a 64 MiB map but uses little: under a 24 MiB budget the open maps less than the recorded
// size (the map grows later); once the used pages alone do not fit, the open fails with ENOMEM, cleanly.
TEST(GrowingMap, SmallBudgetMapsLessThanTheRecordedSizeOrFails) {
#ifdef ASPEN_SANITIZED
  GTEST_SKIP() << "sanitizers reserve address space of their own";
#endif
  const std::string dir = temp_dir();
  auto write_mib = [&](int mib) {
    auto env = Env::open(dir, {.map_size = uint64_t{64} << 20});  // the file records a 64 MiB map
    ASSERT_TRUE(env.ok());
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < mib * 256; ++i) ASSERT_TRUE(txn->put(1, "k" + std::to_string(i), std::string(3000, 'v')).ok());
    ASSERT_TRUE(txn->commit().ok());
  };
  write_mib(1);
  int rc = with_address_budget(uint64_t{24} << 20, [&] {
    auto env = Env::open(dir);
    if (!env.ok()) return 20;
    auto info = env->info();
    auto txn = env->begin_read();
    if (!info.ok() || info->map_size >= (uint64_t{64} << 20) || !txn.ok()) return 21;
    return txn->get(1, std::string_view("k0")).ok() ? 0 : 22;
  });
  EXPECT_EQ(rc, 0);
  write_mib(40);  // now the used pages alone exceed the budget
  rc = with_address_budget(uint64_t{24} << 20, [&] {
    auto env = Env::open(dir);
    return !env.ok() && env.code() == ENOMEM ? 0 : 23;
  });
  EXPECT_EQ(rc, 0);
  std::filesystem::remove_all(dir);
}

// A reader whose reservation is small sees another process grow the file past it: MDB_MAP_RESIZED from
// begin_read, a clear error (ERRORS.md), never a crash.
TEST(GrowingMap, GrowthPastASmallReservationIsMapResized) {
#ifdef ASPEN_SANITIZED
  GTEST_SKIP() << "sanitizers reserve address space of their own";
#endif
  const std::string dir = temp_dir();
  { ASSERT_TRUE(Env::open(dir).ok()); }
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  pid_t pid = fork();
  if (pid == 0) {
    const rlim_t limit = address_space_in_use() + (uint64_t{48} << 20);
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(90);
    auto env = Env::open(dir);
    char c = 'r';
    if (!env.ok() || write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1) _exit(30);
    auto txn = env->begin_read();
    _exit(!txn.ok() && txn.code() == code::kMapResized ? 0 : 31);
  }
  char c;
  ASSERT_EQ(read(to_parent[0], &c, 1), 1);  // the child has opened with its small reservation
  {
    auto env = Env::open(dir);
    ASSERT_TRUE(env.ok());
    const std::string value(4000, 'v');
    for (int batch = 0; batch < 20; ++batch) {  // 80 MiB: past any reservation under 48 MiB
      auto txn = env->begin_write();
      ASSERT_TRUE(txn.ok());
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(txn->put(1, "k" + std::to_string(batch * 1000 + i), value).ok());
      ASSERT_TRUE(txn->commit().ok());
    }
  }
  ASSERT_EQ(write(to_child[1], &c, 1), 1);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aspen
