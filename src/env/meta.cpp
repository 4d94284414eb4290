// Meta pages: creation, reading, validation, choice of the newest, writes and repair (layer: env).
//
// A meta is valid when its page has P_META, the magic and version are LMDB 0.9's and the page size is sane.
// Beyond LMDB, a meta carries a seal (format::MetaSeal) in the unused tail of its page: when the seal names
// the meta's txnid, its CRC-32C must match, or the meta is torn and the other one is used. A meta written by
// liblmdb has no seal for its txnid and is trusted as LMDB would. The meta of a one-flush commit also carries
// a manifest of the pages it wrote (docs/COMMIT.md §7); until its txnid is published, the newest meta is
// trusted only if those pages match it (manifest_holds).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "env/environment.hpp"
#include "check/manifest.hpp"
#include "page/page.hpp"
#include "os/process.hpp"

namespace aspen::env {
namespace {

// Record and plain seal: what a commit without a manifest writes, and what every meta page holds at least.
constexpr size_t kMetaWriteEnd = format::kMetaSealOffset + sizeof(format::MetaSeal);

bool power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

// Validates one meta page image of `size` bytes (at least kMetaWriteEnd). `*seal` tells what its seal says.
Status check_meta_page(const std::byte* page, size_t size, format::Meta* out, format::SealState* seal = nullptr) {
  const auto* h = page::header(page);
  format::Meta meta;
  std::memcpy(&meta, page + format::kMetaOffset, sizeof meta);
  if (!(h->flags & format::kPageMeta) || meta.magic != format::kMagic) return ASPEN_ERROR(code::kInvalid);
  if (meta.version != format::kDataVersion) return ASPEN_ERROR(code::kVersionMismatch);
  uint32_t psize = meta.page_size();
  if (psize < format::kMinPageSize || psize > format::kMaxPageSize || !power_of_two(psize))
    return ASPEN_ERROR(code::kInvalid);
  const format::SealState state = format::judge_seal(page, size, psize);
  if (state == format::SealState::kTorn) return ASPEN_ERROR(code::kCorrupted);  // the other meta is the valid one
  if (meta.last_page < format::kNumMetas - 1) return ASPEN_ERROR(code::kInvalid);
  // Past 2^48 pages no branch node can name the page; (last_page + 1) * page size would also wrap (a
  // fuzzed meta with last_page = 2^64 - 1 made the map cover one page and a reader fault on meta 1).
  if (meta.last_page > format::kMaxPageNo) return ASPEN_ERROR(code::kCorrupted);
  *out = meta;
  if (seal) *seal = state;
  return ok_status();
}

// The codes by which check_meta_page rejects a meta page's content (as opposed to failing to read it).
bool meta_rejected(int code) {
  return code == code::kInvalid || code == code::kCorrupted || code == code::kVersionMismatch;
}

// A meta page's bytes from kMetaOffset on, as a commit writes them: the record and its seal, and for a one-flush
// commit the manifest after the seal. Without a manifest these are the 264 bytes Aspen always wrote.
std::vector<std::byte> meta_image(const format::Meta& meta, const txn::CommitManifest* manifest) {
  const size_t runs = manifest ? manifest->runs.size() : 0;
  const size_t end = manifest ? format::kManifestRunsOffset + runs * sizeof(format::ManifestRun) : kMetaWriteEnd;
  std::vector<std::byte> image(end - format::kMetaOffset);
  std::memcpy(image.data(), &meta, sizeof meta);
  format::MetaSeal seal = format::seal_of(meta);
  if (manifest) {
    const format::ManifestHeader header{format::kManifestVersion, static_cast<uint32_t>(runs), manifest->pages_crc,
                                        0, meta.txnid};
    std::byte* bytes = image.data() + (format::kManifestOffset - format::kMetaOffset);
    std::memcpy(bytes, &header, sizeof header);
    std::memcpy(bytes + sizeof header, manifest->runs.data(), runs * sizeof(format::ManifestRun));
    seal = format::seal_of(meta, bytes, end - format::kManifestOffset);
  }
  std::memcpy(image.data() + (format::kMetaSealOffset - format::kMetaOffset), &seal, sizeof seal);
  return image;
}

}  // namespace

// Reads meta page `which` (0 or 1) with pread, so that it works before the map exists: its first sector, which
// holds the record, the seal and a manifest of up to 13 runs, then the rest of a longer manifest if any (as
// much of it as the page and the file hold).
Result<Environment::MetaImage> Environment::read_meta_image(int which) const {
  constexpr size_t kSector = 512;
  const size_t psize = geometry_.page_size;
  const uint64_t offset = which == 0 ? 0 : psize;
  MetaImage image;
  image.bytes.resize(std::min(psize, kSector));
  ASPEN_ASSIGN(size_t got, data_file_.read_at(offset, image.bytes.data(), image.bytes.size()));
  if (got < kMetaWriteEnd) return ASPEN_ERROR(code::kInvalid);
  const size_t wanted = std::min(psize, format::sealed_size(image.bytes.data()));
  if (got == image.bytes.size() && wanted > got) {
    image.bytes.resize(wanted);
    ASPEN_ASSIGN(const size_t more, data_file_.read_at(offset + got, image.bytes.data() + got, wanted - got));
    got += more;
  }
  image.bytes.resize(got);
  ASPEN_TRY(check_meta_page(image.bytes.data(), got, &image.meta, &image.seal));
  return image;
}

Result<format::Meta> Environment::read_meta(int which) const {
  ASPEN_ASSIGN(MetaImage image, read_meta_image(which));
  return image.meta;
}

// Both metas, each valid or rejected: LMDB's checks and the seal (check_meta_page), then two rules that need
// both pages.
//   - Metas alternate: the two pages always hold consecutive txnids (equal ones right after creation, a copy or
//     a repair), whoever wrote them. A meta without a seal for its own txnid that claims to be more than one
//     commit ahead of a valid other meta is therefore a torn write whose txnid bytes mix old and new (e.g. the
//     high bytes of N over the low bytes of N-2: 0x2ff from 0x1ff and 0x201), not liblmdb's: it is rejected.
//   - The newest valid meta, if it has a manifest, must match its pages (manifest_holds). The other one needs no
//     check: its commit synced before the newest began, and the newest never overwrote its pages (invariant 1).
Result<Environment::MetaPair> Environment::judged_metas() const {
  MetaPair pair{{read_meta_image(0), read_meta_image(1)}};
  Result<MetaImage>& a = pair.slot[0];
  Result<MetaImage>& b = pair.slot[1];
  // A meta that could not be read (EIO ...) is not an invalid one: falling back would hide the newest commit.
  for (const Result<MetaImage>* r : {&a, &b})
    if (!r->ok() && !meta_rejected(r->code())) return r->error();
  if (a.ok() && b.ok()) {
    const bool a_unsealed = a->seal == format::SealState::kUnsealed;
    const bool b_unsealed = b->seal == format::SealState::kUnsealed;
    if (a_unsealed && a->meta.txnid > b->meta.txnid + 1) a = ASPEN_PAGE_ERROR(code::kCorrupted, 0);
    else if (b_unsealed && b->meta.txnid > a->meta.txnid + 1) b = ASPEN_PAGE_ERROR(code::kCorrupted, 1);
  }
  const int newest = a.ok() && (!b.ok() || a->meta.txnid >= b->meta.txnid) ? 0 : (b.ok() ? 1 : -1);
  if (newest >= 0) {
    ASPEN_ASSIGN(const bool whole, manifest_holds(newest, *pair.slot[newest]));
    if (!whole) pair.slot[newest] = ASPEN_PAGE_ERROR(code::kCorrupted, static_cast<uint64_t>(newest));
  }
  return pair;
}

// Whether the commit of meta page `which` is whole. Only a one-flush commit can be otherwise, and only until
// its txnid is published: a txnid is published after its commit's fdatasync returned, and the first opener
// after a crash re-initialises lock.mdb (txnid 0), so after a crash no meta counts as published. The verdict
// is kept per page (txnid and seal), so the pages are read once per meta.
Result<bool> Environment::manifest_holds(int which, const MetaImage& image) const {
  if (image.seal != format::SealState::kSealedManifest) return true;
  if (readers_ && readers_->valid() && image.meta.txnid <= readers_->last_txnid()) return true;
  format::MetaSeal seal;
  std::memcpy(&seal, image.bytes.data() + format::kMetaSealOffset, sizeof seal);
  std::lock_guard<std::mutex> lock(manifest_mutex_);
  ManifestVerdict& known = manifest_verdicts_[which];
  if (known.known && known.txnid == image.meta.txnid && known.seal == seal.checksum) return known.whole;
  const check::FileRead read = [this](uint64_t offset, std::span<std::byte> out) {
    return data_file_.read_at(offset, out.data(), out.size());
  };
  ASPEN_ASSIGN(const bool whole, check::manifest_pages_match(image.bytes.data(), geometry_.page_size, read));
  known = ManifestVerdict{true, image.meta.txnid, seal.checksum, whole};
  return whole;
}

// The valid meta with the highest txnid (LMDB's mdb_env_pick_meta, plus the checks of judged_metas), or with
// MDB_PREVSNAPSHOT until the next commit the other one (MDB_INVALID when the other one is not valid).
Result<format::Meta> Environment::newest_meta() const {
  ASPEN_ASSIGN(MetaPair pair, judged_metas());
  const Result<MetaImage>& a = pair.slot[0];
  const Result<MetaImage>& b = pair.slot[1];
  const bool previous = previous_snapshot_.load(std::memory_order_acquire);
  if (!a.ok() && !b.ok()) return a.error();
  if (!a.ok()) return previous ? Result<format::Meta>(ASPEN_ERROR(code::kInvalid)) : b->meta;
  if (!b.ok()) return previous ? Result<format::Meta>(ASPEN_ERROR(code::kInvalid)) : a->meta;
  const bool a_newest = a->meta.txnid >= b->meta.txnid;
  return a_newest != previous ? a->meta : b->meta;
}

// After a crash liblmdb would trust a meta that Aspen rejects as torn (kCorrupted: its seal, its manifest or its
// txnid), since LMDB checks only P_META, magic and version and picks the higher txnid (page 0 on a tie). Such a
// page is rewritten with a copy of the valid meta and synced, so that liblmdb picks the same snapshot as Aspen.
// REQUIRES: nobody else has the environment open (the first opener holds byte 0 of lock.mdb), so that no reader
// can be using the page.
Status Environment::repair_torn_meta(const MetaPair& pair) {
  const size_t psize = geometry_.page_size;
  for (int bad = 0; bad < static_cast<int>(format::kNumMetas); ++bad) {
    const Result<MetaImage>& rejected = pair.slot[bad];
    const Result<MetaImage>& good = pair.slot[1 - bad];
    if (rejected.ok() || rejected.code() != code::kCorrupted || !good.ok()) continue;
    format::Meta seen;
    ASPEN_ASSIGN(const size_t got, data_file_.read_at(bad * psize + format::kMetaOffset, &seen, sizeof seen));
    if (got < sizeof seen) continue;
    const bool lmdb_picks_it = bad == 1 ? seen.txnid > good->meta.txnid : seen.txnid >= good->meta.txnid;
    if (!lmdb_picks_it) continue;
    const std::vector<std::byte> image = meta_image(good->meta, nullptr);
    ASPEN_TRY(data_file_.write_at(bad * psize + format::kMetaOffset, image.data(), image.size()));
    ASPEN_TRY(data_file_.sync_data());
  }
  return ok_status();
}

Status Environment::create_new(size_t page_size) {
  geometry_.page_size = page_size;
  format::Meta meta{};
  meta.magic = format::kMagic;
  meta.version = format::kDataVersion;
  // LMDB's default map size unless the user chose one; it is what a liblmdb process opening the file adopts.
  const uint64_t chosen = map_size_.load(std::memory_order_relaxed);
  meta.map_size = map_size_set_ && chosen ? chosen : format::kDefaultMapSize;
  meta.dbs[format::kFreeDbi] = format::DbRecord::empty(
      static_cast<uint16_t>((flags_ & 0xffff) | format::kDbIntegerKey));
  meta.dbs[format::kFreeDbi].pad = static_cast<uint32_t>(page_size);
  meta.dbs[format::kMainDbi] = format::DbRecord::empty(0);
  meta.last_page = format::kNumMetas - 1;
  meta.txnid = 0;
  std::vector<std::byte> pages(page_size * format::kNumMetas);
  const format::MetaSeal seal = format::seal_of(meta);
  for (unsigned i = 0; i < format::kNumMetas; ++i) {
    std::byte* p = pages.data() + i * page_size;
    page::header(p)->pgno = i;
    page::header(p)->flags = format::kPageMeta;
    std::memcpy(p + format::kMetaOffset, &meta, sizeof meta);
    std::memcpy(p + format::kMetaSealOffset, &seal, sizeof seal);
  }
  ASPEN_TRY(data_file_.write_at(0, pages.data(), pages.size()));
  return data_file_.sync_data();
}

// Writes `meta` into meta page txnid % 2: the record, its seal and the manifest if any, as one write.
Status Environment::write_meta(const format::Meta& meta, const txn::CommitManifest* manifest) {
  const std::vector<std::byte> image = meta_image(meta, manifest);
  const uint64_t page_offset = (meta.txnid & 1) * geometry_.page_size;
  if (flags_ & env_flag::kWriteMap) {
    std::memcpy(map_.data() + page_offset + format::kMetaOffset, image.data(), image.size());
    return ok_status();
  }
  return data_file_.write_at(page_offset + format::kMetaOffset, image.data(), image.size());
}

Status Environment::load_or_create_meta() {
  ASPEN_ASSIGN(uint64_t size, data_file_.size());
  if (size == 0) {
    if (flags_ & env_flag::kReadOnly) return ASPEN_ERROR(ENOENT);
    ASPEN_TRY(create_new(os::page_size()));
  } else {
    // The page size is the file's: read the first meta at offset 0, then the second one page later.
    std::byte head[kMetaWriteEnd];
    ASPEN_ASSIGN(size_t got, data_file_.read_at(0, head, sizeof head));
    if (got < sizeof head) return ASPEN_ERROR(code::kInvalid);
    // Only the page size is needed here: the seal is judged later on the whole page (a manifest lies past
    // these bytes, which makes the page read as torn, as does a real tear; both lend their page size).
    format::Meta first;
    Status st = check_meta_page(head, sizeof head, &first);
    if (st.ok()) {
      geometry_.page_size = first.page_size();
    } else if (st.code() == code::kCorrupted) {
      std::memcpy(&first, head + format::kMetaOffset, sizeof first);  // torn record, page size still there
      geometry_.page_size = first.page_size();
    } else {
      return st;
    }
    if (size < format::kNumMetas * geometry_.page_size && size < geometry_.page_size + kMetaWriteEnd)
      return ASPEN_ERROR(code::kInvalid);
  }
  // The first opener after a crash makes the file agree with liblmdb before anyone else can read it.
  if (readers_->exclusive() && !(flags_ & env_flag::kReadOnly)) {
    ASPEN_ASSIGN(MetaPair pair, judged_metas());
    ASPEN_TRY(repair_torn_meta(pair));
  }
  ASPEN_ASSIGN(last_meta_, newest_meta());
  geometry_.node_max = format::node_max(geometry_.page_size);
  return ok_status();
}

}  // namespace aspen::env
