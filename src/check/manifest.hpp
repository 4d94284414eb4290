// The check of a one-flush commit's manifest against its pages (layer: check; protocol in docs/COMMIT.md §7).
//
// A one-flush commit writes its pages and its meta and then syncs once, so a power loss can leave the meta on
// disk without some of the pages. Its meta lists the pages it wrote and their CRC-32C (format::ManifestHeader);
// re-reading them tells whether they all landed. Used by the checker and, at open, by the environment.
// Thread-safety: as thread-safe as the `read` function it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "util/result.hpp"

namespace aspen::check {

// Reads up to out.size() bytes at file offset `offset`; returns how many (fewer only at the end of the file).
using FileRead = std::function<Result<size_t>(uint64_t offset, std::span<std::byte> out)>;

// Whether the pages listed by the manifest of meta page `page` hold what the commit wrote, re-read through
// `read` (a pread of the file, never a map that may not cover them). False when a page differs or lies past the
// end of the file; an error only when a read fails. Reads at most format::kManifestMaxBytes.
// REQUIRES: format::judge_seal found `page` kSealedManifest for this page size.
Result<bool> manifest_pages_match(const std::byte* page, size_t page_size, const FileRead& read);

}  // namespace aspen::check
