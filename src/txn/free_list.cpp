// Page allocation and the free list (FREE_DBI) of a write transaction (layer: txn).
//
// Aspen reuses pages exactly as LMDB 0.9 does (mdb_page_alloc, mdb_page_loose, mdb_ovpage_free,
// mdb_freelist_save), so that both libraries lay out the same file for the same operations:
//   1. A FREE_DBI record keyed K lists pages that transaction K stopped using. Its pages may be reused only
//      when K < the oldest snapshot any reader holds, and K < the last committed txnid: then neither meta
//      page's snapshot can reach them, so a crash during this commit still leaves both metas valid.
//   2. Allocation order: a single page comes from the loose pages first (dirty pages this transaction freed
//      again, most recent first); otherwise from reclaimed_ (descending), taking the lowest run of `count`
//      consecutive numbers; records are consumed into reclaimed_ in key order, only when needed; otherwise
//      the file grows at next_pgno_.
//   3. At commit (save_free_list): consumed records are deleted, the pages this txn freed are written under
//      its own txnid, and the reclaimed pages left over (with the loose ones) are written back under the
//      consumed keys, with LMDB's record sizes, so that the FREE_DBI tree matches byte for byte. Allocations
//      made while saving may consume more records; the loop repeats until nothing moves.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "page/page.hpp"
#include "txn/transaction.hpp"

namespace aspen::txn {
namespace {

Bytes u64_key(const uint64_t& k) { return {reinterpret_cast<const std::byte*>(&k), sizeof k}; }

// LMDB gives up looking for a run of `count` consecutive reclaimed pages after this many failed searches.
constexpr int kRunSearchesPerPage = 60;

}  // namespace

// Takes `count` consecutive page numbers from reclaimed_ (descending), the lowest run first.
bool Transaction::take_reclaimed(unsigned count, uint64_t* pgno) {
  const size_t n = reclaimed_.size();
  if (n < count) return false;
  for (size_t i = n; i >= count; --i) {
    // reclaimed_[i-count .. i-1] holds p+count-1 .. p when the run is contiguous.
    if (reclaimed_[i - count] == reclaimed_[i - 1] + count - 1) {
      *pgno = reclaimed_[i - 1];
      reclaimed_.erase(reclaimed_.begin() + static_cast<long>(i - count), reclaimed_.begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

// Puts the run pgno .. pgno+count-1 into reclaimed_, keeping it descending.
void Transaction::reclaim_run(uint64_t pgno, unsigned count) {
  auto at = std::lower_bound(reclaimed_.begin(), reclaimed_.end(), pgno, std::greater<uint64_t>());
  std::vector<uint64_t> run(count);
  for (unsigned i = 0; i < count; ++i) run[i] = pgno + count - 1 - i;
  reclaimed_.insert(at, run.begin(), run.end());
}

// Moves the next reusable FREE_DBI record into reclaimed_. Returns false when none is reusable yet.
Result<bool> Transaction::load_free_record() {
  const uint64_t oldest = host_->oldest_reader(txnid_ - 1);
  if (last_loaded_ + 1 >= oldest) return false;
  format::DbRecord& free_db = dbs_[format::kFreeDbi].record;
  if (free_db.root == kInvalidPage) return false;
  tree::Cursor cursor(*this, free_db, host_->db_table().slot(format::kFreeDbi).cmp, nullptr);
  uint64_t start = last_loaded_ + 1;
  Bytes key = u64_key(start), data;
  Status st = cursor.get(tree::CursorOp::kSetRange, &key, &data);
  if (st.code() == code::kNotFound) return false;
  ASPEN_TRY(st);
  if (key.size() != sizeof(uint64_t) || data.size() < sizeof(uint64_t)) return ASPEN_ERROR(code::kCorrupted);
  const uint64_t id = load<uint64_t>(key.data());
  if (id >= oldest) return false;
  const uint64_t count = load<uint64_t>(data.data());
  if (count > data.size() / sizeof(uint64_t) - 1) return ASPEN_ERROR(code::kCorrupted);
  size_t old_size = reclaimed_.size();
  reclaimed_.resize(old_size + count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t pgno = load<uint64_t>(data.data() + (i + 1) * sizeof(uint64_t));
    if (pgno < format::kNumMetas || pgno >= next_pgno_) return ASPEN_PAGE_ERROR(code::kCorrupted, pgno);
    reclaimed_[old_size + i] = pgno;
  }
  std::sort(reclaimed_.begin(), reclaimed_.end(), std::greater<uint64_t>());
  last_loaded_ = id;
  have_reclaimed_ = true;
  return true;
}

Result<uint64_t> Transaction::take_page_numbers(unsigned count) {
  uint64_t pgno;
  int searches_left = static_cast<int>(count) * kRunSearchesPerPage;
  for (;;) {
    if (reclaimed_.size() >= count) {
      if (take_reclaimed(count, &pgno)) return pgno;
      if (--searches_left < 0) break;
    }
    ASPEN_ASSIGN(bool loaded, load_free_record());
    if (!loaded) break;
  }
  pgno = next_pgno_;
  if (pgno + count > format::kMaxPageNo) return ASPEN_ERROR(code::kMapFull);
  ASPEN_TRY(host_->reserve_pages(pgno + count));
  next_pgno_ += count;
  page_limit_ = next_pgno_;
  return pgno;
}

// --- saving the free list at commit (mdb_freelist_save) -------------------------------------------------

// Writes freed_ under this txnid, growing the record while reserving it frees more pages.
Status Transaction::write_freed_record(tree::Cursor& cursor) {
  const uint64_t key = txnid_;
  Bytes data;
  size_t count;
  do {
    count = freed_.size();
    data = Bytes{static_cast<const std::byte*>(nullptr), (count + 1) * sizeof(uint64_t)};
    ASPEN_TRY(cursor.put(u64_key(key), &data, tree::put_flag::kReserve));
  } while (count < freed_.size());
  std::sort(freed_.begin(), freed_.end(), std::greater<uint64_t>());
  auto* out = const_cast<std::byte*>(data.data());
  store<uint64_t>(out, count);
  if (count) std::memcpy(out + sizeof(uint64_t), freed_.data(), count * sizeof(uint64_t));
  return ok_status();
}

// Fills the records reserved for reclaimed_, from the smallest key up, each with the lowest pages left;
// the last one used shrinks to what is left.
Status Transaction::fill_reclaimed_records(tree::Cursor& cursor) {
  size_t left = reclaimed_.size();
  if (left == 0) return ok_status();
  std::vector<uint64_t> value;
  Bytes key, data;
  Status st = cursor.get(tree::CursorOp::kFirst, &key, &data);
  for (; st.ok(); st = cursor.get(tree::CursorOp::kNext, &key, &data)) {
    const uint64_t id = load<uint64_t>(key.data());
    if (data.size() < sizeof(uint64_t) || id > last_loaded_) return ASPEN_ERROR(code::kCorrupted);
    size_t len = std::min(data.size() / sizeof(uint64_t) - 1, left);
    value.assign(1, len);
    value.insert(value.end(), reclaimed_.begin() + static_cast<long>(left - len),
                 reclaimed_.begin() + static_cast<long>(left));
    Bytes v{reinterpret_cast<const std::byte*>(value.data()), value.size() * sizeof(uint64_t)};
    ASPEN_TRY(cursor.put(u64_key(id), &v, tree::put_flag::kCurrent));
    left -= len;
    if (left == 0) return ok_status();
  }
  return st;
}

Status Transaction::save_free_list() {
  saving_free_list_ = true;
  format::DbRecord& free_db = dbs_[format::kFreeDbi].record;
  const tree::KeyCompare& order = host_->db_table().slot(format::kFreeDbi).cmp;
  tree::Cursor cursor(*this, free_db, order, nullptr);
  const int64_t max_per_page = static_cast<int64_t>(format::max_free_per_page(geometry_.page_size));
  auto touch_end = [&](tree::SearchMode end) -> Status {
    tree::Stack path;
    Status st = tree::Tree(*this, free_db, order).search(path, {}, end, true);
    return st.code() == code::kNotFound ? ok_status() : st;
  };
  if (have_reclaimed_) ASPEN_TRY(touch_end(tree::SearchMode::kFirst));
  if (!have_reclaimed_ && !loose_.empty()) {
    // Nowhere to return loose pages to: they are freed by this txn instead, and never written.
    for (auto it = loose_.rbegin(); it != loose_.rend(); ++it) {
      freed_.push_back(*it);
      forget_dirty(*it);
    }
    loose_.clear();
  }
  uint64_t deleted_up_to = 0, head_id = 0;
  size_t freed_written = 0;
  int64_t head_room = 0, total_room = 0;
  int more = 1;
  for (;;) {
    // Records consumed (also by allocations made while saving) are deleted, as are those reserved so far.
    while (deleted_up_to < last_loaded_) {
      Bytes key;
      ASPEN_TRY(cursor.get(tree::CursorOp::kFirst, &key, nullptr));
      deleted_up_to = head_id = load<uint64_t>(key.data());
      total_room = head_room = 0;
      ASPEN_TRY(cursor.del(0));
    }
    if (freed_written < freed_.size()) {
      if (freed_written == 0) ASPEN_TRY(touch_end(tree::SearchMode::kLast));
      ASPEN_TRY(write_freed_record(cursor));
      freed_written = freed_.size();
      continue;
    }
    // Reserve records for reclaimed_ (and the loose pages) under keys head_id, head_id-1, ...; a list
    // longer than a page is split over several overflow records of about equal size.
    const int64_t pending = static_cast<int64_t>(reclaimed_.size() + loose_.size());
    if (total_room >= pending) {
      if (total_room == pending || --more < 0) break;
    } else if (head_room >= max_per_page && head_id > 1) {
      --head_id;
      head_room = 0;
    }
    total_room -= head_room;
    head_room = pending - total_room;
    if (head_room > max_per_page && head_id > 1) {
      head_room /= static_cast<int64_t>(head_id);
      head_room += max_per_page - head_room % (max_per_page + 1);
    } else if (head_room < 0) {
      head_room = 0;
    }
    const uint64_t key = head_id;
    Bytes data{static_cast<const std::byte*>(nullptr), static_cast<size_t>(head_room + 1) * sizeof(uint64_t)};
    ASPEN_TRY(cursor.put(u64_key(key), &data, tree::put_flag::kReserve));
    std::memset(const_cast<std::byte*>(data.data()), 0, data.size());
    total_room += head_room;
  }
  // Loose pages left over join reclaimed_; like LMDB they are never written.
  for (uint64_t pgno : loose_) {
    forget_dirty(pgno);
    reclaim_run(pgno, 1);
  }
  loose_.clear();
  return fill_reclaimed_records(cursor);
}

}  // namespace aspen::txn
