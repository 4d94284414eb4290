// manifest_pages_match (layer: check). See manifest.hpp.
#include "check/manifest.hpp"

#include <algorithm>
#include <vector>

#include "format/meta_seal.hpp"
#include "util/checksum.hpp"

namespace aspen::check {
namespace {

constexpr uint64_t kChunkBytes = uint64_t{1} << 20;

}  // namespace

Result<bool> manifest_pages_match(const std::byte* page, size_t page_size, const FileRead& read) {
  const format::ManifestHeader header = format::manifest_header(page);
  std::vector<std::byte> buffer(std::min(kChunkBytes, format::kManifestMaxBytes));
  uint32_t crc = 0;
  for (size_t i = 0; i < header.run_count; ++i) {
    const format::ManifestRun run = format::manifest_run(page, i);
    uint64_t offset = run.first * page_size;
    const uint64_t end = offset + run.pages * page_size;  // judge_seal bounded the runs: no overflow
    while (offset < end) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - offset));
      const std::span<std::byte> chunk(buffer.data(), want);
      ASPEN_ASSIGN(const size_t got, read(offset, chunk));
      if (got < chunk.size()) return false;  // the file ends first: the pages (or the file's new size) never landed
      crc = crc32c(chunk.data(), got, crc);
      offset += got;
    }
  }
  return crc == header.pages_crc;
}

}  // namespace aspen::check
