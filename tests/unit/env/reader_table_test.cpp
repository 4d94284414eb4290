// Tests of env::ReaderTable (lock.mdb): first-opener initialisation, a second opener in another process,
// slots, READERS_FULL, stale slots of dead processes, writer-mutex owner death, and the in-process modes.
#include "env/reader_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "../os/process_helpers.hpp"
#include "os/file_lock.hpp"
#include "os/io_hooks.hpp"
#include "os/mapping.hpp"
#include "os/process.hpp"
#include "os/robust_mutex.hpp"

namespace aspen::env {
namespace {

using format::kIdleReader;

ReaderTable open_table(const std::string& path, unsigned max_readers = 126) {
  ReaderTableOptions options;
  options.max_readers = max_readers;
  auto t = ReaderTable::open(path, options);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : error_message(t.code()));
  return t.ok() ? std::move(t).value() : ReaderTable();
}

std::vector<ReaderInfo> live(const ReaderTable& t) {
  std::vector<ReaderInfo> out;
  t.list([&](const ReaderInfo& info) { out.push_back(info); });
  return out;
}

bool has_pid(const ReaderTable& t, pid_t pid) {
  for (const ReaderInfo& r : live(t))
    if (r.pid == pid) return true;
  return false;
}

uint64_t file_size(const std::string& path) {
  auto exists = os::exists(path);
  if (!exists.ok() || !exists.value()) return 0;
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(ReaderTableTest, FirstOpenerInitialisesTheFile) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTable t = open_table(path);
  ASSERT_TRUE(t.valid());
  EXPECT_TRUE(t.exclusive());
  EXPECT_FALSE(t.in_process());
  EXPECT_EQ(file_size(path), 8192u);
  EXPECT_EQ(t.max_readers(), 126u);
  EXPECT_EQ(t.num_readers(), 0u);
  EXPECT_EQ(t.last_txnid(), 0u);
  ASSERT_TRUE(t.share().ok());
  EXPECT_FALSE(t.exclusive());
  ASSERT_TRUE(t.share().ok());  // no-op once shared
}

TEST(ReaderTableTest, HeaderBytesMatchLmdb) {
  // The first 0x60 bytes LMDB 0.9.24 writes for a fresh lock.mdb before any reader (measured with liblmdb):
  // magic, format, two robust pshared mutexes (kind 0x90 at +16), txnid 0, num_readers 0.
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  auto f = os::File::open(dir.file("lock.mdb"), O_RDONLY, 0);
  // Reading through a second fd is fine here only because the test ends right after: closing it drops locks.
  unsigned char bytes[128];
  ASSERT_EQ(f->read_at(0, bytes, sizeof bytes).value(), sizeof bytes);
  unsigned char expected[128] = {};
  const unsigned char head[] = {0xde, 0xc0, 0xef, 0xbe, 0x01, 0x00, 0x01, 0x00};
  std::memcpy(expected, head, sizeof head);
  expected[8 + 16] = 0x90;
  expected[64 + 16] = 0x90;
  EXPECT_EQ(std::memcmp(bytes, expected, sizeof bytes), 0);
}

TEST(ReaderTableTest, MaxReadersFollowsAnExistingLargerFile) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  { ReaderTable small = open_table(path, 10); EXPECT_EQ(small.max_readers(), 10u); }
  EXPECT_EQ(file_size(path), format::lock_file_size(10));
  { ReaderTable grown = open_table(path, 126); EXPECT_EQ(grown.max_readers(), 126u); }
  EXPECT_EQ(file_size(path), 8192u);
  { ReaderTable kept = open_table(path, 5); EXPECT_EQ(kept.max_readers(), 126u); }  // as LMDB: never shrinks
  EXPECT_EQ(file_size(path), 8192u);
}

TEST(ReaderTableTest, ZeroMaxReadersIsEinval) {
  test::TempDir dir;
  ReaderTableOptions options;
  options.max_readers = 0;
  EXPECT_EQ(ReaderTable::open(dir.file("lock.mdb"), options).code(), EINVAL);
}

TEST(ReaderTableTest, AcquireReleaseAndList) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  unsigned a = t.acquire_slot().value();
  unsigned b = t.acquire_slot().value();
  unsigned c = t.acquire_slot().value();
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(c, 2u);
  EXPECT_EQ(t.num_readers(), 3u);
  auto readers = live(t);
  ASSERT_EQ(readers.size(), 3u);
  for (const ReaderInfo& r : readers) {
    EXPECT_EQ(r.pid, os::pid());
    EXPECT_EQ(r.tid, os::thread_id());
    EXPECT_EQ(r.txnid, kIdleReader);
  }
  t.release_slot(b);
  EXPECT_EQ(live(t).size(), 2u);
  EXPECT_EQ(t.acquire_slot().value(), b);  // the freed slot is reused first
  EXPECT_EQ(t.num_readers(), 3u);          // high-water mark
}

TEST(ReaderTableTest, OldestReaderAndPinning) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  unsigned a = t.acquire_slot().value();
  unsigned b = t.acquire_slot().value();
  EXPECT_EQ(t.oldest_reader(100), 100u);  // idle slots pin nothing
  t.publish_txnid(7);
  EXPECT_EQ(t.last_txnid(), 7u);
  EXPECT_EQ(t.pin_latest(a), 7u);
  t.publish_txnid(9);
  t.set_slot_txnid(b, 9);
  EXPECT_EQ(t.oldest_reader(100), 7u);
  EXPECT_EQ(t.oldest_reader(5), 5u);
  t.set_slot_txnid(a, kIdleReader);
  EXPECT_EQ(t.oldest_reader(100), 9u);
  t.release_slot(b);
  EXPECT_EQ(t.oldest_reader(100), 100u);
}

TEST(ReaderTableTest, ReadersFull) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"), 4);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(t.acquire_slot().value(), i);
  auto full = t.acquire_slot();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), code::kReadersFull);
  t.release_slot(2);
  EXPECT_EQ(t.acquire_slot().value(), 2u);
}

TEST(ReaderTableTest, SecondOpenerInAChildSharesTheTable) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTable t = open_table(path, 50);
  unsigned mine = t.acquire_slot().value();
  t.publish_txnid(7);
  t.set_slot_txnid(mine, 7);
  // The child blocks on the shared lock until we share(): it must not see a half-initialised file.
  test::Child child([&](test::ChildLink& link) {
    link.signal_parent();
    ReaderTable other = open_table(path, 126);
    if (!other.valid() || other.exclusive()) return 1;
    if (other.max_readers() != 50 || other.last_txnid() != 9) return 2;
    if (!has_pid(other, getppid())) return 3;
    auto slot = other.acquire_slot();
    if (!slot.ok() || slot.value() != 1) return 4;
    other.set_slot_txnid(slot.value(), 9);
    link.signal_parent();
    link.wait_parent();
    _exit(0);  // without closing `other`: the slot stays, its pid lock goes
  });
  ASSERT_TRUE(child.wait_signal());
  usleep(50 * 1000);
  t.publish_txnid(9);
  ASSERT_TRUE(t.share().ok());
  ASSERT_TRUE(child.wait_signal());
  EXPECT_TRUE(has_pid(t, child.pid()));
  EXPECT_EQ(t.oldest_reader(100), 7u);
  EXPECT_EQ(t.check_stale().value(), 0);  // the child is alive
  child.tell();
  EXPECT_EQ(child.wait(), 0);
  EXPECT_TRUE(has_pid(t, child.pid()));
  EXPECT_EQ(t.check_stale().value(), 1);
  EXPECT_FALSE(has_pid(t, child.pid()));
  EXPECT_TRUE(has_pid(t, os::pid()));  // our own slot is never stale
}

TEST(ReaderTableTest, ClosingFreesOwnSlots) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTable t = open_table(path);
  ASSERT_TRUE(t.share().ok());
  int rc = test::run_in_child([&] {
    ReaderTable other = open_table(path);
    if (!other.acquire_slot().ok() || !other.acquire_slot().ok()) return 1;
    return 0;  // `other` is destroyed here: its slots are freed
  });
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(t.num_readers(), 2u);
  EXPECT_TRUE(live(t).empty());
}

TEST(ReaderTableTest, StaleSlotOfAKilledChildIsReclaimed) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  ASSERT_TRUE(t.share().ok());
  unsigned mine = t.acquire_slot().value();
  // The child uses the table it inherited: acquire_slot must take the child's own pid lock first.
  test::Child child([&](test::ChildLink& link) {
    auto slot = t.acquire_slot();
    if (!slot.ok()) return 1;
    t.set_slot_txnid(slot.value(), 3);
    link.signal_parent();
    pause();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  EXPECT_TRUE(has_pid(t, child.pid()));
  EXPECT_EQ(t.oldest_reader(10), 3u);
  EXPECT_EQ(t.check_stale().value(), 0);
  child.kill_and_wait();
  EXPECT_EQ(t.check_stale().value(), 1);
  EXPECT_FALSE(has_pid(t, child.pid()));
  EXPECT_EQ(t.oldest_reader(10), 10u);
  EXPECT_EQ(t.slot_info(mine).pid, os::pid());
}

TEST(ReaderTableTest, FullTableClearsStaleSlotsBeforeGivingUp) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"), 2);
  ASSERT_TRUE(t.acquire_slot().ok());
  int rc = test::run_in_child([&] { return t.acquire_slot().ok() ? 0 : 1; });  // dies holding a slot
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(live(t).size(), 2u);
  auto slot = t.acquire_slot();
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(slot.value(), 1u);
}

TEST(ReaderTableTest, WriterMutexOwnerDeathIsRecovered) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  ASSERT_TRUE(t.share().ok());
  int rc = test::run_in_child([&] {
    if (!t.acquire_slot().ok()) return 1;
    auto locked = t.lock_writer();
    return locked.ok() && !locked.value() ? 0 : 2;  // dies inside its "write transaction"
  });
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(live(t).size(), 1u);
  auto locked = t.lock_writer();
  ASSERT_TRUE(locked.ok());
  EXPECT_TRUE(locked.value());       // the caller must reload the newest meta
  EXPECT_EQ(live(t).size(), 0u);     // and the dead process's reader slot is gone
  t.unlock_writer();
  auto next = t.lock_writer();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next.value());
  t.unlock_writer();
}

TEST(ReaderTableTest, WriterMutexExcludesOtherProcesses) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTable t = open_table(path);
  ASSERT_TRUE(t.share().ok());
  ASSERT_FALSE(t.lock_writer().value());
  test::Child child([&](test::ChildLink& link) {
    ReaderTable other = open_table(path);
    link.signal_parent();
    auto locked = other.lock_writer();  // blocks until the parent unlocks
    if (!locked.ok() || locked.value()) return 1;
    other.unlock_writer();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  usleep(50 * 1000);
  t.unlock_writer();
  EXPECT_EQ(child.wait(), 0);
}

TEST(ReaderTableTest, ReaderMutexOwnerDeathIsRecovered) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTable t = open_table(path);
  ASSERT_TRUE(t.share().ok());
  int rc = test::run_in_child([&] {
    // Another process (as LMDB would) dies holding the reader mutex at offset 8.
    auto f = os::File::open(path, O_RDWR, 0);
    if (!f.ok()) return 1;
    auto m = os::Mapping::map(f->fd(), 8192, true);
    if (!m.ok()) return 2;
    if (!os::RobustMutex::lock(m->data() + 8).ok()) return 3;
    // Exit with the mutex still mapped: the kernel marks it owner-died by walking this thread's robust list,
    // which it cannot do for memory unmapped first.
    _exit(0);
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(t.acquire_slot().ok());
  EXPECT_TRUE(t.acquire_slot().ok());
}

TEST(ReaderTableTest, BadMagicAndFormatAreRejected) {
  struct Case {
    uint32_t magic, format;
    int expected;
  };
  for (Case c : {Case{0x12345678, format::kLockFormat, code::kInvalid},
                 Case{format::kLockMagic, 0x00020001, code::kVersionMismatch}}) {
    test::TempDir dir;
    std::string path = dir.file("lock.mdb");
    {
      auto f = os::File::open(path, O_RDWR | O_CREAT, 0644);
      ASSERT_TRUE(f->truncate(8192).ok());
      ASSERT_TRUE(f->write_at(0, &c.magic, 4).ok());
      ASSERT_TRUE(f->write_at(4, &c.format, 4).ok());
    }
    // Another process holds the file (shared lock on byte 0), so we are not the first opener.
    test::Child holder([&](test::ChildLink& link) {
      auto f = os::File::open(path, O_RDWR, 0);
      if (!f.ok() || !os::lock_range(f->fd(), 0, 1, os::LockMode::kShared, false).ok()) return 1;
      link.signal_parent();
      link.wait_parent();
      return 0;
    });
    ASSERT_TRUE(holder.wait_signal());
    auto t = ReaderTable::open(path, ReaderTableOptions());
    EXPECT_EQ(t.code(), c.expected);
    holder.tell();
    EXPECT_EQ(holder.wait(), 0);
  }
}

TEST(ReaderTableTest, TooSmallFileOfAnotherOpenerIsInvalid) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  test::Child holder([&](test::ChildLink& link) {
    auto f = os::File::open(path, O_RDWR | O_CREAT, 0644);
    if (!f.ok() || !os::lock_range(f->fd(), 0, 1, os::LockMode::kShared, false).ok()) return 1;
    link.signal_parent();
    link.wait_parent();
    return 0;
  });
  ASSERT_TRUE(holder.wait_signal());
  EXPECT_EQ(ReaderTable::open(path, ReaderTableOptions()).code(), code::kInvalid);
  holder.tell();
  EXPECT_EQ(holder.wait(), 0);
}

TEST(ReaderTableTest, NoLockKeepsTheTableInProcess) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  ReaderTableOptions options;
  options.no_lock = true;
  options.max_readers = 3;
  auto t = ReaderTable::open(path, options);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->in_process());
  EXPECT_FALSE(t->exclusive());
  EXPECT_FALSE(os::exists(path).value());
  for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(t->acquire_slot().value(), i);
  EXPECT_EQ(t->acquire_slot().code(), code::kReadersFull);
  EXPECT_EQ(t->check_stale().value(), 0);
  EXPECT_TRUE(t->share().ok());
  EXPECT_FALSE(t->lock_writer().value());
  t->unlock_writer();
}

TEST(ReaderTableTest, ReadOnlyFileSystemFallsBackToInProcess) {
  test::TempDir dir;
  std::string path = dir.file("lock.mdb");
  os::FaultInjector inject;
  inject.fail_from(os::IoOp::kOpen, 1, EROFS);
  ReaderTableOptions options;
  EXPECT_EQ(ReaderTable::open(path, options).code(), EROFS);
  options.read_only = true;
  auto t = ReaderTable::open(path, options);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->in_process());
  EXPECT_TRUE(t->acquire_slot().ok());
}

TEST(ReaderTableTest, OtherOpenErrorsArePassedOn) {
  test::TempDir dir;
  EXPECT_EQ(ReaderTable::open(dir.file("missing/lock.mdb"), ReaderTableOptions()).code(), ENOENT);
  os::FaultInjector inject;
  inject.fail_nth(os::IoOp::kFallocate, 1, ENOSPC);  // the lock file's blocks are allocated, not just sized
  EXPECT_EQ(ReaderTable::open(dir.file("lock.mdb"), ReaderTableOptions()).code(), ENOSPC);
  inject.fail_nth(os::IoOp::kMmap, 1, ENOMEM);
  EXPECT_EQ(ReaderTable::open(dir.file("lock.mdb"), ReaderTableOptions()).code(), ENOMEM);
}

TEST(ReaderTableTest, MoveKeepsTheTable) {
  test::TempDir dir;
  ReaderTable a = open_table(dir.file("lock.mdb"));
  unsigned slot = a.acquire_slot().value();
  ReaderTable b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_TRUE(b.exclusive());
  EXPECT_EQ(b.slot_info(slot).pid, os::pid());
  ReaderTable c;
  c = std::move(b);
  EXPECT_EQ(live(c).size(), 1u);
}

TEST(ReaderTableTest, ThreadsClaimDistinctSlots) {
  test::TempDir dir;
  ReaderTable t = open_table(dir.file("lock.mdb"));
  std::vector<unsigned> got(8);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 200; ++round) {
        auto slot = t.acquire_slot();
        ASSERT_TRUE(slot.ok());
        t.pin_latest(slot.value());
        if (round + 1 < 200) t.release_slot(slot.value());
        got[i] = slot.value();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<unsigned> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), got.size());
  EXPECT_LE(t.num_readers(), got.size());
}

}  // namespace
}  // namespace aspen::env
