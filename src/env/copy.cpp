// Environment copies (layer: env): a plain copy of the used part of the file as of one snapshot, and a
// compacting copy that walks every tree and renumbers pages densely (MDB_CP_COMPACT).
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "env/environment.hpp"
#include "page/page.hpp"
#include "util/checksum.hpp"

namespace aspen::env {
namespace {

// Writes both meta pages for `meta` at the start of `out`.
Status write_metas(const os::File& out, format::Meta meta, size_t psize) {
  std::vector<std::byte> pages(psize * format::kNumMetas);
  for (unsigned i = 0; i < format::kNumMetas; ++i) {
    std::byte* p = pages.data() + i * psize;
    page::header(p)->pgno = i;
    page::header(p)->flags = format::kPageMeta;
    std::memcpy(p + format::kMetaOffset, &meta, sizeof meta);
    format::MetaSeal seal{format::kMetaSealMagic, meta.txnid, crc32c(&meta, sizeof meta)};
    std::memcpy(p + format::kMetaSealOffset, &seal, sizeof seal);
  }
  return out.write_at(0, pages.data(), pages.size());
}

// Copies trees page by page into `out`, renumbering from page 2 in walk order.
class Compactor {
 public:
  Compactor(txn::Transaction& txn, const os::File& out, size_t psize) : txn_(txn), out_(out), psize_(psize) {}

  uint64_t next_page() const { return next_; }

  // Copies the tree under `record` (if any) and points `record` at the copy.
  Status copy_tree(format::DbRecord& record, bool dupsort) {
    if (record.root == kInvalidPage) return ok_status();
    ASPEN_ASSIGN(record.root, copy_page(record.root, dupsort, 0));
    return ok_status();
  }

 private:
  Result<uint64_t> copy_page(uint64_t pgno, bool dupsort, unsigned depth) {
    if (depth > format::kCursorStackDepth) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
    ASPEN_ASSIGN(std::byte* src, txn_.page(pgno));
    const uint64_t mine = next_++;
    auto copy = std::make_unique<std::byte[]>(psize_);
    std::memcpy(copy.get(), src, psize_);
    std::byte* p = copy.get();
    page::header(p)->pgno = mine;
    const unsigned n = page::num_keys(p);
    if (page::is_branch(p)) {
      for (unsigned i = 0; i < n; ++i) {
        std::byte* node = page::node(p, i);
        ASPEN_ASSIGN(uint64_t child, copy_page(page::node_child(node), dupsort, depth + 1));
        page::set_node_child(node, child);
      }
    } else if (page::is_leaf(p) && !page::is_leaf2(p)) {
      for (unsigned i = 0; i < n; ++i) ASPEN_TRY(copy_node_data(page::node(p, i), dupsort, depth));
    } else if (!page::is_leaf(p)) {
      return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
    }
    ASPEN_TRY(out_.write_at(mine * psize_, p, psize_));
    return mine;
  }

  Status copy_node_data(std::byte* node, bool dupsort, unsigned depth) {
    const uint16_t f = page::node_flags(node);
    if (f & format::kNodeBigData) {
      ASPEN_ASSIGN(uint64_t run, copy_overflow(page::node_overflow_page(node)));
      store<uint64_t>(page::node_data(node), run);
    } else if (f & format::kNodeSubData) {
      // A named database (in MAIN) or a DUPSORT sub-tree: copy it and rewrite its record.
      format::DbRecord sub = format::DbRecord::decode(page::node_data(node));
      bool sub_dupsort = !(f & format::kNodeDupData) && (sub.flags & format::kDbDupSort);
      if (sub.root != kInvalidPage) {
        ASPEN_ASSIGN(sub.root, copy_page(sub.root, sub_dupsort, depth + 1));
      }
      sub.encode(page::node_data(node));
    }
    (void)dupsort;
    return ok_status();
  }

  Result<uint64_t> copy_overflow(uint64_t pgno) {
    ASPEN_ASSIGN(std::byte* src, txn_.page(pgno));
    if (!page::is_overflow(src)) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
    const uint32_t count = page::header(src)->pages;
    if (pgno + count > txn_.page_limit()) return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
    const uint64_t mine = next_;
    next_ += count;
    std::byte header[format::kPageHeaderSize];
    std::memcpy(header, src, sizeof header);
    page::header(header)->pgno = mine;
    ASPEN_TRY(out_.write_at(mine * psize_, header, sizeof header));
    return out_.write_at(mine * psize_ + sizeof header, src + sizeof header, count * psize_ - sizeof header)
                   .ok()
               ? Result<uint64_t>(mine)
               : Result<uint64_t>(ASPEN_ERROR(EIO));
  }

  txn::Transaction& txn_;
  const os::File& out_;
  size_t psize_;
  uint64_t next_ = format::kNumMetas;
};

}  // namespace

Status Environment::copy_to(int fd, bool compact) {
  if (!is_open()) return ASPEN_ERROR(EINVAL);
  ASPEN_ASSIGN(std::unique_ptr<txn::Transaction> txn, txn::Transaction::begin(*this, nullptr, txn::kTxnReadOnly));
  os::File out = os::File::adopt(fd);
  struct Release {
    os::File& f;
    ~Release() { (void)f.release(); }
  } keep_fd{out};
  const size_t psize = geometry_.page_size;
  ASPEN_ASSIGN(format::Meta meta, read_meta(txn->id() & 1));
  if (meta.txnid != txn->id()) return ASPEN_ERROR(code::kBadRslot);
  if (!compact) {
    ASPEN_TRY(write_metas(out, meta, psize));
    const uint64_t pages = meta.last_page + 1;
    constexpr uint64_t kChunk = 256;
    for (uint64_t pg = format::kNumMetas; pg < pages; pg += kChunk) {
      uint64_t n = std::min(kChunk, pages - pg);
      ASPEN_TRY(out.write_at(pg * psize, map_.data() + pg * psize, n * psize));
    }
    return ok_status();
  }
  Compactor compactor(*txn, out, psize);
  format::DbRecord main = meta.dbs[format::kMainDbi];
  ASPEN_TRY(compactor.copy_tree(main, (main.flags & format::kDbDupSort) != 0));
  meta.dbs[format::kMainDbi] = main;
  uint16_t free_flags = meta.dbs[format::kFreeDbi].flags;
  uint32_t free_pad = meta.dbs[format::kFreeDbi].pad;
  meta.dbs[format::kFreeDbi] = format::DbRecord::empty(free_flags);
  meta.dbs[format::kFreeDbi].pad = free_pad;
  meta.last_page = compactor.next_page() - 1;
  return write_metas(out, meta, psize);
}

}  // namespace aspen::env
