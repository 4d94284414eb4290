// Meta pages: creation, reading, validation, choice of the newest, and writes (layer: env).
//
// A meta is valid when its page has P_META, the magic and version are LMDB 0.9's and the page size is sane.
// Beyond LMDB, a meta carries a seal (format::MetaSeal) in the unused tail of its page: when the seal names
// the meta's txnid, its CRC-32C must match, or the meta is torn and the other one is used. A meta written by
// liblmdb has no seal for its txnid and is trusted as LMDB would.
#include <cerrno>
#include <cstring>

#include "env/environment.hpp"
#include "page/page.hpp"
#include "os/process.hpp"
#include "util/checksum.hpp"

namespace aspen::env {
namespace {

constexpr size_t kMetaWriteEnd = format::kMetaSealOffset + sizeof(format::MetaSeal);

bool power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

format::MetaSeal seal_for(const format::Meta& meta) {
  return {format::kMetaSealMagic, meta.txnid, crc32c(&meta, sizeof meta)};
}

// Validates one meta page image (at least kMetaWriteEnd bytes). `*sealed` tells whether the page carries a
// seal for its own txnid (an Aspen write) rather than none or an older one (liblmdb's, or a torn write).
Status check_meta_page(const std::byte* page, format::Meta* out, bool* sealed = nullptr) {
  const auto* h = page::header(page);
  format::Meta meta;
  std::memcpy(&meta, page + format::kMetaOffset, sizeof meta);
  if (!(h->flags & format::kPageMeta) || meta.magic != format::kMagic) return ASPEN_ERROR(code::kInvalid);
  if (meta.version != format::kDataVersion) return ASPEN_ERROR(code::kVersionMismatch);
  uint32_t psize = meta.page_size();
  if (psize < format::kMinPageSize || psize > format::kMaxPageSize || !power_of_two(psize))
    return ASPEN_ERROR(code::kInvalid);
  format::MetaSeal seal;
  std::memcpy(&seal, page + format::kMetaSealOffset, sizeof seal);
  if (seal.magic == format::kMetaSealMagic && seal.txnid == meta.txnid &&
      seal.checksum != crc32c(&meta, sizeof meta))
    return ASPEN_ERROR(code::kCorrupted);  // torn or damaged: the other meta is the valid one
  if (meta.last_page < format::kNumMetas - 1) return ASPEN_ERROR(code::kInvalid);
  // Past 2^48 pages no branch node can name the page; (last_page + 1) * page size would also wrap (a
  // fuzzed meta with last_page = 2^64 - 1 made the map cover one page and a reader fault on meta 1).
  if (meta.last_page > format::kMaxPageNo) return ASPEN_ERROR(code::kCorrupted);
  *out = meta;
  if (sealed) *sealed = seal.magic == format::kMetaSealMagic && seal.txnid == meta.txnid;
  return ok_status();
}

// The codes by which check_meta_page rejects a meta page's content (as opposed to failing to read it).
bool meta_rejected(int code) {
  return code == code::kInvalid || code == code::kCorrupted || code == code::kVersionMismatch;
}

}  // namespace

// Reads meta `which` (0 or 1) with pread, so that it works before the map exists.
Result<format::Meta> Environment::read_meta(int which, bool* sealed) const {
  std::byte buffer[kMetaWriteEnd];
  uint64_t offset = which == 0 ? 0 : geometry_.page_size;
  ASPEN_ASSIGN(size_t got, data_file_.read_at(offset, buffer, sizeof buffer));
  if (got < sizeof buffer) return ASPEN_ERROR(code::kInvalid);
  format::Meta meta;
  ASPEN_TRY(check_meta_page(buffer, &meta, sealed));
  return meta;
}

// The valid meta with the highest txnid (LMDB's mdb_env_pick_meta, plus the torn-meta checks), or with
// MDB_PREVSNAPSHOT until the next commit the other one (MDB_INVALID when the other one is not valid).
//
// Metas alternate: the two pages always hold consecutive txnids (equal ones right after creation or a copy),
// whoever wrote them. A meta without a seal for its own txnid that claims to be more than one commit ahead of
// a valid other meta is therefore a torn write whose txnid bytes mix old and new (e.g. the high bytes of N
// over the low bytes of N-2: 0x2ff from 0x1ff and 0x201), not liblmdb's: it is rejected.
Result<format::Meta> Environment::newest_meta() const {
  bool sealed_a = false, sealed_b = false;
  Result<format::Meta> a = read_meta(0, &sealed_a), b = read_meta(1, &sealed_b);
  // A meta that could not be read (EIO ...) is not an invalid one: falling back would hide the newest commit.
  for (const Result<format::Meta>* r : {&a, &b})
    if (!r->ok() && !meta_rejected(r->code())) return r->error();
  if (a.ok() && b.ok()) {
    if (!sealed_a && a->txnid > b->txnid + 1) a = ASPEN_PAGE_ERROR(code::kCorrupted, 0);
    else if (!sealed_b && b->txnid > a->txnid + 1) b = ASPEN_PAGE_ERROR(code::kCorrupted, 1);
  }
  const bool previous = previous_snapshot_.load(std::memory_order_acquire);
  if (!a.ok() && !b.ok()) return a.error();
  if (!a.ok()) return previous ? Result<format::Meta>(ASPEN_ERROR(code::kInvalid)) : b;
  if (!b.ok()) return previous ? Result<format::Meta>(ASPEN_ERROR(code::kInvalid)) : a;
  const bool a_newest = a->txnid >= b->txnid;
  return a_newest != previous ? a : b;
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
  format::MetaSeal seal = seal_for(meta);
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

// Writes `meta` into meta page txnid % 2: the record and its seal, as one write.
Status Environment::write_meta(const format::Meta& meta) {
  std::byte image[kMetaWriteEnd - format::kMetaOffset] = {};
  std::memcpy(image, &meta, sizeof meta);
  format::MetaSeal seal = seal_for(meta);
  std::memcpy(image + (format::kMetaSealOffset - format::kMetaOffset), &seal, sizeof seal);
  const uint64_t page_offset = (meta.txnid & 1) * geometry_.page_size;
  if (flags_ & env_flag::kWriteMap) {
    std::memcpy(map_.data() + page_offset + format::kMetaOffset, image, sizeof image);
    return ok_status();
  }
  return data_file_.write_at(page_offset + format::kMetaOffset, image, sizeof image);
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
    format::Meta first;
    Status st = check_meta_page(head, &first);
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
  ASPEN_ASSIGN(last_meta_, newest_meta());
  geometry_.node_max = format::node_max(geometry_.page_size);
  return ok_status();
}

}  // namespace aspen::env
