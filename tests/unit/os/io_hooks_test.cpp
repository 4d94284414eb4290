// Tests of the I/O seam: a replaced hook table is used, reset restores the real calls, and FaultInjector
// counts, fails and traces calls by kind.
#include "os/io_hooks.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "os/file.hpp"
#include "os/mapping.hpp"
#include "process_helpers.hpp"

namespace aspen::os {
namespace {

ssize_t always_enospc(int, const void*, size_t, off_t) {
  errno = ENOSPC;
  return -1;
}

TEST(IoHooksTest, DefaultsToTheRealCalls) { EXPECT_EQ(&io(), &real_io_hooks()); }

TEST(IoHooksTest, ReplacedTableIsUsedUntilReset) {
  test::TempDir dir;
  auto f = File::open(dir.file("a"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(f.ok());
  IoHooks hooks = real_io_hooks();
  hooks.pwrite = always_enospc;
  set_io_hooks(&hooks);
  EXPECT_EQ(f->write_at(0, "x", 1).code(), ENOSPC);
  reset_io_hooks();
  EXPECT_TRUE(f->write_at(0, "x", 1).ok());
  EXPECT_EQ(&io(), &real_io_hooks());
}

TEST(IoHooksTest, InjectorRestoresPreviousTable) {
  {
    FaultInjector inject;
    EXPECT_NE(&io(), &real_io_hooks());
  }
  EXPECT_EQ(&io(), &real_io_hooks());
}

TEST(IoHooksTest, FailFromFailsEveryLaterCall) {
  test::TempDir dir;
  auto f = File::open(dir.file("a"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(f.ok());
  FaultInjector inject;
  inject.fail_from(IoOp::kPwrite, 2, EIO);
  EXPECT_TRUE(f->write_at(0, "a", 1).ok());
  EXPECT_EQ(f->write_at(0, "b", 1).code(), EIO);
  EXPECT_EQ(f->write_at(0, "c", 1).code(), EIO);
  inject.clear();
  EXPECT_TRUE(f->write_at(0, "d", 1).ok());
  EXPECT_EQ(inject.count(IoOp::kPwrite), 1u);
}

TEST(IoHooksTest, RulesApplyToTheirKindOnly) {
  test::TempDir dir;
  FaultInjector inject;
  inject.fail_nth(IoOp::kFsync, 1, EIO);
  auto f = File::open(dir.file("a"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->write_at(0, "a", 1).ok());
  EXPECT_TRUE(f->sync_data().ok());
  EXPECT_EQ(f->sync_all().code(), EIO);
  EXPECT_EQ(inject.count(IoOp::kOpen), 1u);
  EXPECT_EQ(inject.count(IoOp::kPwrite), 1u);
  EXPECT_EQ(inject.count(IoOp::kFdatasync), 1u);
}

TEST(IoHooksTest, FailedOpenAndMmap) {
  test::TempDir dir;
  FaultInjector inject;
  inject.fail_nth(IoOp::kOpen, 1, EMFILE);
  inject.fail_nth(IoOp::kMmap, 1, ENOMEM);
  EXPECT_EQ(File::open(dir.file("a"), O_RDWR | O_CREAT, 0644).code(), EMFILE);
  EXPECT_EQ(Mapping::anonymous(4096).code(), ENOMEM);
  EXPECT_TRUE(Mapping::anonymous(4096).ok());
}

TEST(IoHooksTest, TraceRecordsCalls) {
  test::TempDir dir;
  auto f = File::open(dir.file("a"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(f.ok());
  FaultInjector inject;
  inject.set_tracing(true);
  inject.fail_nth(IoOp::kPwrite, 2, ENOSPC);
  EXPECT_TRUE(f->write_at(4096, "abcd", 4).ok());
  EXPECT_FALSE(f->write_at(0, "ef", 2).ok());
  auto trace = inject.trace();
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].op, IoOp::kPwrite);
  EXPECT_EQ(trace[0].fd, f->fd());
  EXPECT_EQ(trace[0].offset, 4096u);
  EXPECT_EQ(trace[0].length, 4u);
  EXPECT_EQ(trace[0].result, 4);
  EXPECT_EQ(trace[1].result, -1);
  EXPECT_EQ(trace[1].error, ENOSPC);
  EXPECT_STREQ(io_op_name(trace[1].op), "pwrite");
}

}  // namespace
}  // namespace aspen::os
