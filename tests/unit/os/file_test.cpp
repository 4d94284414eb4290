// Tests of os::File and the free file functions: positional I/O, short transfers, sync, truncate, allocate.
#include "os/file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "os/io_hooks.hpp"
#include "process_helpers.hpp"

namespace aspen::os {
namespace {

File open_rw(const std::string& path) {
  auto f = File::open(path, O_RDWR | O_CREAT, 0644);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : error_message(f.code()));
  return f.ok() ? std::move(f).value() : File();
}

std::string read_all(const File& f, size_t n) {
  std::string out(n, '\0');
  auto got = f.read_at(0, out.data(), n);
  EXPECT_TRUE(got.ok());
  out.resize(got.ok() ? got.value() : 0);
  return out;
}

TEST(FileTest, WriteThenReadRoundTrip) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  ASSERT_TRUE(f.valid());
  ASSERT_TRUE(f.write_at(0, "hello", 5).ok());
  ASSERT_TRUE(f.write_at(10, "world", 5).ok());
  auto size = f.size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size.value(), 15u);
  EXPECT_EQ(read_all(f, 15), std::string("hello\0\0\0\0\0world", 15));
}

TEST(FileTest, ReadAtStopsAtEndOfFile) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  ASSERT_TRUE(f.write_at(0, "abc", 3).ok());
  char buf[16];
  auto got = f.read_at(1, buf, sizeof buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), 2u);
  EXPECT_EQ(std::string(buf, 2), "bc");
  auto past = f.read_at(100, buf, sizeof buf);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(past.value(), 0u);
}

TEST(FileTest, OpenMissingFileIsEnoent) {
  test::TempDir dir;
  auto f = File::open(dir.file("missing"), O_RDONLY, 0);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.code(), ENOENT);
}

TEST(FileTest, OpenSetsCloseOnExec) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  EXPECT_TRUE(fcntl(f.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(FileTest, MoveTransfersOwnership) {
  test::TempDir dir;
  File a = open_rw(dir.file("a"));
  int fd = a.fd();
  File b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.fd(), fd);
  b.close();
  EXPECT_FALSE(b.valid());
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  b.close();  // idempotent
}

TEST(FileTest, ShortWritesAreCompleted) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.short_nth(IoOp::kPwrite, 1, 3);
  ASSERT_TRUE(f.write_at(0, "0123456789", 10).ok());
  EXPECT_EQ(inject.count(IoOp::kPwrite), 2u);
  EXPECT_EQ(read_all(f, 10), "0123456789");
}

TEST(FileTest, SecondPwriteFailsWithEnospc) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.fail_nth(IoOp::kPwrite, 2, ENOSPC);
  EXPECT_TRUE(f.write_at(0, "first", 5).ok());
  Status second = f.write_at(5, "second", 6);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), ENOSPC);
  EXPECT_STREQ(error_message(second.code()), strerror(ENOSPC));
  EXPECT_TRUE(f.write_at(5, "third", 5).ok());
  EXPECT_EQ(inject.count(IoOp::kPwrite), 3u);
  EXPECT_EQ(read_all(f, 10), "firstthird");
}

TEST(FileTest, WriteVecWritesBuffersBackToBack) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  char a[] = "abc", b[] = "", c[] = "defgh";
  struct iovec iov[] = {{a, 3}, {b, 0}, {c, 5}};
  ASSERT_TRUE(f.write_vec_at(2, iov, 3).ok());
  EXPECT_EQ(read_all(f, 10), std::string("\0\0abcdefgh", 10));
}

TEST(FileTest, WriteVecCompletesShortTransfers) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.short_nth(IoOp::kPwritev, 1, 4);  // stops inside the second buffer
  char a[] = "abc", b[] = "defg", c[] = "hij";
  struct iovec iov[] = {{a, 3}, {b, 4}, {c, 3}};
  ASSERT_TRUE(f.write_vec_at(0, iov, 3).ok());
  EXPECT_EQ(read_all(f, 10), "abcdefghij");
}

TEST(FileTest, WriteVecReportsErrors) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.fail_nth(IoOp::kPwritev, 1, EIO);
  char a[] = "abc";
  struct iovec iov[] = {{a, 3}};
  Status s = f.write_vec_at(0, iov, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), EIO);
}

TEST(FileTest, SyncAndTruncate) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  ASSERT_TRUE(f.write_at(0, "0123456789", 10).ok());
  EXPECT_TRUE(f.sync_data().ok());
  EXPECT_TRUE(f.sync_all().ok());
  ASSERT_TRUE(f.truncate(4).ok());
  EXPECT_EQ(f.size().value(), 4u);
  ASSERT_TRUE(f.truncate(8192).ok());
  EXPECT_EQ(f.size().value(), 8192u);
  EXPECT_EQ(read_all(f, 6), std::string("0123\0\0", 6));
}

TEST(FileTest, FailedSyncIsReportedAndNotRetried) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.fail_nth(IoOp::kFdatasync, 1, EIO);
  inject.fail_nth(IoOp::kFsync, 1, EIO);
  EXPECT_EQ(f.sync_data().code(), EIO);
  EXPECT_EQ(f.sync_all().code(), EIO);
  EXPECT_EQ(inject.count(IoOp::kFdatasync), 1u);
  EXPECT_EQ(inject.count(IoOp::kFsync), 1u);
}

TEST(FileTest, AllocateExtendsTheFile) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  ASSERT_TRUE(f.allocate(0, 1 << 20).ok());
  EXPECT_EQ(f.size().value(), uint64_t{1} << 20);
}

TEST(FileTest, AllocateFallsBackToZerosWhenUnsupported) {
  for (int error : {EOPNOTSUPP, EINVAL}) {
    test::TempDir dir;
    File f = open_rw(dir.file("a"));
    ASSERT_TRUE(f.write_at(0, "keep", 4).ok());
    FaultInjector inject;
    inject.fail_nth(IoOp::kFallocate, 1, error);
    ASSERT_TRUE(f.allocate(0, 200000).ok());
    EXPECT_EQ(f.size().value(), 200000u);
    EXPECT_EQ(read_all(f, 4), "keep");
    EXPECT_GE(inject.count(IoOp::kPwrite), 1u);
  }
}

TEST(FileTest, AllocateReportsOtherErrors) {
  test::TempDir dir;
  File f = open_rw(dir.file("a"));
  FaultInjector inject;
  inject.fail_nth(IoOp::kFallocate, 1, ENOSPC);
  EXPECT_EQ(f.allocate(0, 4096).code(), ENOSPC);
}

TEST(FileTest, OpenDsyncSetsODsync) {
  test::TempDir dir;
  auto f = open_dsync(dir.file("a"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(fcntl(f->fd(), F_GETFL) & O_DSYNC);
}

TEST(FileTest, ExistsMakeDirRemove) {
  test::TempDir dir;
  std::string sub = dir.file("sub");
  EXPECT_FALSE(exists(sub).value());
  ASSERT_TRUE(make_dir_if_missing(sub).ok());
  ASSERT_TRUE(make_dir_if_missing(sub).ok());
  EXPECT_TRUE(exists(sub).value());
  std::string plain = dir.file("plain");
  { File f = open_rw(plain); }
  EXPECT_EQ(make_dir_if_missing(plain).code(), ENOTDIR);
  EXPECT_TRUE(remove_file(plain).ok());
  EXPECT_FALSE(exists(plain).value());
  EXPECT_TRUE(remove_file(plain).ok());
  EXPECT_FALSE(exists(plain + "/x").value());
}

TEST(FileTest, ReadOnlyFsError) {
  EXPECT_TRUE(is_read_only_fs_error(EROFS));
  EXPECT_FALSE(is_read_only_fs_error(EACCES));
}

}  // namespace
}  // namespace aspen::os
