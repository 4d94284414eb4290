// Tests of the process facts: pid, thread id, page size, fork detection.
#include "os/process.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <thread>

#include "process_helpers.hpp"

namespace aspen::os {
namespace {

TEST(ProcessTest, PidAndPageSize) {
  EXPECT_EQ(pid(), getpid());
  size_t page = page_size();
  EXPECT_GE(page, 4096u);
  EXPECT_EQ(page & (page - 1), 0u);
}

TEST(ProcessTest, ThreadIdIsPthreadSelf) {
  uint64_t mine = thread_id();
  EXPECT_EQ(mine, static_cast<uint64_t>(pthread_self()));
  uint64_t other = 0;
  std::thread t([&] { other = thread_id(); });
  t.join();
  EXPECT_NE(mine, other);
}

TEST(ProcessTest, ForkedSince) {
  pid_t recorded = pid();
  EXPECT_FALSE(forked_since(recorded));
  int rc = test::run_in_child([&] { return forked_since(recorded) && pid() != recorded ? 0 : 1; });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace aspen::os
