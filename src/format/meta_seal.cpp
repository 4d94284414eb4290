// Judging and making meta seals and manifests (layer: format). See meta_seal.hpp.
#include "format/meta_seal.hpp"

#include <algorithm>
#include <cstring>

#include "util/checksum.hpp"

namespace aspen::format {
namespace {

template <class T>
T read_at(const std::byte* page, size_t offset) {
  T value;
  std::memcpy(&value, page + offset, sizeof value);
  return value;
}

// Runs inside the meta's pages (never the metas), sorted, disjoint, and no more than kManifestMaxBytes.
bool runs_plausible(const std::byte* page, const ManifestHeader& header, const Meta& meta, size_t page_size) {
  uint64_t next_free = kNumMetas, total = 0;
  for (size_t i = 0; i < header.run_count; ++i) {
    const ManifestRun run = manifest_run(page, i);
    if (run.pages == 0 || run.first < next_free || run.first > meta.last_page) return false;
    if (run.pages > meta.last_page + 1 - run.first) return false;
    total += run.pages;
    if (total > kManifestMaxBytes / page_size) return false;
    next_free = run.first + run.pages;
  }
  return true;
}

}  // namespace

ManifestHeader manifest_header(const std::byte* page) { return read_at<ManifestHeader>(page, kManifestOffset); }

ManifestRun manifest_run(const std::byte* page, size_t index) {
  return read_at<ManifestRun>(page, kManifestRunsOffset + index * sizeof(ManifestRun));
}

size_t sealed_size(const std::byte* page) {
  const Meta meta = read_at<Meta>(page, kMetaOffset);
  const MetaSeal seal = read_at<MetaSeal>(page, kMetaSealOffset);
  if (seal.magic != kMetaSealManifestMagic || seal.txnid != meta.txnid) return kManifestOffset;
  return kManifestRunsOffset + size_t{manifest_header(page).run_count} * sizeof(ManifestRun);
}

MetaSeal seal_of(const Meta& meta) { return {kMetaSealMagic, meta.txnid, crc32c(&meta, sizeof meta)}; }

MetaSeal seal_of(const Meta& meta, const std::byte* manifest, size_t manifest_size) {
  return {kMetaSealManifestMagic, meta.txnid, crc32c(manifest, manifest_size, crc32c(&meta, sizeof meta))};
}

SealState judge_seal(const std::byte* page, size_t size, size_t page_size) {
  const Meta meta = read_at<Meta>(page, kMetaOffset);
  const MetaSeal seal = read_at<MetaSeal>(page, kMetaSealOffset);
  if (seal.txnid != meta.txnid) return SealState::kUnsealed;
  if (seal.magic == kMetaSealMagic)
    return seal.checksum == seal_of(meta).checksum ? SealState::kSealed : SealState::kTorn;
  if (seal.magic != kMetaSealManifestMagic) return SealState::kUnsealed;
  // Bounds first: the run count decides how many bytes the checksum covers.
  if (size < kManifestRunsOffset) return SealState::kTorn;
  const ManifestHeader header = manifest_header(page);
  const size_t runs = std::min(manifest_capacity(page_size), (size - kManifestRunsOffset) / sizeof(ManifestRun));
  if (header.run_count == 0 || header.run_count > runs) return SealState::kTorn;
  const size_t covered = sizeof header + header.run_count * sizeof(ManifestRun);
  if (seal.checksum != seal_of(meta, page + kManifestOffset, covered).checksum) return SealState::kTorn;
  if (header.version != kManifestVersion || header.txnid != meta.txnid) return SealState::kTorn;
  if (page_size == 0 || !runs_plausible(page, header, meta, page_size)) return SealState::kTorn;
  return SealState::kSealedManifest;
}

}  // namespace aspen::format
