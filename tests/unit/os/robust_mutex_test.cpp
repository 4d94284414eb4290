// Tests of os::RobustMutex in shared memory: cross-process exclusion, owner death and recovery, and the byte
// layout LMDB 0.9 writes for the same mutex.
#include "os/robust_mutex.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "os/mapping.hpp"
#include "process_helpers.hpp"

#if defined(__SANITIZE_THREAD__)
#define ASPEN_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ASPEN_TSAN 1
#endif
#endif

namespace aspen::os {
namespace {

class RobustMutexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Mapping::anonymous(4096);
    ASSERT_TRUE(m.ok());
    shared_ = std::move(m).value();
    ASSERT_TRUE(RobustMutex::init(mutex()).ok());
  }
  void* mutex() { return shared_.data() + 8; }  // the reader mutex's offset in lock.mdb, 8-aligned

  Mapping shared_;
};

TEST_F(RobustMutexTest, LockUnlock) {
  auto first = RobustMutex::lock(mutex());
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.value());
  std::thread other([&] { EXPECT_EQ(RobustMutex::try_lock(mutex()).code(), EBUSY); });
  other.join();
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
  auto again = RobustMutex::try_lock(mutex());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value());
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
}

TEST_F(RobustMutexTest, UnlockByNonOwnerIsRefused) {
#ifdef ASPEN_TSAN
  GTEST_SKIP() << "ThreadSanitizer reports the deliberate wrong-thread unlock";
#endif
  ASSERT_TRUE(RobustMutex::lock(mutex()).ok());
  std::thread other([&] { EXPECT_EQ(RobustMutex::unlock(mutex()).code(), EPERM); });
  other.join();
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
}

TEST_F(RobustMutexTest, ExcludesAnotherProcess) {
  ASSERT_TRUE(RobustMutex::lock(mutex()).ok());
  int rc = test::run_in_child([&] { return RobustMutex::try_lock(mutex()).code() == EBUSY ? 0 : 1; });
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
}

TEST_F(RobustMutexTest, OwnerDiedInChildIsRecovered) {
  int rc = test::run_in_child([&] {
    auto locked = RobustMutex::lock(mutex());
    return locked.ok() && !locked.value() ? 0 : 1;  // exits holding the mutex
  });
  ASSERT_EQ(rc, 0);
  auto locked = RobustMutex::lock(mutex());
  ASSERT_TRUE(locked.ok());
  EXPECT_TRUE(locked.value());  // EOWNERDEAD: we own it, the data may need repair
  ASSERT_TRUE(RobustMutex::make_consistent(mutex()).ok());
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
  auto next = RobustMutex::lock(mutex());
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next.value());
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
}

TEST_F(RobustMutexTest, KilledOwnerIsRecovered) {
  test::Child child([&](test::ChildLink& link) {
    if (!RobustMutex::lock(mutex()).ok()) return 1;
    link.signal_parent();
    pause();
    return 0;
  });
  ASSERT_TRUE(child.wait_signal());
  EXPECT_EQ(RobustMutex::try_lock(mutex()).code(), EBUSY);
  EXPECT_EQ(child.kill_and_wait(), 128 + SIGKILL);
  auto locked = RobustMutex::lock(mutex());
  ASSERT_TRUE(locked.ok());
  EXPECT_TRUE(locked.value());
  ASSERT_TRUE(RobustMutex::make_consistent(mutex()).ok());
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
}

// The documented hazard that ReaderTable avoids by making the mutex consistent first.
TEST_F(RobustMutexTest, UnlockWithoutConsistentMakesItUnrecoverable) {
  ASSERT_EQ(test::run_in_child([&] { return RobustMutex::lock(mutex()).ok() ? 0 : 1; }), 0);
  ASSERT_TRUE(RobustMutex::lock(mutex()).value());
  ASSERT_TRUE(RobustMutex::unlock(mutex()).ok());
  EXPECT_EQ(RobustMutex::lock(mutex()).code(), ENOTRECOVERABLE);
}

// LMDB 0.9 on glibc x86-64 leaves __kind = PTHREAD_MUTEX_ROBUST_NORMAL_NP | PTHREAD_MUTEX_PSHARED_BIT (0x90) at
// byte 16 of each mutex and zeros elsewhere after init (measured on a fresh lock.mdb: bytes 0x18 and 0x50).
TEST_F(RobustMutexTest, LayoutMatchesLmdb) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(mutex());
  for (size_t i = 0; i < RobustMutex::kSize; ++i) {
    EXPECT_EQ(bytes[i], i == 16 ? 0x90 : 0x00) << "byte " << i;
  }
}

}  // namespace
}  // namespace aspen::os
