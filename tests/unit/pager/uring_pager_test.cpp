// UringPager in kHybrid (layer: pager): which pages it reads around the page cache and which through it, and
// that a page left dirty in the page cache (a NOSYNC commit not yet written back) is never read with O_DIRECT,
// whose read would return the stale bytes on disk on a file system that does not write the page back first.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "page/page.hpp"
#include "pager/uring_pager.hpp"

namespace aspen::pager {
namespace {

constexpr size_t kPage = 4096;
constexpr uint64_t kPages = 256;

// A file of kPages pages; page p holds its number in the header's place and the byte `version` after it.
struct PagedFile {
  std::string path;
  int fd = -1;
  std::byte* map = nullptr;

  PagedFile() {
    char tmpl[] = "/tmp/aspen-pager-XXXXXX";
    fd = ::mkstemp(tmpl);
    path = tmpl;
    for (uint64_t p = 0; p < kPages; ++p) write_page(p, 1);
    EXPECT_EQ(::fdatasync(fd), 0);
    map = static_cast<std::byte*>(::mmap(nullptr, kPages * kPage, PROT_READ, MAP_SHARED, fd, 0));
    EXPECT_NE(map, MAP_FAILED);
  }
  ~PagedFile() {
    ::munmap(map, kPages * kPage);
    ::close(fd);
    ::unlink(path.c_str());
  }
  void write_page(uint64_t pgno, unsigned char version) {
    std::vector<unsigned char> bytes(kPage, version);
    std::memcpy(bytes.data(), &pgno, sizeof pgno);
    ASSERT_EQ(::pwrite(fd, bytes.data(), kPage, static_cast<off_t>(pgno * kPage)), static_cast<ssize_t>(kPage));
  }
  // Writes back and evicts every page of the file (nothing maps them: this test never touches the map).
  void drop() {
    ASSERT_EQ(::fdatasync(fd), 0);
    ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  }
  // Whether drop() really evicts (not on tmpfs, whose pages live only in memory).
  bool evictable() {
    drop();
    return !resident(0);
  }
  bool resident(uint64_t pgno) {
    unsigned char v = 0;
    return ::mincore(map + pgno * kPage, kPage, &v) == 0 && (v & 1);
  }
};

struct Fetched {
  bool now = false;
  unsigned char version = 0;
  bool from_map = false;
};

struct Wait : Waiter {
  bool woken = false;
  Wait() { ready = [](Waiter* w) { static_cast<Wait*>(w)->woken = true; }; }
};

// Fetches page `pgno` (a point lookup's leaf unless `shared`) and waits for it.
Fetched fetch(UringPager& pager, const PagedFile& file, uint64_t pgno, bool shared) {
  Wait w;
  PageRef ref;
  Result<bool> now = pager.fetch(PageRequest{pgno, 1, 7, kPages, shared}, &ref, &w);
  EXPECT_TRUE(now.ok());
  Fetched f;
  f.now = now.ok() && *now;
  if (!f.now) {
    while (!w.woken) EXPECT_TRUE(pager.poll(true).ok());
    EXPECT_FALSE(w.failed);
    ref = std::move(w.page);
  }
  EXPECT_EQ(page::page_number(ref.data()), pgno);
  f.version = static_cast<unsigned char>(ref.data()[kPage - 1]);
  f.from_map = ref.data() == file.map + pgno * kPage;
  return f;
}

UringPagerOptions hybrid_options(bool direct_io = true) {
  UringPagerOptions o;
  o.mode = PagerMode::kHybrid;
  o.pool_pages = 64;
  o.direct_io = direct_io;
  return o;
}

std::unique_ptr<UringPager> open_hybrid(const PagedFile& file) {
  auto pager = UringPager::open(file.fd, kPage, file.map, hybrid_options());
  EXPECT_TRUE(pager.ok());
  return pager.ok() ? std::move(*pager) : nullptr;
}

TEST(UringPager, ColdLeafIsReadAroundThePageCacheOnceThenThroughIt) {
  PagedFile file;
  if (!file.evictable()) GTEST_SKIP() << "this file system keeps the pages in memory";
  auto pager = open_hybrid(file);
  ASSERT_TRUE(pager);
  if (!pager->direct()) GTEST_SKIP() << "no O_DIRECT on this file system";
  Fetched first = fetch(*pager, file, 100, false);
  EXPECT_FALSE(first.now);
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(pager->stats().direct_reads, 1u);
  EXPECT_FALSE(file.resident(100));  // read around the page cache
  Fetched second = fetch(*pager, file, 100, false);  // its frame serves one more request
  EXPECT_TRUE(second.now);
  EXPECT_FALSE(second.from_map);
  Fetched third = fetch(*pager, file, 100, false);  // read again: through the page cache this time
  EXPECT_FALSE(third.now);
  EXPECT_EQ(pager->stats().direct_reads, 1u);
  EXPECT_EQ(pager->stats().reads, 2u);
  EXPECT_TRUE(file.resident(100));
  Fetched fourth = fetch(*pager, file, 100, false);  // now the map serves it
  EXPECT_TRUE(fourth.now);
  EXPECT_TRUE(fourth.from_map);
  EXPECT_EQ(fourth.version, 1);
}

TEST(UringPager, SharedPagesGoThroughThePageCache) {
  PagedFile file;
  if (!file.evictable()) GTEST_SKIP() << "this file system keeps the pages in memory";
  auto pager = open_hybrid(file);
  ASSERT_TRUE(pager);
  Fetched branch = fetch(*pager, file, 30, true);
  EXPECT_FALSE(branch.now);
  EXPECT_EQ(pager->stats().direct_reads, 0u);
  EXPECT_TRUE(file.resident(30));
  Fetched again = fetch(*pager, file, 30, true);
  EXPECT_TRUE(again.now);
  EXPECT_TRUE(again.from_map);
}

// The hazard O_DIRECT brings: a committed page may still be dirty in the page cache (NOSYNC), while the disk
// holds an older version. Such a page is resident, so the pager must answer it from the map.
TEST(UringPager, DirtyPageIsNeverReadAroundThePageCache) {
  PagedFile file;
  if (!file.evictable()) GTEST_SKIP() << "this file system keeps the pages in memory";
  for (uint64_t p = 40; p < 60; ++p) file.write_page(p, 2);  // dirty in the page cache, version 1 on disk
  auto pager = open_hybrid(file);
  ASSERT_TRUE(pager);
  for (uint64_t p = 40; p < 60; ++p) {
    Fetched f = fetch(*pager, file, p, false);
    EXPECT_EQ(f.version, 2) << "page " << p;
    EXPECT_TRUE(f.from_map) << "page " << p;
  }
  EXPECT_EQ(pager->stats().direct_reads, 0u);
  EXPECT_EQ(pager->stats().reads, 0u);
  // A page that is clean and evicted is read around the page cache, and is the same bytes.
  Fetched cold = fetch(*pager, file, 200, false);
  EXPECT_EQ(cold.version, 1);
  EXPECT_EQ(pager->stats().direct_reads, pager->direct() ? 1u : 0u);
}

TEST(UringPager, WithoutDirectIoEveryReadGoesThroughThePageCache) {
  PagedFile file;
  if (!file.evictable()) GTEST_SKIP() << "this file system keeps the pages in memory";
  auto pager = UringPager::open(file.fd, kPage, file.map, hybrid_options(false));
  ASSERT_TRUE(pager.ok());
  EXPECT_FALSE((*pager)->direct());
  Fetched f = fetch(**pager, file, 120, false);
  EXPECT_EQ(f.version, 1);
  EXPECT_EQ((*pager)->stats().direct_reads, 0u);
  EXPECT_TRUE(file.resident(120));
}

}  // namespace
}  // namespace aspen::pager
