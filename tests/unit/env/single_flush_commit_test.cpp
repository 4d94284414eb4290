// The one-flush commit (EnvOptions::single_flush_commit, docs/COMMIT.md §7) (layer: env, through the C++ API
// and the file's bytes): one fdatasync per durable commit and a manifest in the meta page; two flushes and no
// manifest when the option is off, ignored, or the commit is too big; and a meta whose pages do not match its
// manifest is rejected at the first open, the file repaired so that liblmdb picks the same meta.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "check/checker.hpp"
#include "check/manifest.hpp"
#include "format/meta_seal.hpp"
#include "os/io_hooks.hpp"
#include "util/checksum.hpp"

namespace aspen {
namespace {

constexpr size_t kPage = 4096;

class SingleFlushCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aspen-oneflush-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<Env> open(bool single_flush, unsigned flags = 0) {
    EnvOptions o;
    o.flags = flags;
    o.single_flush_commit = single_flush;
    return Env::open(dir_, o);
  }
  std::string data_path() const { return dir_ + "/data.mdb"; }
  std::string file() const {
    std::ifstream in(data_path(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void overwrite(uint64_t offset, const void* bytes, size_t n) const {
    const int fd = ::open(data_path().c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes, n, static_cast<off_t>(offset)), static_cast<ssize_t>(n));
    ::close(fd);
  }
  // Meta page `slot` as the file holds it.
  std::vector<std::byte> meta_page(unsigned slot) const {
    const std::string bytes = file();
    std::vector<std::byte> page(kPage);
    std::memcpy(page.data(), bytes.data() + slot * kPage, kPage);
    return page;
  }
  static format::Meta record(const std::vector<std::byte>& page) {
    format::Meta m;
    std::memcpy(&m, page.data() + format::kMetaOffset, sizeof m);
    return m;
  }
  static format::SealState seal(const std::vector<std::byte>& page) {
    return format::judge_seal(page.data(), page.size(), kPage);
  }
  // Commits key -> value in the main database; returns the new txnid.
  static uint64_t put(Env& env, const std::string& key, const std::string& value) {
    auto txn = env.begin_write();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE(txn->put(1, key, value).ok());
    EXPECT_TRUE(txn->commit().ok());
    return env.info()->last_txnid;
  }
  static bool has(Env& env, const std::string& key) {
    auto txn = env.begin_read();
    return txn.ok() && txn->get(1, std::string_view(key)).ok();
  }
  bool pages_match(const std::vector<std::byte>& page) const {
    const int fd = ::open(data_path().c_str(), O_RDONLY);
    const check::FileRead read = [fd](uint64_t offset, std::span<std::byte> out) -> Result<size_t> {
      return static_cast<size_t>(std::max<ssize_t>(0, ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset))));
    };
    Result<bool> whole = check::manifest_pages_match(page.data(), kPage, read);
    ::close(fd);
    return whole.ok() && *whole;
  }
  // Commits "a" then "b" in one-flush mode and damages one page that "b"'s commit wrote; returns b's txnid.
  uint64_t commit_then_lose_a_page() {
    uint64_t b;
    {
      auto env = open(true);
      EXPECT_TRUE(env.ok());
      put(*env, "a", "1");
      b = put(*env, "b", "2");
    }
    const std::vector<std::byte> meta = meta_page(b & 1);
    EXPECT_EQ(seal(meta), format::SealState::kSealedManifest);
    const format::ManifestRun run = format::manifest_run(meta.data(), 0);
    const char garbage[8] = {'l', 'o', 's', 't', 'p', 'a', 'g', 'e'};
    overwrite(run.first * kPage + 2000, garbage, sizeof garbage);  // that page never reached the disk
    EXPECT_FALSE(pages_match(meta));
    return b;
  }

  std::string dir_;
};

TEST_F(SingleFlushCommit, OneFdatasyncAndAManifestPerCommit) {
  auto env = open(true);
  ASSERT_TRUE(env.ok());
  put(*env, "warm", "up");
  uint64_t txnid;
  {
    os::FaultInjector counter;
    txnid = put(*env, "key", std::string(100, 'v'));
    EXPECT_EQ(counter.count(os::IoOp::kFdatasync), 1u);
    EXPECT_EQ(counter.count(os::IoOp::kFsync), 0u);
  }
  const std::vector<std::byte> meta = meta_page(txnid & 1);
  ASSERT_EQ(seal(meta), format::SealState::kSealedManifest);
  const format::ManifestHeader header = format::manifest_header(meta.data());
  EXPECT_EQ(header.txnid, txnid);
  EXPECT_GE(header.run_count, 1u);
  EXPECT_TRUE(pages_match(meta));
  env->close();
  auto again = open(false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->info()->last_txnid, txnid);
  EXPECT_TRUE(has(*again, "key"));
  again->close();
  auto report = check::check_environment(dir_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : check::to_string(report->problems[0]));
}

// The option off (the default) writes what Aspen always wrote: 264 bytes of record and seal, two fdatasyncs.
TEST_F(SingleFlushCommit, OffWritesTheSameMetaBytesAsBefore) {
  auto env = open(false);
  ASSERT_TRUE(env.ok());
  put(*env, "warm", "up");
  os::FaultInjector tracer;
  tracer.set_tracing(true);
  const uint64_t txnid = put(*env, "key", "value");
  EXPECT_EQ(tracer.count(os::IoOp::kFdatasync), 2u);
  const std::vector<os::IoTraceEntry> trace = tracer.trace();
  bool meta_written = false;
  for (const os::IoTraceEntry& e : trace) {
    if (e.op != os::IoOp::kPwrite || e.offset >= 2 * kPage) continue;
    EXPECT_EQ(e.offset, (txnid & 1) * kPage + format::kMetaOffset);
    EXPECT_EQ(e.length, 264u);
    meta_written = true;
  }
  EXPECT_TRUE(meta_written);
  const std::vector<std::byte> page = meta_page(txnid & 1);
  std::vector<std::byte> expected(kPage);
  format::PageHeader header{};
  header.pgno = txnid & 1;
  header.flags = format::kPageMeta;
  std::memcpy(expected.data(), &header, sizeof header);
  const format::Meta meta = record(page);
  std::memcpy(expected.data() + format::kMetaOffset, &meta, sizeof meta);
  const format::MetaSeal plain{format::kMetaSealMagic, txnid, crc32c(&meta, sizeof meta)};
  std::memcpy(expected.data() + format::kMetaSealOffset, &plain, sizeof plain);
  EXPECT_EQ(page, expected);
}

TEST_F(SingleFlushCommit, IgnoredUnderNoSyncNoMetaSyncAndWriteMap) {
  struct Mode {
    unsigned flags;
    uint64_t fdatasyncs;
  };
  for (const Mode mode : {Mode{kNoSync, 0}, Mode{kNoMetaSync, 1}, Mode{kWriteMap, 0}}) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directory(dir_);
    auto env = open(true, mode.flags);
    ASSERT_TRUE(env.ok());
    put(*env, "warm", "up");
    os::FaultInjector counter;
    const uint64_t txnid = put(*env, "key", "value");
    EXPECT_EQ(counter.count(os::IoOp::kFdatasync), mode.fdatasyncs) << mode.flags;
    env->close();
    EXPECT_EQ(seal(meta_page(txnid & 1)), format::SealState::kSealed) << mode.flags;
  }
}

TEST_F(SingleFlushCommit, CommitTooBigForAManifestTakesTwoFlushes) {
  auto env = open(true);
  ASSERT_TRUE(env.ok());
  put(*env, "warm", "up");
  os::FaultInjector counter;
  const uint64_t txnid = put(*env, "big", std::string(format::kManifestMaxBytes + 1, 'b'));
  EXPECT_EQ(counter.count(os::IoOp::kFdatasync), 2u);
  env->close();
  EXPECT_EQ(seal(meta_page(txnid & 1)), format::SealState::kSealed);
}

TEST_F(SingleFlushCommit, MetaWhosePagesDidNotLandIsRejectedAndRepaired) {
  const uint64_t b = commit_then_lose_a_page();
  // The checker, like Aspen, does not take the torn meta.
  auto report = check::check_environment(dir_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->meta_page, static_cast<int>((b - 1) & 1));
  EXPECT_EQ(report->count(check::ProblemKind::kMeta), 1u);
  {
    auto env = open(false);
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env->info()->last_txnid, b - 1);
    EXPECT_TRUE(has(*env, "a"));
    EXPECT_FALSE(has(*env, "b"));
  }
  // Repaired: the torn slot now holds the valid meta (plain seal), so liblmdb, which picks the higher txnid,
  // reads the same snapshot.
  const std::vector<std::byte> good = meta_page((b - 1) & 1), fixed = meta_page(b & 1);
  EXPECT_EQ(record(fixed).txnid, b - 1);
  const format::Meta fixed_meta = record(fixed), good_meta = record(good);
  EXPECT_EQ(std::memcmp(&fixed_meta, &good_meta, sizeof(format::Meta)), 0);
  EXPECT_EQ(seal(fixed), format::SealState::kSealed);
  report = check::check_environment(dir_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : check::to_string(report->problems[0]));
  // The next commit takes txnid b again, into the same slot.
  auto env = open(true);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(put(*env, "c", "3"), b);
  EXPECT_TRUE(has(*env, "c"));
  EXPECT_FALSE(has(*env, "b"));
}

TEST_F(SingleFlushCommit, ReadOnlyFirstOpenFallsBackWithoutWriting) {
  const uint64_t b = commit_then_lose_a_page();
  const std::string before = file();
  {
    auto env = open(false, kReadOnly);
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env->info()->last_txnid, b - 1);
    EXPECT_FALSE(has(*env, "b"));
    EXPECT_TRUE(has(*env, "a"));
  }
  EXPECT_EQ(file(), before);
  auto env = open(false);  // the next writable first open repairs
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(record(meta_page(b & 1)).txnid, b - 1);
}

// The seal covers the runs too: a manifest whose runs did not land whole (a later sector of the meta page)
// makes the meta torn, and it is repaired the same way.
TEST_F(SingleFlushCommit, ManifestRunsThatDidNotLandMakeTheMetaTorn) {
  uint64_t b;
  {
    auto env = open(true);
    ASSERT_TRUE(env.ok());
    put(*env, "a", "1");
    b = put(*env, "b", "2");
  }
  const uint64_t stale = 0x77;
  overwrite((b & 1) * kPage + format::kManifestRunsOffset, &stale, sizeof stale);
  EXPECT_EQ(seal(meta_page(b & 1)), format::SealState::kTorn);
  auto env = open(false);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->info()->last_txnid, b - 1);
  EXPECT_EQ(record(meta_page(b & 1)).txnid, b - 1);
}

}  // namespace
}  // namespace aspen
