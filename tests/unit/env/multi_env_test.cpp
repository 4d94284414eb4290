// Many Environments and processes on one environment (issue 4): a second Env of one process shares the lock
// table and survives the first's close; fork() gives the inherited Env MDB_PANIC and leaves the parent's
// slots and the child's own Env alone; a writer that dies (another process, or a thread of this Env) does not
// block the next one.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "../os/process_helpers.hpp"
#include "aspen/aspen.hpp"
#include "env/environment.hpp"
#include "env/lock_registry.hpp"
#include "txn/transaction.hpp"

namespace aspen {
namespace {

Env open_env(const std::string& dir, unsigned flags = kNoSync) {
  EnvOptions options;
  options.flags = flags;
  auto env = Env::open(dir, options);
  EXPECT_TRUE(env.ok()) << error_message(env.code());
  return env.ok() ? std::move(env).value() : Env();
}

Status put_one(Env& env, const std::string& key, const std::string& value) {
  ASPEN_ASSIGN(WriteTxn txn, env.begin_write());
  ASPEN_TRY(txn.put(1, key, value));
  return txn.commit();
}

bool has_reader(const Env& env, pid_t pid, uint64_t txnid) {
  bool found = false;
  env.reader_list([&](const ReaderInfo& r) { found = found || (r.pid == pid && r.txnid == txnid); });
  return found;
}

// In a child process: a fresh Env on `dir` must find `pid` alive (its liveness lock held) with a reader
// pinning `txnid`. Exit codes name the failed check.
int child_sees_live_reader(const std::string& dir, pid_t pid, uint64_t txnid) {
  auto env = Env::open(dir, EnvOptions{});
  if (!env.ok()) return 2;
  auto dead = env->reader_check();
  if (!dead.ok() || *dead != 0) return 3;
  return has_reader(*env, pid, txnid) ? 0 : 4;
}

TEST(MultiEnvTest, SecondOpenSharesTheTableAndKeepsTheLocks) {
  test::TempDir dir;
  const size_t before = env::LockRegistry::live_tables();
  Env a = open_env(dir.path());
  ASSERT_TRUE(put_one(a, "k", "v").ok());
  Env b = open_env(dir.path());
  EXPECT_EQ(env::LockRegistry::live_tables(), before + 1);  // one table for both
  auto txn = a.begin_read();
  ASSERT_TRUE(txn.ok());
  b.close();  // must not close the descriptor that holds a's byte-0 and pid locks
  EXPECT_EQ(test::run_in_child([&] { return child_sees_live_reader(dir.path(), getppid(), txn->id()); }), 0);
  EXPECT_EQ(*txn->get(1, "k"), "v");
  txn->abort();
  a.close();
  EXPECT_EQ(env::LockRegistry::live_tables(), before);
}

TEST(MultiEnvTest, SecondOpenWhileWritingDoesNotResetTheMutexes) {
  test::TempDir dir;
  Env a = open_env(dir.path());
  auto w = a.begin_write();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->put(1, "from", "a").ok());
  Env b = open_env(dir.path());  // a first opener would re-initialise the writer mutex a holds
  std::atomic<bool> got{false};
  std::thread other([&] {
    auto w2 = b.begin_write();  // waits for a's commit
    got = true;
    EXPECT_TRUE(w2.ok());
    if (w2.ok()) {
      EXPECT_EQ(*w2->get(1, "from"), "a");
    }
  });
  usleep(100 * 1000);
  EXPECT_FALSE(got.load());
  ASSERT_TRUE(w->commit().ok());
  other.join();
  EXPECT_TRUE(got.load());
}

TEST(ForkTest, InheritedEnvAnswersPanicAndLeavesTheParentAlone) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  ASSERT_TRUE(put_one(env, "k", "v").ok());
  auto txn = env.begin_read();
  ASSERT_TRUE(txn.ok());
  const uint64_t pinned = txn->id();
  const pid_t parent = getpid();
  test::Child child([&](test::ChildLink& link) {
    if (env.begin_read().code() != code::kPanic) return 10;
    if (env.begin_write().code() != code::kPanic) return 11;
    if (txn->get(1, "k").code() != code::kPanic) return 12;
    if (env.reader_check().code() != code::kPanic) return 13;
    if (env.health().code() != code::kPanic) return 14;
    Env own = open_env(dir.path());  // the right way: an Env of the child's own
    auto mine = own.begin_read();
    if (!mine.ok() || *mine->get(1, "k") != "v") return 15;
    if (txn->commit().code() != code::kPanic) return 16;  // ends the inherited transaction in the child only
    env.close();  // the inherited Env: must drop neither the parent's slot nor the child's own locks
    if (!has_reader(own, parent, pinned)) return 17;
    link.signal_parent();
    link.wait_parent();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  // The child's own Env kept its liveness lock: a reader check from here leaves its slot.
  EXPECT_EQ(env.reader_check().value(), 0);
  bool child_listed = false;
  env.reader_list([&](const ReaderInfo& r) { child_listed = child_listed || r.pid == child.pid(); });
  EXPECT_TRUE(child_listed);
  child.tell();
  EXPECT_EQ(child.wait(), 0);
  EXPECT_TRUE(has_reader(env, getpid(), pinned));  // our snapshot is still pinned
  EXPECT_EQ(*txn->get(1, "k"), "v");
}

TEST(WriterDeathTest, KilledWriterProcessDoesNotBlockTheNext) {
  test::TempDir dir;
  Env env = open_env(dir.path());
  ASSERT_TRUE(put_one(env, "k", "1").ok());
  test::Child child([&](test::ChildLink& link) {
    Env own = open_env(dir.path());
    auto w = own.begin_write();
    if (!w.ok() || !w->put(1, "ghost", "x").ok() || !w->put(1, "k", "2").ok()) return 1;
    link.signal_parent();
    pause();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  EXPECT_EQ(child.kill_and_wait(), 128 + SIGKILL);
  alarm(20);  // a writer mutex that never recovers fails the test with SIGALRM rather than hanging
  auto w = env.begin_write();
  alarm(0);
  ASSERT_TRUE(w.ok()) << error_message(w.code());
  EXPECT_EQ(w->get(1, "ghost").code(), code::kNotFound);  // its transaction is simply gone
  EXPECT_EQ(*w->get(1, "k"), "1");
  ASSERT_TRUE(w->put(1, "k", "3").ok());
  ASSERT_TRUE(w->commit().ok());
  auto r = env.begin_read();
  EXPECT_EQ(*r->get(1, "k"), "3");
}

// A thread of this very Env dies inside a write transaction. Another Env of the process (sharing the table)
// gets EOWNERDEAD and recovers; this Env is poisoned, as LMDB's is ("env is hosed if the dead thread was ours").
TEST(WriterDeathTest, DeadWriterThreadPoisonsItsOwnEnvOnly) {
  test::TempDir dir;
  Env a = open_env(dir.path());
  Env b = open_env(dir.path());
  ASSERT_TRUE(put_one(a, "k", "1").ok());
  txn::Transaction* leftover = nullptr;
  std::thread doomed([&] {
    auto w = a.begin_write();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->put(1, "ghost", "x").ok());
    leftover = w->release();  // the thread exits holding the writer mutex, its transaction never ended
  });
  doomed.join();
  auto w = b.begin_write();
  ASSERT_TRUE(w.ok()) << error_message(w.code());
  EXPECT_EQ(w->get(1, "ghost").code(), code::kNotFound);
  ASSERT_TRUE(w->put(1, "k", "2").ok());
  ASSERT_TRUE(w->commit().ok());
  EXPECT_EQ(a.begin_write().code(), code::kPanic);
  EXPECT_EQ(a.begin_read().code(), code::kPanic);
  delete leftover;  // ending the dead thread's transaction unlocks nothing
  auto r = b.begin_read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get(1, "k"), "2");
}

TEST(WriterDeathTest, DeadWriterThreadFoundByItsOwnEnvIsPanic) {
  test::TempDir dir;
  Env a = open_env(dir.path());
  ASSERT_TRUE(put_one(a, "k", "1").ok());
  txn::Transaction* leftover = nullptr;
  std::thread doomed([&] {
    auto w = a.begin_write();
    ASSERT_TRUE(w.ok());
    leftover = w->release();
  });
  doomed.join();
  EXPECT_EQ(a.begin_write().code(), code::kPanic);
  delete leftover;
  a.close();
  Env again = open_env(dir.path());  // reopening recovers
  auto w = again.begin_write();
  ASSERT_TRUE(w.ok()) << error_message(w.code());
  ASSERT_TRUE(w->commit().ok());
}

}  // namespace
}  // namespace aspen
