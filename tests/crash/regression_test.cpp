// Named regression tests for the crash-safety bugs the suites found (docs/RELIABILITY.md §3), small enough
// for every build, sanitizers included. Each reproduces one bug directly, without the suite that found it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "aspen/aspen.hpp"
#include "crash_support.hpp"
#include "format/meta.hpp"
#include "os/io_hooks.hpp"

namespace aspen::crash {
namespace {

EnvOptions opts(unsigned flags = 0) {
  EnvOptions o;
  o.max_dbs = 4;
  o.flags = flags;
  return o;
}

// Commits key -> value in the main database; returns the new txnid.
uint64_t commit_one(Env& env, const std::string& key, const std::string& value) {
  Result<WriteTxn> txn = env.begin_write();
  EXPECT_TRUE(txn.ok());
  Dbi main = *txn->open_db(nullptr);
  EXPECT_TRUE(txn->put(main, key, value).ok());
  EXPECT_TRUE(txn->commit().ok());
  return env.info()->last_txnid;
}

std::string get(Env& env, const std::string& key) {
  Result<ReadTxn> txn = env.begin_read();
  if (!txn.ok()) return "<begin failed>";
  Result<std::string_view> v = txn->get(*txn->open_db(nullptr), std::string_view(key));
  return v.ok() ? std::string(*v) : "<missing>";
}

uint64_t txnid_at(const std::string& image, size_t page) {
  uint64_t t;
  std::memcpy(&t, image.data() + page * 4096 + format::kMetaOffset + offsetof(format::Meta, txnid), 8);
  return t;
}

// RELIABILITY.md §3.1: a meta torn inside its txnid field, its seal left for another txnid, mixes the high
// bytes of N with the low bytes of N-2 and must not outrank the good meta N-1.
TEST(CrashRegression, TornTxnidAheadOfTheOtherMetaIsRejected) {
  ScratchDir dir("regress");
  std::string image;
  {
    Result<Env> env = Env::open(dir.path(), opts(kNoSync));  // 512 commits: the page cache is enough here
    ASSERT_TRUE(env.ok());
    for (uint64_t t = env->info()->last_txnid; t < 0x1ff;) t = commit_one(*env, "k", "v" + std::to_string(t));
    ASSERT_EQ(commit_one(*env, "k", "at-0x200"), 0x200u);
  }
  image = read_file(dir.path() + "/data.mdb");
  // Page 1 holds 0x1ff (N-2 for N = 0x201), page 0 holds 0x200. Tear a write of 0x201 over page 1: its high
  // byte landed, its low byte did not, the old seal (0x1ff) stayed.
  ASSERT_EQ(txnid_at(image, 1), 0x1ffu);
  const size_t txnid_off = 4096 + format::kMetaOffset + offsetof(format::Meta, txnid);
  image[txnid_off + 1] = 0x02;  // 0x1ff -> 0x2ff
  ASSERT_EQ(txnid_at(image, 1), 0x2ffu);
  write_file(dir.path() + "/data.mdb", image);
  Result<Env> env = Env::open(dir.path(), opts());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->info()->last_txnid, 0x200u);
  EXPECT_EQ(get(*env, "k"), "at-0x200");
}

// §3.2: an I/O error reading a meta page is an error, not a reason to open the other (older) meta.
TEST(CrashRegression, UnreadableMetaIsAnErrorNotAFallback) {
  ScratchDir dir("regress");
  {
    Result<Env> env = Env::open(dir.path(), opts());
    ASSERT_TRUE(env.ok());
    commit_one(*env, "k", "v");
  }
  os::FaultInjector inject;
  inject.fail_from(os::IoOp::kPread, 2, EIO);  // the first read finds the page size; then both metas fail
  Result<Env> env = Env::open(dir.path(), opts());
  EXPECT_EQ(env.code(), EIO);
}

// §3.3: the lock file's blocks exist before it is written through its map (a sparse one is SIGBUS on a full
// disk).
TEST(CrashRegression, LockFileBlocksAreAllocated) {
  ScratchDir dir("regress");
  Result<Env> env = Env::open(dir.path(), opts());
  ASSERT_TRUE(env.ok());
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/lock.mdb").c_str(), &st), 0);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, static_cast<uint64_t>(st.st_size));
}

// §3.3 and the WRITEMAP rule: pages are allocated in the file before the map touches them.
TEST(CrashRegression, WriteMapAllocatesBeforeTouching) {
  ScratchDir dir("regress");
  Result<Env> env = Env::open(dir.path(), opts(kWriteMap));
  ASSERT_TRUE(env.ok());
  for (int i = 0; i < 50; ++i) commit_one(*env, "k" + std::to_string(i), std::string(3000, 'x'));
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/data.mdb").c_str(), &st), 0);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, (env->info()->last_page + 1) * 4096);
}

// §4: the previous snapshot, by hand.
TEST(CrashRegression, PreviousSnapshotOpensTheOlderMetaUntilTheNextCommit) {
  ScratchDir dir("regress");
  uint64_t newest = 0;
  {
    Result<Env> env = Env::open(dir.path(), opts());
    ASSERT_TRUE(env.ok());
    commit_one(*env, "k", "old");
    newest = commit_one(*env, "k", "new");
  }
  EnvOptions o = opts();
  o.previous_snapshot = true;
  Result<Env> env = Env::open(dir.path(), o);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->info()->last_txnid, newest - 1);
  EXPECT_EQ(get(*env, "k"), "old");
  // A second writable opener on the previous snapshot would commit under the first one's feet.
  Result<Env> second = Env::open(dir.path(), o);
  EXPECT_EQ(second.code(), EBUSY);
  // The first commit builds on the older snapshot and replaces the newest meta; the flag is then spent.
  EXPECT_EQ(commit_one(*env, "k2", "x"), newest);
  EXPECT_EQ(get(*env, "k"), "old");
  env->close();
  Result<Env> again = Env::open(dir.path(), opts());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->info()->last_txnid, newest);
  EXPECT_EQ(get(*again, "k"), "old");
  EXPECT_EQ(get(*again, "k2"), "x");
  EXPECT_TRUE(check_verdict(dir.path(), -1, false).empty());
}

// §3.5: a page-buffer allocation failure fails the write with ENOMEM, refuses the commit, and leaves the
// environment usable.
TEST(CrashRegression, FailedPageBufferFailsTheTransactionOnly) {
  ScratchDir dir("regress");
  Result<Env> env = Env::open(dir.path(), opts());
  ASSERT_TRUE(env.ok());
  commit_one(*env, "k", "v");
  {
    os::FaultInjector inject;
    inject.fail_from(os::IoOp::kAlloc, 1, ENOMEM);
    Result<WriteTxn> txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    Dbi main = *txn->open_db(nullptr);
    // An overflow value: a multi-page buffer never comes from the pool of single pages.
    EXPECT_EQ(txn->put(main, std::string_view("k2"), std::string(10000, 'x')).code(), ENOMEM);
    EXPECT_EQ(txn->commit().code(), code::kBadTxn);
  }
  EXPECT_EQ(get(*env, "k2"), "<missing>");
  commit_one(*env, "k3", "v3");
  EXPECT_EQ(get(*env, "k3"), "v3");
}

// A failed sync poisons the environment until it is reopened, and is not retried.
TEST(CrashRegression, FailedSyncPoisonsUntilReopen) {
  ScratchDir dir("regress");
  {
    Result<Env> env = Env::open(dir.path(), opts());
    ASSERT_TRUE(env.ok());
    os::FaultInjector inject;
    inject.fail_nth(os::IoOp::kFdatasync, 1, EIO);
    Result<WriteTxn> txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->put(*txn->open_db(nullptr), std::string_view("k"), std::string_view("v")).ok());
    EXPECT_EQ(txn->commit().code(), EIO);
    EXPECT_EQ(inject.count(os::IoOp::kFdatasync), 1u);
    EXPECT_EQ(env->begin_write().code(), code::kPanic);
    EXPECT_EQ(env->begin_read().code(), code::kPanic);
    EXPECT_EQ(inject.count(os::IoOp::kFdatasync), 1u);  // never retried
  }
  Result<Env> env = Env::open(dir.path(), opts());
  ASSERT_TRUE(env.ok());
  commit_one(*env, "k", "after");
  EXPECT_EQ(get(*env, "k"), "after");
}

}  // namespace
}  // namespace aspen::crash
