// Tests of os::Mapping: shared file maps, msync, growth inside a reservation that keeps the base address,
// anonymous shared memory, and mmap failures returned as errors.
#include "os/mapping.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "os/file.hpp"
#include "os/io_hooks.hpp"
#include "os/process.hpp"
#include "process_helpers.hpp"

namespace aspen::os {
namespace {

File make_file(const test::TempDir& dir, uint64_t size) {
  auto f = File::open(dir.file("data"), O_RDWR | O_CREAT, 0644);
  EXPECT_TRUE(f.ok());
  EXPECT_TRUE(f->truncate(size).ok());
  return std::move(f).value();
}

TEST(MappingTest, MapShowsFileContentsAndWritesThrough) {
  test::TempDir dir;
  File f = make_file(dir, 8192);
  ASSERT_TRUE(f.write_at(100, "disk", 4).ok());
  auto m = Mapping::map(f.fd(), 8192, true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 8192u);
  EXPECT_EQ(m->reserved(), 0u);
  EXPECT_EQ(std::memcmp(m->data() + 100, "disk", 4), 0);
  std::memcpy(m->data() + 5000, "map", 3);
  ASSERT_TRUE(m->sync(5000, 3, false).ok());  // unaligned range: widened to the page
  ASSERT_TRUE(m->sync(0, 8192, true).ok());
  char buf[3];
  ASSERT_EQ(f.read_at(5000, buf, 3).value(), 3u);
  EXPECT_EQ(std::memcmp(buf, "map", 3), 0);
  EXPECT_TRUE(m->advise_random().ok());
}

TEST(MappingTest, ZeroSizeIsEinval) {
  test::TempDir dir;
  File f = make_file(dir, 4096);
  EXPECT_EQ(Mapping::map(f.fd(), 0, false).code(), EINVAL);
  EXPECT_EQ(Mapping::reserve_and_map(f.fd(), 8192, 4096, false).code(), EINVAL);
}

TEST(MappingTest, MmapFailureIsAnErrorNotACrash) {
  test::TempDir dir;
  File f = make_file(dir, 4096);
  FaultInjector inject;
  inject.fail_nth(IoOp::kMmap, 1, ENOMEM);
  EXPECT_EQ(Mapping::map(f.fd(), 4096, true).code(), ENOMEM);
  inject.fail_nth(IoOp::kMmap, 3, ENOMEM);  // the file map after the reservation (call 2)
  EXPECT_EQ(Mapping::reserve_and_map(f.fd(), 4096, 1 << 20, true).code(), ENOMEM);
}

TEST(MappingTest, FailedMsyncIsReported) {
  test::TempDir dir;
  File f = make_file(dir, 4096);
  auto m = Mapping::map(f.fd(), 4096, true);
  ASSERT_TRUE(m.ok());
  FaultInjector inject;
  inject.fail_nth(IoOp::kMsync, 1, EIO);
  EXPECT_EQ(m->sync(0, 4096, false).code(), EIO);
}

TEST(MappingTest, ExtendInsideReservationKeepsTheBaseAddress) {
  test::TempDir dir;
  const uint64_t page = page_size();
  File f = make_file(dir, page);
  auto m = Mapping::reserve_and_map(f.fd(), page, 64 * page, true);
  ASSERT_TRUE(m.ok());
  std::byte* base = m->data();
  EXPECT_EQ(m->reserved(), 64 * page);
  std::memcpy(base, "first", 5);
  const std::byte* kept = base;  // a pointer taken before growth

  ASSERT_TRUE(f.truncate(16 * page).ok());
  ASSERT_TRUE(f.write_at(10 * page, "later", 5).ok());
  ASSERT_TRUE(m->extend(16 * page).ok());
  EXPECT_EQ(m->data(), base);
  EXPECT_EQ(m->size(), 16 * page);
  EXPECT_EQ(std::memcmp(kept, "first", 5), 0);
  EXPECT_EQ(std::memcmp(base + 10 * page, "later", 5), 0);
  std::memcpy(base + 15 * page, "tail", 4);
  char buf[4];
  ASSERT_TRUE(m->sync(15 * page, 4, false).ok());
  ASSERT_EQ(f.read_at(15 * page, buf, 4).value(), 4u);
  EXPECT_EQ(std::memcmp(buf, "tail", 4), 0);

  EXPECT_EQ(m->extend(65 * page).code(), ENOMEM);
  EXPECT_EQ(m->extend(page).code(), EINVAL);
  EXPECT_TRUE(m->extend(16 * page).ok());
}

TEST(MappingTest, ExtendFromAnUnalignedSize) {
  test::TempDir dir;
  const uint64_t page = page_size();
  File f = make_file(dir, 3 * page);
  ASSERT_TRUE(f.write_at(page + 7, "x", 1).ok());
  auto m = Mapping::reserve_and_map(f.fd(), 100, 8 * page, false);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->extend(page + 8).ok());  // still inside the first two pages
  ASSERT_TRUE(m->extend(3 * page).ok());
  EXPECT_EQ(static_cast<char>(m->data()[page + 7]), 'x');
}

TEST(MappingTest, FailedExtendLeavesTheMapUsable) {
  test::TempDir dir;
  const uint64_t page = page_size();
  File f = make_file(dir, 4 * page);
  auto m = Mapping::reserve_and_map(f.fd(), page, 8 * page, true);
  ASSERT_TRUE(m.ok());
  std::memcpy(m->data(), "keep", 4);
  {
    FaultInjector inject;
    inject.fail_nth(IoOp::kMmap, 1, ENOMEM);
    EXPECT_EQ(m->extend(4 * page).code(), ENOMEM);
  }
  EXPECT_EQ(m->size(), page);
  EXPECT_EQ(std::memcmp(m->data(), "keep", 4), 0);
  ASSERT_TRUE(m->extend(4 * page).ok());
  m->data()[3 * page] = std::byte{1};
}

TEST(MappingTest, ExtendWithoutReservationGrowsInPlaceOrFails) {
  test::TempDir dir;
  const uint64_t page = page_size();
  File f = make_file(dir, 4 * page);
  auto m = Mapping::map(f.fd(), page, true);
  ASSERT_TRUE(m.ok());
  std::byte* base = m->data();
  Status s = m->extend(4 * page);
  if (s.ok()) {
    EXPECT_EQ(m->data(), base);
    EXPECT_EQ(m->size(), 4 * page);
  } else {
    EXPECT_EQ(s.code(), ENOMEM);
    EXPECT_EQ(m->size(), page);
  }
}

TEST(MappingTest, AnonymousMemoryIsSharedWithForkedChildren) {
  auto m = Mapping::anonymous(4096);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data()[0], std::byte{0});
  int rc = test::run_in_child([&] {
    std::memcpy(m->data(), "child", 5);
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(std::memcmp(m->data(), "child", 5), 0);
}

TEST(MappingTest, MoveAndUnmap) {
  auto m = Mapping::anonymous(4096);
  ASSERT_TRUE(m.ok());
  Mapping a = std::move(m).value();
  std::byte* p = a.data();
  Mapping b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.data(), p);
  b.unmap();
  EXPECT_FALSE(b.valid());
  b.unmap();
  EXPECT_EQ(b.sync(0, 1, false).code(), EINVAL);
}

}  // namespace
}  // namespace aspen::os
