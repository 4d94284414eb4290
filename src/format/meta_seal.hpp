// The seal and the manifest in a meta page's tail: judging and making them (layer: format). See meta.hpp for
// the bytes and docs/FORMAT.md §2.2.
//
// A seal counts only when its magic is one of Aspen's and its txnid is the meta's; otherwise the meta is
// unsealed (liblmdb wrote it) and is trusted as LMDB would. A sealed meta whose checksum fails is torn. A
// manifest exists only under a kMetaSealManifestMagic seal, which covers it, so a manifest that did not land
// whole makes the seal fail. Judging the seal does not read the listed pages: env/ and check/ do that.
//
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/meta.hpp"

namespace aspen::format {

enum class SealState {
  kUnsealed,        // no seal for this meta's txnid
  kSealed,          // a seal of the record alone, matching
  kSealedManifest,  // a seal of the record and a well-formed manifest, matching
  kTorn,            // a seal for this txnid that fails, or a manifest that cannot be right
};

// Judges the seal of the meta page whose first `size` bytes are at `page` (size >= kManifestOffset; a manifest
// must lie within them). `page_size` bounds the run count.
SealState judge_seal(const std::byte* page, size_t size, size_t page_size);

// How many bytes of the meta page at `page` judge_seal reads: up to the seal, or under a kMetaSealManifestMagic
// seal for the meta's txnid up to the end of the listed runs. REQUIRES: `page` holds kManifestRunsOffset bytes.
size_t sealed_size(const std::byte* page);

// The manifest of a page that judge_seal found kSealedManifest.
ManifestHeader manifest_header(const std::byte* page);
ManifestRun manifest_run(const std::byte* page, size_t index);

// The seal of `meta` alone.
MetaSeal seal_of(const Meta& meta);
// The seal of `meta` and the manifest bytes that follow the seal in its page (header and runs).
MetaSeal seal_of(const Meta& meta, const std::byte* manifest, size_t manifest_size);

}  // namespace aspen::format
