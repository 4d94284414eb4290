// Environment copies (layer: env): a plain copy of the used part of the file as of one snapshot, and a
// compacting copy that walks every tree and renumbers pages densely (MDB_CP_COMPACT).
//
// The compacting copy is LMDB's mdb_env_copyfd1, page for page: the trees are walked depth first and numbered
// in post-order from page 2 (a leaf's overflow runs and named or DUPSORT sub-trees before the leaf, a branch
// after all its children, so MAIN's root gets the last number); meta page 0 is a fresh environment's meta
// (txnid 0) and meta page 1 the copy's (txnid 1), with an empty free list. If the walk does not end on the page
// the free list predicts (used pages minus free ones), the environment leaks pages: MDB_INCOMPATIBLE, as LMDB.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "env/environment.hpp"
#include "page/page.hpp"
#include "util/checksum.hpp"

namespace aspen::env {
namespace {

// Writes meta pages 0 and 1 (`first`, `second`) at the start of `out`.
Status write_metas(const os::File& out, const format::Meta& first, const format::Meta& second, size_t psize) {
  std::vector<std::byte> pages(psize * format::kNumMetas);
  for (unsigned i = 0; i < format::kNumMetas; ++i) {
    const format::Meta& meta = i == 0 ? first : second;
    std::byte* p = pages.data() + i * psize;
    page::header(p)->pgno = i;
    page::header(p)->flags = format::kPageMeta;
    std::memcpy(p + format::kMetaOffset, &meta, sizeof meta);
    format::MetaSeal seal{format::kMetaSealMagic, meta.txnid, crc32c(&meta, sizeof meta)};
    std::memcpy(p + format::kMetaSealOffset, &seal, sizeof seal);
  }
  return out.write_at(0, pages.data(), pages.size());
}

// Copies trees page by page into `out`, renumbering from page 2 in LMDB's post-order.
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
    auto copy = std::make_unique<std::byte[]>(psize_);
    std::memcpy(copy.get(), src, psize_);
    std::byte* p = copy.get();
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
    const uint64_t mine = next_++;  // after everything below it
    page::header(p)->pgno = mine;
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
    ASPEN_TRY(write_metas(out, meta, meta, psize));
    // Like LMDB's mdb_env_copyfd0: no further than the file's end. Pages allocated and freed again by one
    // transaction were never written, so the file may end before last_page (and the map beyond the file's
    // end cannot be read: pwrite answers EFAULT).
    ASPEN_ASSIGN(const uint64_t file_size, data_file_.size());
    const uint64_t pages = std::min(meta.last_page + 1, file_size / psize);
    constexpr uint64_t kChunk = 256;
    for (uint64_t pg = format::kNumMetas; pg < pages; pg += kChunk) {
      uint64_t n = std::min(kChunk, pages - pg);
      ASPEN_TRY(out.write_at(pg * psize, map_.data() + pg * psize, n * psize));
    }
    return ok_status();
  }
  return copy_compact(*txn, meta, out);
}

// The number of pages the snapshot of `txn` does not use: those its free list names, and the free list's own.
Result<uint64_t> Environment::free_page_count(txn::Transaction& txn) {
  ASPEN_ASSIGN(format::DbRecord* free_db, txn.record(format::kFreeDbi));
  uint64_t count = free_db->branch_pages + free_db->leaf_pages + free_db->overflow_pages;
  if (free_db->root == kInvalidPage) return count;
  tree::Cursor cursor(txn, *free_db, txn.key_order(format::kFreeDbi), nullptr);
  Bytes key, data;
  Status st = cursor.get(tree::CursorOp::kFirst, &key, &data);
  for (; st.ok(); st = cursor.get(tree::CursorOp::kNext, &key, &data)) {
    if (data.size() < sizeof(uint64_t)) return ASPEN_ERROR(code::kCorrupted);
    count += load<uint64_t>(data.data());
  }
  if (st.code() != code::kNotFound) return st.error();
  return count;
}

Status Environment::copy_compact(txn::Transaction& txn, const format::Meta& snapshot, const os::File& out) {
  const size_t psize = geometry_.page_size;
  format::Meta fresh{};
  fresh.magic = format::kMagic;
  fresh.version = format::kDataVersion;
  fresh.address = snapshot.address;
  fresh.map_size = map_size();
  fresh.dbs[format::kFreeDbi] = format::DbRecord::empty(static_cast<uint16_t>((flags_ & 0xffff) | format::kDbIntegerKey));
  fresh.dbs[format::kFreeDbi].pad = static_cast<uint32_t>(psize);
  fresh.dbs[format::kMainDbi] = format::DbRecord::empty(0);
  fresh.last_page = format::kNumMetas - 1;
  fresh.txnid = 0;
  format::Meta copy = fresh;
  const format::DbRecord& main = snapshot.dbs[format::kMainDbi];
  uint64_t expected_root = kInvalidPage;
  if (main.root != kInvalidPage) {
    ASPEN_ASSIGN(const uint64_t free_pages, free_page_count(txn));
    expected_root = snapshot.last_page - free_pages;
    copy.last_page = expected_root;
    copy.dbs[format::kMainDbi] = main;
    copy.dbs[format::kMainDbi].root = expected_root;
  } else {
    copy.dbs[format::kMainDbi].flags = main.flags;
  }
  if (main.root != kInvalidPage || main.flags) copy.txnid = 1;
  ASPEN_TRY(write_metas(out, fresh, copy, psize));
  Compactor compactor(txn, out, psize);
  format::DbRecord walked = main;
  ASPEN_TRY(compactor.copy_tree(walked, (main.flags & format::kDbDupSort) != 0));
  if (walked.root != expected_root) return ASPEN_ERROR(code::kIncompatible);  // a page leak (or corruption)
  return ok_status();
}

}  // namespace aspen::env
