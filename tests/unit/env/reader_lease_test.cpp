// Readers beyond LMDB and LMDB's reader options (issue 4): reader leases and the ousted reader's error;
// health(); dead readers reclaimed by a writer that needs pages; set_max_readers and MDB_READERS_FULL;
// MDB_NOTLS; MDB_NOLOCK; MDB_RDONLY on a read-only file system (a bind mount in a private mount namespace;
// skipped where mounting is not permitted).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "../os/process_helpers.hpp"
#include "aspen/aspen.hpp"
#include "env/environment.hpp"

namespace aspen {
namespace {

Env open_env(const std::string& dir, unsigned flags = kNoSync, uint32_t lease_ms = 0, uint32_t lease_lag = 0,
             unsigned max_readers = 126) {
  EnvOptions options;
  options.flags = flags;
  options.reader_lease_ms = lease_ms;
  options.reader_lease_lag = lease_lag;
  options.max_readers = max_readers;
  auto env = Env::open(dir, options);
  EXPECT_TRUE(env.ok()) << error_message(env.code());
  return env.ok() ? std::move(env).value() : Env();
}

// One write transaction that rewrites 24 values (new pages every time), then a pause long enough for the
// writer's reclaim check (Environment::kReclaimIntervalMs) to run in the next one.
void churn(Env& env, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    auto w = env.begin_write();
    ASSERT_TRUE(w.ok()) << error_message(w.code());
    for (int i = 0; i < 24; ++i)
      ASSERT_TRUE(w->put(1, "c" + std::to_string(i), std::string(300 + 100 * (r % 3), 'x')).ok());
    ASSERT_TRUE(w->commit().ok());
    usleep((env::Environment::kReclaimIntervalMs + 5) * 1000);
  }
}

TEST(LeaseTest, ReaderPastItsLagIsOustedWithAClearError) {
  test::TempDir dir;
  Env env = open_env(dir.path(), kNoSync, 0, /*lag=*/2);
  churn(env, 2);
  auto r = env.begin_read();
  ASSERT_TRUE(r.ok());
  auto cursor = r->cursor(1);
  ASSERT_TRUE(cursor.ok());
  ASSERT_TRUE(cursor->get(CursorOp::kFirst).ok());
  churn(env, 2);  // lag 2: still within the lease
  EXPECT_TRUE(r->get(1, "c1").ok());
  churn(env, 3);
  EXPECT_EQ(r->get(1, "c1").code(), code::kOusted);
  EXPECT_EQ(cursor->get(CursorOp::kNext).code(), code::kOusted);
  EXPECT_STREQ(error_message(code::kOusted),
               "ASPEN_OUSTED: Read transaction ousted: its reader lease expired and a writer reclaimed its snapshot");
  cursor->close();
  r->abort();
  auto fresh = env.begin_read();  // the thread's slot works again
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->get(1, "c1").ok());
}

TEST(LeaseTest, ReaderPastItsAgeIsOusted) {
  test::TempDir dir;
  Env env = open_env(dir.path(), kNoSync, /*age ms=*/40, 0);
  churn(env, 2);
  auto r = env.begin_read();
  ASSERT_TRUE(r.ok());
  usleep(80 * 1000);
  churn(env, 3);
  EXPECT_EQ(r->get(1, "c1").code(), code::kOusted);
}

TEST(LeaseTest, ReadersWithoutALeaseAreNeverOusted) {
  test::TempDir dir;
  Env leased = open_env(dir.path(), kNoSync, 1, 1);  // this process takes the lease lock...
  Env plain = open_env(dir.path());                   // ...but readers of an Env without a lease never agreed
  churn(plain, 2);
  auto r = plain.begin_read();
  ASSERT_TRUE(r.ok());
  churn(leased, 6);
  EXPECT_TRUE(r->get(1, "c1").ok());
  auto h = plain.health();
  ASSERT_TRUE(h.ok());
  EXPECT_GE(h->reader_lag, 6u);
  EXPECT_FALSE(h->oldest_leased);
}

TEST(LeaseTest, LeaseCanBeSetOnAnOpenEnv) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  churn(env, 2);
  ASSERT_TRUE(env.set_reader_lease(0, 1).ok());
  auto r = env.begin_read();
  ASSERT_TRUE(r.ok());
  churn(env, 4);
  EXPECT_EQ(r->get(1, "c1").code(), code::kOusted);
  r->abort();
  ASSERT_TRUE(env.set_reader_lease(0, 0).ok());  // no lease again for new readers
  auto kept = env.begin_read();
  ASSERT_TRUE(kept.ok());
  churn(env, 4);
  EXPECT_TRUE(kept->get(1, "c1").ok());
}

TEST(HealthTest, ReportsLagAgeSlotsAndHeldBackPages) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  churn(env, 3);
  auto r = env.begin_read();
  ASSERT_TRUE(r.ok());
  usleep(30 * 1000);
  churn(env, 5);
  Result<Health> h = ASPEN_ERROR(EINVAL);
  std::thread([&] { h = env.health(); }).join();  // another thread: its own read transaction is allowed
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->oldest_txnid, r->id());
  EXPECT_EQ(h->reader_lag, h->last_txnid - r->id());
  EXPECT_GE(h->reader_lag, 5u);
  EXPECT_EQ(h->oldest_pid, getpid());
  EXPECT_GE(h->oldest_age_ms, 20);
  EXPECT_FALSE(h->oldest_leased);
  EXPECT_EQ(h->readers_pinning, 1u);
  EXPECT_GE(h->slots_used, 1u);
  EXPECT_EQ(h->stale_slots, 0u);
  EXPECT_EQ(h->max_readers, 126u);
  EXPECT_TRUE(h->pages_known);
  EXPECT_GT(h->pages_held_back, 0u);
  EXPECT_GE(h->free_pages, h->pages_held_back);
  auto same_thread = env.health();  // this thread's slot is busy: no free-list figures, the rest is there
  ASSERT_TRUE(same_thread.ok());
  EXPECT_FALSE(same_thread->pages_known);
  EXPECT_EQ(same_thread->oldest_txnid, r->id());
  r->abort();
  auto after = env.health();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->reader_lag, 0u);
  EXPECT_EQ(after->oldest_pid, 0);
  EXPECT_EQ(after->pages_held_back, 0u);
}

TEST(HealthTest, ReportsFileMapAndLastCommitSize) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  auto fresh = env.health();
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->last_commit_known);  // nothing committed since lock.mdb was initialised
  auto w = env.begin_write();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->put(1, "big", std::string(40000, 'v')).ok());  // 10 overflow pages
  ASSERT_TRUE(w->commit().ok());
  auto h = env.health();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->page_size, 4096u);
  EXPECT_TRUE(h->last_commit_known);
  EXPECT_GE(h->last_commit_pages, 11u);  // the overflow run and the leaf
  EXPECT_GE(h->pages_used, h->last_commit_pages + 2);  // and the two meta pages
  EXPECT_GE(h->map_size, h->pages_used * h->page_size);
  Env second = open_env(dir.path());  // another handle reads the note from lock.mdb
  auto seen = second.health();
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->last_commit_known);
  EXPECT_EQ(seen->last_commit_pages, h->last_commit_pages);
}

TEST(StaleReaderTest, WriterThatNeedsPagesReclaimsADeadReadersSlot) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  churn(env, 2);
  test::Child child([&](test::ChildLink& link) {
    Env own = open_env(dir.path());
    auto r = own.begin_read();
    if (!r.ok()) return 1;
    link.signal_parent();
    pause();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  auto listed = [&] {
    bool found = false;
    env.reader_list([&](const ReaderInfo& r) { found = found || r.pid == child.pid(); });
    return found;
  };
  EXPECT_TRUE(listed());
  child.kill_and_wait();
  EXPECT_TRUE(listed());  // dead, but nobody looked yet
  EXPECT_EQ(env.health()->stale_slots, 1u);
  churn(env, 3);  // no reader_check: the writer clears it because it holds back the pages it could reuse
  EXPECT_FALSE(listed());
  EXPECT_EQ(env.health()->stale_slots, 0u);
}

TEST(ReaderLimitsTest, SetMaxReadersAndReadersFull) {
  test::TempDir dir;
  Env env = open_env(dir.path(), kNoSync | kNoTls, 0, 0, /*max_readers=*/3);
  EXPECT_EQ(env.max_readers(), 3u);
  struct stat st;
  ASSERT_EQ(stat((dir.path() + "/lock.mdb").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 128 + 64 * 3);
  std::vector<ReadTxn> txns;
  for (int i = 0; i < 3; ++i) {
    auto r = env.begin_read();
    ASSERT_TRUE(r.ok());
    txns.push_back(std::move(r).value());
  }
  EXPECT_EQ(env.begin_read().code(), code::kReadersFull);
  txns.pop_back();
  EXPECT_TRUE(env.begin_read().ok());
  EXPECT_EQ(env.set_max_readers(10).code(), EINVAL);  // only before open
}

TEST(ReaderLimitsTest, ThreadLocalSlotsOneTransactionPerThreadUnlessNoTls) {
  test::TempDir dir;
  Env tls = open_env(dir.path());
  auto first = tls.begin_read();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(tls.begin_read().code(), code::kBadRslot);
  first->abort();
  test::TempDir other;
  Env notls = open_env(other.path(), kNoSync | kNoTls);
  auto a = notls.begin_read();
  auto b = notls.begin_read();
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok());
}

TEST(NoLockTest, NoLockFileAndAPrivateTable) {
  test::TempDir dir;
  {
    Env env = open_env(dir.path(), kNoSync | kNoLock);
    auto w = env.begin_write();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->put(1, "k", "v").ok());
    ASSERT_TRUE(w->commit().ok());
    auto r = env.begin_read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r->get(1, "k"), "v");
    EXPECT_EQ(env.reader_check().value(), 0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/lock.mdb"));
  Env again = open_env(dir.path(), kNoSync | kNoLock);  // regression: readers pinned txnid 0 after reopen
  auto r = again.begin_read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get(1, "k"), "v");
}

// In a child with a private mount namespace: `dir` bind-mounted read-only on `ro`. Exit 77 when mounting is
// not permitted here.
int read_only_fs_child(const std::string& dir, const std::string& ro) {
  if (unshare(CLONE_NEWNS) != 0) return 77;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 77;
  if (mount(dir.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) != 0) return 77;
  if (mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) return 77;
  Env rw;
  Status writable = rw.open(ro.c_str(), kNoSync);
  if (writable.ok() || writable.code() != EROFS) return 2;  // a writer needs a writable lock file
  auto env = Env::open(ro, EnvOptions{0, 126, 0, kReadOnly});
  if (!env.ok()) return 3;
  auto r = env->begin_read();
  if (!r.ok() || !r->get(1, "k").ok() || *r->get(1, "k") != "v") return 4;
  if (env->begin_write().code() != EACCES) return 5;
  if (std::filesystem::exists(ro + "/lock.mdb")) return 6;  // nothing could be created, nothing was
  return 0;
}

TEST(ReadOnlyFsTest, ReadOnlyEnvOnAReadOnlyFileSystem) {
  test::TempDir dir, mount_point;
  {
    Env env = open_env(dir.path());
    auto w = env.begin_write();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->put(1, "k", "v").ok());
    ASSERT_TRUE(w->commit().ok());
  }
  std::filesystem::remove(dir.path() + "/lock.mdb");
  int rc = test::run_in_child([&] { return read_only_fs_child(dir.path(), mount_point.path()); });
  if (rc == 77) GTEST_SKIP() << "mount namespaces or bind mounts are not permitted here (needs root)";
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace aspen
