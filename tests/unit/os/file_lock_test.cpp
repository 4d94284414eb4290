// Tests of the fcntl byte-range locks between a parent and a forked child (locks belong to processes, so a
// second process is the only way to see a conflict).
#include "os/file_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>

#include "os/file.hpp"
#include "process_helpers.hpp"

namespace aspen::os {
namespace {

File make_file(const test::TempDir& dir) {
  auto f = File::open(dir.file("lock"), O_RDWR | O_CREAT, 0644);
  EXPECT_TRUE(f.ok());
  return std::move(f).value();
}

TEST(FileLockTest, ExclusiveLockIsBusyForAnotherProcess) {
  test::TempDir dir;
  File f = make_file(dir);
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kExclusive, false).ok());
  EXPECT_FALSE(range_locked_by_other(f.fd(), 0, 1).value());  // our own lock never counts
  int rc = test::run_in_child([&] {
    Status s = lock_range(f.fd(), 0, 1, LockMode::kShared, false);
    if (!is_lock_busy(s)) return 1;
    auto held = range_locked_by_other(f.fd(), 0, 1);
    if (!held.ok() || !held.value()) return 2;
    auto other_byte = range_locked_by_other(f.fd(), 1, 1);
    if (!other_byte.ok() || other_byte.value()) return 3;
    return lock_range(f.fd(), 1, 1, LockMode::kExclusive, false).ok() ? 0 : 4;
  });
  EXPECT_EQ(rc, 0);
}

TEST(FileLockTest, SharedLocksAreCompatible) {
  test::TempDir dir;
  File f = make_file(dir);
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kShared, false).ok());
  int rc = test::run_in_child([&] {
    if (!lock_range(f.fd(), 0, 1, LockMode::kShared, false).ok()) return 1;
    return is_lock_busy(lock_range(f.fd(), 0, 1, LockMode::kExclusive, false)) ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

TEST(FileLockTest, DowngradeAndUnlock) {
  test::TempDir dir;
  File f = make_file(dir);
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kExclusive, false).ok());
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kShared, false).ok());  // converts in place
  int rc = test::run_in_child([&] { return lock_range(f.fd(), 0, 1, LockMode::kShared, false).ok() ? 0 : 1; });
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kUnlock, false).ok());
  rc = test::run_in_child([&] { return lock_range(f.fd(), 0, 1, LockMode::kExclusive, false).ok() ? 0 : 1; });
  EXPECT_EQ(rc, 0);
}

TEST(FileLockTest, WaitBlocksUntilTheHolderLetsGo) {
  test::TempDir dir;
  File f = make_file(dir);
  test::Child child([&](test::ChildLink& link) {
    if (!lock_range(f.fd(), 0, 1, LockMode::kExclusive, false).ok()) return 1;
    link.signal_parent();
    link.wait_parent();
    usleep(100 * 1000);
    return 0;  // exiting releases the lock
  });
  ASSERT_TRUE(child.wait_signal());
  EXPECT_TRUE(is_lock_busy(lock_range(f.fd(), 0, 1, LockMode::kShared, false)));
  child.tell();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(lock_range(f.fd(), 0, 1, LockMode::kShared, true).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(child.wait(), 0);
}

TEST(FileLockTest, LocksBeyondEndOfFileAndBadFd) {
  test::TempDir dir;
  File f = make_file(dir);
  EXPECT_TRUE(lock_range(f.fd(), 4000000, 1, LockMode::kExclusive, false).ok());
  Status bad = lock_range(-1, 0, 1, LockMode::kExclusive, false);
  EXPECT_EQ(bad.code(), EBADF);
  EXPECT_FALSE(is_lock_busy(bad));
  EXPECT_EQ(range_locked_by_other(-1, 0, 1).code(), EBADF);
}

}  // namespace
}  // namespace aspen::os
