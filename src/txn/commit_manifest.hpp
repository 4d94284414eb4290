// CommitManifest: the page runs one commit wrote and a CRC-32C of their contents, which a one-flush commit
// stores after the seal of its meta page (layer: txn; bytes in format/meta.hpp, protocol in docs/COMMIT.md §7).
//
// Built from the commit's dirty pages after they were written, so the CRC is of exactly the bytes that went to
// the file. Thread-safety: none (one write transaction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "format/meta.hpp"
#include "txn/dirty_map.hpp"

namespace aspen::txn {

struct CommitManifest {
  std::vector<format::ManifestRun> runs;  // adjacent pages merged into one run
  uint32_t pages_crc = 0;

  // Builds the manifest of `pages` (sorted by page number, as written). False, leaving the manifest unusable,
  // when the runs do not fit in a meta page of `page_size` or the pages exceed format::kManifestMaxBytes: the
  // commit then takes the two-flush path.
  bool build(const std::vector<DirtyMap::Entry>& pages, size_t page_size);
};

}  // namespace aspen::txn
