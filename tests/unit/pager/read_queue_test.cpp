// os::ReadQueue: every backend reads the same bytes, completes short reads, reports end of file and errors,
// refuses reads past its depth, and kAuto falls back when io_uring is unavailable (layer: os, used by pager).
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "os/io_hooks.hpp"
#include "os/uring.hpp"

namespace aspen::os {
namespace {

constexpr size_t kPage = 4096;
constexpr unsigned kPages = 64;

struct TempFile {
  std::string path;
  int fd = -1;
  TempFile() {
    char tmpl[] = "/tmp/aspen-readq-XXXXXX";
    fd = mkstemp(tmpl);
    path = tmpl;
    std::vector<unsigned char> bytes(kPages * kPage);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>((i * 131 + i / kPage) & 0xff);
    EXPECT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  static unsigned char expected(size_t off) { return static_cast<unsigned char>((off * 131 + off / kPage) & 0xff); }
};

std::vector<ReadBackend> backends() {
  std::vector<ReadBackend> all = {ReadBackend::kSync, ReadBackend::kThreads};
  if (ReadQueue::open({8, ReadBackend::kUring, 1}).ok()) all.push_back(ReadBackend::kUring);
  return all;
}

// Reaps until `count` completions arrived, waiting as needed.
std::vector<ReadCompletion> reap_all(ReadQueue& q, size_t count) {
  std::vector<ReadCompletion> got;
  ReadCompletion batch[16];
  while (got.size() < count) {
    EXPECT_TRUE(q.submit(true).ok());
    size_t n = q.reap(batch);
    got.insert(got.end(), batch, batch + n);
  }
  return got;
}

TEST(ReadQueue, EveryBackendReadsTheSameBytes) {
  TempFile file;
  for (ReadBackend backend : backends()) {
    SCOPED_TRACE(backend_name(backend));
    auto q = ReadQueue::open({16, backend, 3});
    ASSERT_TRUE(q.ok());
    EXPECT_EQ((*q)->backend(), backend);
    std::vector<std::vector<unsigned char>> bufs(16, std::vector<unsigned char>(2 * kPage));
    for (unsigned i = 0; i < 16; ++i)
      ASSERT_TRUE((*q)->queue_read(file.fd, bufs[i].data(), 2 * kPage, (i * 3) * kPage + 100, i).ok());
    EXPECT_TRUE((*q)->full());
    EXPECT_EQ((*q)->queue_read(file.fd, bufs[0].data(), 1, 0, 99).code(), EBUSY);
    std::vector<ReadCompletion> got = reap_all(**q, 16);
    ASSERT_EQ(got.size(), 16u);
    std::map<uint64_t, int64_t> results;
    for (const ReadCompletion& c : got) results[c.tag] = c.result;
    for (unsigned i = 0; i < 16; ++i) {
      ASSERT_EQ(results[i], static_cast<int64_t>(2 * kPage));
      const size_t off = (i * 3) * kPage + 100;
      for (size_t b = 0; b < 2 * kPage; b += 97) ASSERT_EQ(bufs[i][b], TempFile::expected(off + b));
    }
    EXPECT_EQ((*q)->outstanding(), 0u);
  }
}

TEST(ReadQueue, EndOfFileGivesAShortResult) {
  TempFile file;
  for (ReadBackend backend : backends()) {
    SCOPED_TRACE(backend_name(backend));
    auto q = ReadQueue::open({4, backend, 1});
    ASSERT_TRUE(q.ok());
    std::vector<unsigned char> buf(2 * kPage);
    ASSERT_TRUE((*q)->queue_read(file.fd, buf.data(), buf.size(), (kPages - 1) * kPage, 7).ok());
    auto got = reap_all(**q, 1);
    EXPECT_EQ(got[0].tag, 7u);
    EXPECT_EQ(got[0].result, static_cast<int64_t>(kPage));
  }
}

TEST(ReadQueue, ErrorsComeBackAsNegativeErrno) {
  for (ReadBackend backend : backends()) {
    SCOPED_TRACE(backend_name(backend));
    auto q = ReadQueue::open({4, backend, 1});
    ASSERT_TRUE(q.ok());
    char buf[16];
    int closed = ::open("/dev/null", O_RDONLY);
    ::close(closed);  // a descriptor number that is not open
    ASSERT_TRUE((*q)->queue_read(closed, buf, sizeof buf, 0, 1).ok());
    auto got = reap_all(**q, 1);
    EXPECT_EQ(got[0].result, -EBADF);
  }
}

TEST(ReadQueue, PreadBackendsGoThroughTheIoHooks) {
  TempFile file;
  for (ReadBackend backend : {ReadBackend::kSync, ReadBackend::kThreads}) {
    SCOPED_TRACE(backend_name(backend));
    auto q = ReadQueue::open({4, backend, 1});
    ASSERT_TRUE(q.ok());
    FaultInjector faults;
    faults.fail_nth(IoOp::kPread, 1, EIO);
    std::vector<unsigned char> buf(kPage);
    ASSERT_TRUE((*q)->queue_read(file.fd, buf.data(), kPage, 0, 1).ok());
    EXPECT_EQ(reap_all(**q, 1)[0].result, -EIO);
    ASSERT_TRUE((*q)->queue_read(file.fd, buf.data(), kPage, 0, 2).ok());
    EXPECT_EQ(reap_all(**q, 1)[0].result, static_cast<int64_t>(kPage));
  }
}

TEST(ReadQueue, EventFdIsReadableWhileCompletionsWait) {
  TempFile file;
  for (ReadBackend backend : backends()) {
    SCOPED_TRACE(backend_name(backend));
    auto q = ReadQueue::open({4, backend, 1});
    ASSERT_TRUE(q.ok());
    std::vector<unsigned char> buf(kPage);
    ASSERT_TRUE((*q)->queue_read(file.fd, buf.data(), kPage, kPage, 1).ok());
    ASSERT_TRUE((*q)->submit(false).ok());
    pollfd p{(*q)->event_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    ReadCompletion c[1];
    size_t n = 0;
    for (int i = 0; i < 1000 && n == 0; ++i) n = (*q)->reap(c);
    ASSERT_EQ(n, 1u);
    p.revents = 0;
    EXPECT_EQ(::poll(&p, 1, 0), 0);  // nothing left: no longer readable
  }
}

TEST(ReadQueue, AutoFallsBackWhenIoUringIsRefused) {
  set_uring_disabled_for_testing(true);
  auto q = ReadQueue::open({8, ReadBackend::kAuto, 2});
  auto refused = ReadQueue::open({8, ReadBackend::kUring, 2});
  set_uring_disabled_for_testing(false);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)->backend(), ReadBackend::kThreads);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), uring_compiled_in() ? EPERM : ENOTSUP);
}

TEST(ReadQueue, ResidencyProbe) {
  TempFile file;
  std::vector<unsigned char> buf(kPage);
  ASSERT_EQ(::pread(file.fd, buf.data(), kPage, 0), static_cast<ssize_t>(kPage));  // in the page cache now
  void* map = ::mmap(nullptr, kPages * kPage, PROT_READ, MAP_SHARED, file.fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto r = resident(map, kPage);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_FALSE(resident(static_cast<char*>(map) + 1, kPage).ok());  // not page-aligned: EINVAL
  ::munmap(map, kPages * kPage);
}

}  // namespace
}  // namespace aspen::os
