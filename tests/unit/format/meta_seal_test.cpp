// The seal and the manifest of a meta page, judged from its bytes alone (layer: format): a manifest counts only
// under its own seal, which covers it, and a manifest that cannot be right makes the meta torn.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "format/meta_seal.hpp"

namespace aspen::format {
namespace {

constexpr size_t kPage = 4096;

// A meta page of txnid 7 with `runs` in its manifest (none: a plain seal).
std::vector<std::byte> page_with(const std::vector<ManifestRun>& runs, uint64_t last_page = 100) {
  std::vector<std::byte> page(kPage);
  Meta meta{};
  meta.magic = kMagic;
  meta.version = kDataVersion;
  meta.dbs[kFreeDbi].pad = kPage;
  meta.last_page = last_page;
  meta.txnid = 7;
  std::memcpy(page.data() + kMetaOffset, &meta, sizeof meta);
  MetaSeal seal = seal_of(meta);
  if (!runs.empty()) {
    const ManifestHeader header{kManifestVersion, static_cast<uint32_t>(runs.size()), 0x1234, 0, meta.txnid};
    std::memcpy(page.data() + kManifestOffset, &header, sizeof header);
    std::memcpy(page.data() + kManifestRunsOffset, runs.data(), runs.size() * sizeof(ManifestRun));
    seal = seal_of(meta, page.data() + kManifestOffset, sizeof header + runs.size() * sizeof(ManifestRun));
  }
  std::memcpy(page.data() + kMetaSealOffset, &seal, sizeof seal);
  return page;
}

TEST(MetaSeal, ManifestRoundTrip) {
  const std::vector<ManifestRun> runs = {{2, 3}, {9, 1}, {40, 12}};
  const std::vector<std::byte> page = page_with(runs);
  ASSERT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kSealedManifest);
  const ManifestHeader header = manifest_header(page.data());
  EXPECT_EQ(header.version, kManifestVersion);
  EXPECT_EQ(header.run_count, 3u);
  EXPECT_EQ(header.pages_crc, 0x1234u);
  EXPECT_EQ(header.txnid, 7u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(manifest_run(page.data(), i).first, runs[i].first);
    EXPECT_EQ(manifest_run(page.data(), i).pages, runs[i].pages);
  }
}

TEST(MetaSeal, SealedSizeIsWhatJudgingReads) {
  EXPECT_EQ(sealed_size(page_with({}).data()), kManifestOffset);
  EXPECT_EQ(sealed_size(page_with({{2, 3}, {9, 1}}).data()), kManifestRunsOffset + 2 * sizeof(ManifestRun));
  std::vector<ManifestRun> runs;
  for (uint64_t i = 0; i < 20; ++i) runs.push_back({2 + 2 * i, 1});
  const std::vector<std::byte> page = page_with(runs);
  EXPECT_GT(sealed_size(page.data()), 512u);  // past the first sector: the reader must fetch the rest
  EXPECT_EQ(judge_seal(page.data(), sealed_size(page.data()), kPage), SealState::kSealedManifest);
  EXPECT_EQ(judge_seal(page.data(), 512, kPage), SealState::kTorn);
}

TEST(MetaSeal, PlainSealIgnoresStaleManifestBytes) {
  std::vector<std::byte> page = page_with({{2, 3}});
  const std::vector<std::byte> plain = page_with({});
  std::memcpy(page.data(), plain.data(), kManifestOffset);  // a later plain commit: record and seal only
  EXPECT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kSealed);
  EXPECT_EQ(judge_seal(plain.data(), plain.size(), kPage), SealState::kSealed);
}

TEST(MetaSeal, SealCoversEveryManifestByte) {
  const std::vector<std::byte> whole = page_with({{2, 3}, {9, 1}});
  const size_t end = kManifestRunsOffset + 2 * sizeof(ManifestRun);
  for (size_t at = kManifestOffset; at < end; ++at) {
    std::vector<std::byte> page = whole;
    page[at] ^= std::byte{0x10};
    EXPECT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kTorn) << "byte " << at;
  }
  // Past the listed runs nothing counts.
  std::vector<std::byte> page = whole;
  page[end] ^= std::byte{0x10};
  EXPECT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kSealedManifest);
}

TEST(MetaSeal, ManifestCutShortByTheReadIsTorn) {
  const std::vector<std::byte> page = page_with({{2, 3}, {9, 1}});
  EXPECT_EQ(judge_seal(page.data(), kManifestRunsOffset + sizeof(ManifestRun), kPage), SealState::kTorn);
  EXPECT_EQ(judge_seal(page.data(), kManifestOffset, kPage), SealState::kTorn);
}

TEST(MetaSeal, ImplausibleRunsAreTorn) {
  struct Case {
    const char* what;
    std::vector<ManifestRun> runs;
  };
  const std::vector<Case> cases = {
      {"a meta page", {{0, 1}}},
      {"not sorted", {{5, 2}, {3, 1}}},
      {"overlapping", {{5, 2}, {6, 1}}},
      {"past last_page", {{99, 3}}},
      {"an empty run", {{4, 0}}},
      {"more than a one-flush commit may write", {{2, kManifestMaxBytes / kPage + 1}}},
  };
  for (const Case& c : cases) {
    const uint64_t last_page = c.runs[0].first == 99 ? 100 : 1u << 20;
    const std::vector<std::byte> page = page_with(c.runs, last_page);
    EXPECT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kTorn) << c.what;
  }
}

TEST(MetaSeal, TooManyRunsForThePageAreTorn) {
  std::vector<ManifestRun> runs;
  for (uint64_t i = 0; i < manifest_capacity(kPage); ++i) runs.push_back({2 + 2 * i, 1});
  EXPECT_EQ(manifest_capacity(kPage), 237u);
  EXPECT_EQ(judge_seal(page_with(runs, 1000).data(), kPage, kPage), SealState::kSealedManifest);
  // The same bytes judged for a smaller page size hold more runs than fit.
  EXPECT_EQ(judge_seal(page_with(runs, 1000).data(), kPage, 2048), SealState::kTorn);
}

TEST(MetaSeal, ASealOfAnotherTxnidIsNoSeal) {
  std::vector<std::byte> page = page_with({{2, 3}});
  uint64_t txnid = 8;  // liblmdb committed txnid 8 over the record, leaving Aspen's tail alone
  std::memcpy(page.data() + kMetaOffset + offsetof(Meta, txnid), &txnid, sizeof txnid);
  EXPECT_EQ(judge_seal(page.data(), page.size(), kPage), SealState::kUnsealed);
}

}  // namespace
}  // namespace aspen::format
