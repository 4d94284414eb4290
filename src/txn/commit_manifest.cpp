// CommitManifest::build (layer: txn). See commit_manifest.hpp.
#include "txn/commit_manifest.hpp"

#include "util/checksum.hpp"

namespace aspen::txn {

bool CommitManifest::build(const std::vector<DirtyMap::Entry>& pages, size_t page_size) {
  runs.clear();
  pages_crc = 0;
  uint64_t total = 0;
  for (const DirtyMap::Entry& e : pages) {
    total += e.pages;
    if (!runs.empty() && runs.back().first + runs.back().pages == e.pgno) {
      runs.back().pages += e.pages;
      continue;
    }
    if (runs.size() == format::manifest_capacity(page_size)) return false;
    runs.push_back({e.pgno, e.pages});
  }
  if (runs.empty() || total > format::kManifestMaxBytes / page_size) return false;
  // Checked only when it fits, so that big commits (which keep two flushes) pay nothing for it.
  for (const DirtyMap::Entry& e : pages) pages_crc = crc32c(e.page, e.pages * page_size, pages_crc);
  return true;
}

}  // namespace aspen::txn
