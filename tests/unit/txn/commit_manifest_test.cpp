// CommitManifest::build (layer: txn): adjacent pages merge into runs, the CRC covers the pages in page order,
// and a commit whose runs do not fit in the meta page, or that writes more than kManifestMaxBytes, gets none
// (it falls back to two flushes).
#include <gtest/gtest.h>

#include <vector>

#include "txn/commit_manifest.hpp"
#include "util/checksum.hpp"

namespace aspen::txn {
namespace {

constexpr size_t kPage = 4096;

// Dirty entries for the given (pgno, pages) runs, each backed by a buffer filled with its page number.
class Pages {
 public:
  void add(uint64_t pgno, unsigned pages = 1) {
    buffers_.emplace_back(pages * kPage, static_cast<std::byte>(pgno));
    entries_.push_back({pgno, buffers_.back().data(), pages});
  }
  const std::vector<DirtyMap::Entry>& entries() const { return entries_; }

 private:
  std::vector<std::vector<std::byte>> buffers_;
  std::vector<DirtyMap::Entry> entries_;
};

TEST(CommitManifest, MergesAdjacentPagesAndChecksumsThemInOrder) {
  Pages pages;
  pages.add(2);
  pages.add(3, 4);  // an overflow run right after page 2
  pages.add(7);
  pages.add(10);
  CommitManifest manifest;
  ASSERT_TRUE(manifest.build(pages.entries(), kPage));
  ASSERT_EQ(manifest.runs.size(), 2u);
  EXPECT_EQ(manifest.runs[0].first, 2u);
  EXPECT_EQ(manifest.runs[0].pages, 6u);  // pages 2..7
  EXPECT_EQ(manifest.runs[1].first, 10u);
  EXPECT_EQ(manifest.runs[1].pages, 1u);
  uint32_t crc = 0;
  for (const DirtyMap::Entry& e : pages.entries()) crc = crc32c(e.page, e.pages * kPage, crc);
  EXPECT_EQ(manifest.pages_crc, crc);
}

TEST(CommitManifest, TooManyRunsForTheMetaPageGiveNone) {
  const size_t fits = format::manifest_capacity(kPage);
  Pages pages;
  for (uint64_t i = 0; i < fits; ++i) pages.add(2 + 2 * i);
  CommitManifest manifest;
  EXPECT_TRUE(manifest.build(pages.entries(), kPage));
  EXPECT_EQ(manifest.runs.size(), fits);
  pages.add(2 + 2 * fits);
  EXPECT_FALSE(manifest.build(pages.entries(), kPage));
}

TEST(CommitManifest, MoreThanTheByteBoundGivesNone) {
  Pages pages;
  pages.add(2, static_cast<unsigned>(format::kManifestMaxBytes / kPage));
  CommitManifest manifest;
  EXPECT_TRUE(manifest.build(pages.entries(), kPage));
  pages.add(2 + format::kManifestMaxBytes / kPage);
  EXPECT_FALSE(manifest.build(pages.entries(), kPage));
}

TEST(CommitManifest, NoPagesGiveNone) {
  CommitManifest manifest;
  EXPECT_FALSE(manifest.build({}, kPage));
}

}  // namespace
}  // namespace aspen::txn
