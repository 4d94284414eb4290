// Physical limits (bench): see limits.hpp.
#include "limits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "dataset.hpp"

namespace aspen::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBufferBytes = size_t{256} << 20;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Overwrites one 4 KiB block and fdatasyncs it, for about a second (at least 20 times).
double measure_fdatasync(const std::string& dir, std::string* error) {
  std::string path = dir + "/fdatasync.probe";
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "fdatasync probe: " + path + ": " + std::strerror(errno);
    return 0;
  }
  std::vector<char> block(4096, 'x');
  bool ok = ::pwrite(fd, block.data(), block.size(), 0) == 4096 && ::fdatasync(fd) == 0;  // allocate first
  uint64_t n = 0;
  auto start = Clock::now();
  while (ok && (n < 20 || seconds_since(start) < 1.0)) {
    block[0] = static_cast<char>(n);
    ok = ::pwrite(fd, block.data(), block.size(), 0) == 4096 && ::fdatasync(fd) == 0;
    ++n;
  }
  double rate = n / seconds_since(start);
  if (!ok) *error = std::string("fdatasync probe: ") + std::strerror(errno);
  ::close(fd);
  ::unlink(path.c_str());
  return ok ? rate : 0;
}

// A pointer chase: each 64-byte line holds the index of the next, in one random cycle over all lines
// (Sattolo's algorithm), so each load depends on the previous one and lands on an unpredictable line.
double measure_load_latency() {
  constexpr size_t kStride = 64 / sizeof(uint64_t);
  const size_t lines = kBufferBytes / 64;
  std::unique_ptr<uint64_t[]> buf(new uint64_t[lines * kStride]);
  std::vector<uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0u);
  Rng rng(42);
  for (size_t i = lines - 1; i > 0; --i) std::swap(order[i], order[rng.below(i)]);
  for (size_t i = 0; i < lines; ++i) buf[order[i] * kStride] = order[(i + 1) % lines] * kStride;
  constexpr uint64_t kLoads = 10'000'000;
  uint64_t at = 0;
  for (uint64_t i = 0; i < lines / 4; ++i) at = buf[at];  // warm the page tables
  auto start = Clock::now();
  for (uint64_t i = 0; i < kLoads; ++i) at = buf[at];
  double ns = seconds_since(start) * 1e9 / kLoads;
  static std::atomic<uint64_t> sink;
  sink = at;
  return ns;
}

// Sums a buffer 8 bytes at a time, several passes, after one pass to fault it in.
double measure_seq_read() {
  const size_t words = kBufferBytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  for (size_t i = 0; i < words; ++i) buf[i] = i;
  uint64_t sum = 0;
  constexpr int kPasses = 8;
  auto start = Clock::now();
  for (int pass = 0; pass < kPasses; ++pass) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < words; i += 4) {
      s0 += buf[i];
      s1 += buf[i + 1];
      s2 += buf[i + 2];
      s3 += buf[i + 3];
    }
    sum += s0 + s1 + s2 + s3;
  }
  double secs = seconds_since(start);
  static std::atomic<uint64_t> sink;
  sink = sum;
  return static_cast<double>(kBufferBytes) * kPasses / secs / 1e9;
}

}  // namespace

Limits measure_limits(const std::string& dir) {
  Limits l;
  l.fdatasync_per_sec = measure_fdatasync(dir, &l.error);
  l.load_latency_ns = measure_load_latency();
  l.seq_read_gb_per_sec = measure_seq_read();
  return l;
}

}  // namespace aspen::bench
