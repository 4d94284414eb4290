// Commit of a write transaction (layer: txn).
//
// Numbered invariants of the commit protocol (the crash-case argument is in docs/COMMIT.md):
//   1. No page reachable from either meta page is ever overwritten: changed pages are copies (touch), and a
//      page is reused only under the free-list rule (free_list.cpp), which keeps both metas' trees intact.
//   2. Every dirty page reaches the file, and is synced (unless MDB_NOSYNC), before the meta page that makes
//      it reachable is written: write_dirty_pages, then sync_data, then commit_meta. A one-flush commit
//      replaces the order by a proof: its meta lists the pages it wrote with their CRC-32C (CommitManifest),
//      one fdatasync covers both, and an open after a crash takes the meta only if the pages match it.
//   3. The meta for txn N goes to page N % 2, so the previous meta (N-1) stays whole while it is written.
//   4. A failed sync or meta write poisons the environment (EnvHost::commit_meta); it is never retried.
//   5. A nested commit touches no file: it hands its pages, free lists and records to its parent.
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <vector>

#include "page/page.hpp"
#include "txn/transaction.hpp"

namespace aspen::txn {
namespace {

constexpr unsigned kWriteMap = 0x80000;
constexpr int kMaxIov = 64;  // pages per pwritev, like LMDB's MDB_COMMIT_PAGES

}  // namespace

Status Transaction::store_named_records() {
  tree::Cursor main(*this, dbs_[format::kMainDbi].record, key_order(format::kMainDbi), nullptr);
  DbTable& table = host_->db_table();
  for (unsigned i = format::kCoreDbs; i < num_dbs_; ++i) {
    DbState& s = dbs_[i];
    if (!s.valid || !s.dirty || s.stale) continue;
    Bytes key = as_bytes(table.slot(i).name);
    Bytes value{reinterpret_cast<const std::byte*>(&s.record), sizeof s.record};
    ASPEN_TRY(main.put(key, &value, tree::put_flag::kSubData));
  }
  return ok_status();
}

// Pages below both the committed end and the file's end (reused free pages, all written by earlier commits)
// are stored through the host's write view when it offers one; the rest, and everything when it does not, go
// out in pwritev runs, which also grow the file (see src/env/write_view.cpp for why and when).
Status Transaction::write_dirty_pages(const std::vector<DirtyMap::Entry>& pages) {
  const size_t psize = geometry_.page_size;
  for (const auto& e : pages) page::header(e.page)->flags &= static_cast<uint16_t>(~format::kPageDirty);
  if (geometry_.env_flags & kWriteMap) return ok_status();  // the pages already are the map
  ASPEN_ASSIGN(EnvHost::WriteView view, host_->write_view(meta_.last_page + 1));
  auto in_view = [&](const DirtyMap::Entry& e) { return e.pgno + e.pages <= view.pages; };
  const os::File& file = host_->data_file();
  iovec iov[kMaxIov];
  size_t i = 0;
  while (i < pages.size()) {
    if (in_view(pages[i])) {
      std::memcpy(view.base + pages[i].pgno * psize, pages[i].page, pages[i].pages * psize);
      ++i;
      continue;
    }
    int n = 0;
    const uint64_t start = pages[i].pgno;
    uint64_t next = start;
    while (i < pages.size() && n < kMaxIov && pages[i].pgno == next && !in_view(pages[i])) {
      iov[n].iov_base = pages[i].page;
      iov[n].iov_len = pages[i].pages * psize;
      next += pages[i].pages;
      ++n;
      ++i;
    }
    ASPEN_TRY(file.write_vec_at(start * psize, iov, n));
  }
  return ok_status();
}

Status Transaction::commit_top() {
  DbTable& table = host_->db_table();
  if (!modified_) {
    table.set_count(num_dbs_);
    return ok_status();
  }
  ASPEN_TRY(store_named_records());
  ASPEN_TRY(save_free_list());
  const std::vector<DirtyMap::Entry> pages = dirty_.sorted();
  ASPEN_TRY(write_dirty_pages(pages));
  CommitManifest manifest;
  const bool one_flush = host_->single_flush_commit() && manifest.build(pages, geometry_.page_size);
  if (!one_flush) ASPEN_TRY(host_->sync_data(false));
  format::Meta meta = meta_;
  meta.dbs[format::kFreeDbi] = dbs_[format::kFreeDbi].record;
  meta.dbs[format::kMainDbi] = dbs_[format::kMainDbi].record;
  // The FREE_DBI record's pad and flags carry the page size and environment flags (mm_psize, mm_flags).
  meta.dbs[format::kFreeDbi].pad = meta_.dbs[format::kFreeDbi].pad;
  meta.dbs[format::kFreeDbi].flags = meta_.dbs[format::kFreeDbi].flags;
  meta.last_page = next_pgno_ - 1;
  meta.txnid = txnid_;
  uint64_t pages_written = 0;
  for (const DirtyMap::Entry& e : pages) pages_written += e.pages;
  ASPEN_TRY(host_->commit_meta(meta, pages_written, one_flush ? &manifest : nullptr));
  table.set_count(num_dbs_);
  return ok_status();
}

Status Transaction::commit_nested() {
  Transaction& p = *parent_;
  // As LMDB: the pages this child freed join the parent's list, even those the parent had dirtied (they stay
  // in its dirty map and are written, and listed free, at the top-level commit); the child's loose pages go
  // after the parent's, to be reused once the parent's are used up.
  // Every allocation comes first: a std::bad_alloc then leaves the parent untouched (the child is aborted,
  // its buffers freed once); after these reservations nothing below allocates.
  p.freed_.reserve(p.freed_.size() + freed_.size());
  p.loose_.reserve(p.loose_.size() + loose_.size());
  p.dirty_.reserve(p.dirty_.size() + dirty_.size());
  p.freed_.insert(p.freed_.end(), freed_.begin(), freed_.end());
  p.loose_.insert(p.loose_.begin(), loose_.begin(), loose_.end());
  loose_.clear();
  dirty_.for_each([&](const DirtyMap::Entry& e) {
    if (const DirtyMap::Entry* old = p.dirty_.find(e.pgno)) {
      if (old->page != e.page) host_->give_buffer(old->page, old->pages);
    }
    p.dirty_.put(e.pgno, e.page, e.pages);
  });
  dirty_.clear();
  p.reclaimed_ = std::move(reclaimed_);
  p.have_reclaimed_ = have_reclaimed_;
  p.last_loaded_ = last_loaded_;
  p.next_pgno_ = next_pgno_;
  p.page_limit_ = page_limit_;
  for (size_t i = 0; i < dbs_.size(); ++i) {
    bool fresh = dbs_[i].fresh || (i < p.num_dbs_ && p.dbs_[i].fresh);
    p.dbs_[i] = dbs_[i];  // element-wise: the parent's cursors point into p.dbs_
    p.dbs_[i].fresh = fresh;
  }
  p.num_dbs_ = num_dbs_;
  p.modified_ = p.modified_ || modified_;
  for (DbState& s : dbs_) s.fresh = false;  // now the parent's to close
  return ok_status();
}

// Gives back every page of a tree (and, for DUPSORT, of its sub-trees).
Status Transaction::drop_tree(format::DbRecord& record, bool sub_trees) {
  if (record.root == kInvalidPage) return ok_status();
  struct Walker {
    Transaction& txn;
    bool sub_trees;
    Status walk(uint64_t pgno, unsigned depth) {
      if (depth > format::kCursorStackDepth) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
      ASPEN_ASSIGN(std::byte* p, txn.page(pgno));
      const unsigned n = page::num_keys(p);
      if (page::is_branch(p)) {
        for (unsigned i = 0; i < n; ++i) ASPEN_TRY(walk(page::node_child(page::node(p, i)), depth + 1));
      } else if (page::is_leaf(p) && !page::is_leaf2(p)) {
        for (unsigned i = 0; i < n; ++i) ASPEN_TRY(release_node(page::node(p, i), depth));
      } else if (!page::is_leaf(p)) {
        return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
      }
      return txn.retire(p, 1);
    }
    Status release_node(const std::byte* n, unsigned depth) {
      const uint16_t f = page::node_flags(n);
      if (f & format::kNodeBigData) {
        uint64_t run = page::node_overflow_page(n);
        ASPEN_ASSIGN(std::byte* op, txn.page(run));
        if (!page::is_overflow(op)) return ASPEN_PAGE_ERROR(code::kCorrupted, run);
        return txn.retire(op, page::header(op)->pages);
      }
      if (sub_trees && (f & format::kNodeSubData) && (f & format::kNodeDupData)) {
        format::DbRecord sub = format::DbRecord::decode(page::node_data(n));
        if (sub.root != kInvalidPage) return walk(sub.root, depth + 1);
      }
      return ok_status();
    }
  };
  Walker walker{*this, sub_trees};
  return walker.walk(record.root, 0);
}

}  // namespace aspen::txn
