// Page allocation and the free list (FREE_DBI) of a write transaction (layer: txn).
//
// Rules (docs/FORMAT.md "Free list"):
//   1. A FREE_DBI record keyed K lists pages that transaction K stopped using. Its pages may be reused only
//      when K < the oldest snapshot any reader holds, and K < the last committed txnid: then neither meta
//      page's snapshot can reach them, so a crash during this commit still leaves both metas valid.
//   2. Records are consumed in key order (a prefix of the keys); all consumed keys are <= last_loaded_.
//   3. At commit, consumed records are deleted, the pages this txn freed are written under its own txnid,
//      and consumed-but-unused pages are written back under the consumed keys. Page allocation during that
//      save never consumes more records, and record space only grows, so the save converges.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "page/page.hpp"
#include "txn/transaction.hpp"

namespace aspen::txn {
namespace {

constexpr unsigned kWriteMap = 0x80000;

Bytes u64_key(const uint64_t& k) { return {reinterpret_cast<const std::byte*>(&k), sizeof k}; }

}  // namespace

// Takes `count` consecutive page numbers from reclaimed_ (descending), lowest run first.
bool Transaction::take_reclaimed(unsigned count, uint64_t* pgno) {
  const size_t n = reclaimed_.size();
  if (n < count) return false;
  if (count == 1) {
    *pgno = reclaimed_.back();
    reclaimed_.pop_back();
    return true;
  }
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

// Moves the next reusable FREE_DBI record into reclaimed_. Returns false when none is reusable yet.
Result<bool> Transaction::load_free_record() {
  const uint64_t oldest = host_->oldest_reader(txnid_ - 1);
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
  return true;
}

Result<uint64_t> Transaction::take_page_numbers(unsigned count) {
  uint64_t pgno;
  for (;;) {
    if (take_reclaimed(count, &pgno)) return pgno;
    if (saving_free_list_) break;
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

// --- saving the free list at commit --------------------------------------------------------------------

// Reserves records big enough for freed_ (key txnid_) and reclaimed_ (keys last_loaded_, last_loaded_-1, ...).
// `records` holds (key, capacity in page numbers) of what is reserved so far; returns with it unchanged
// when everything already fits.
Status Transaction::reserve_free_records(tree::Cursor& cursor, std::vector<std::pair<uint64_t, size_t>>& records) {
  const size_t per_page = format::max_free_per_page(geometry_.page_size);
  auto reserve = [&](uint64_t key, size_t entries) -> Status {
    Bytes k = u64_key(key);
    Bytes value{static_cast<const std::byte*>(nullptr), (entries + 1) * sizeof(uint64_t)};
    return cursor.put(k, &value, tree::put_flag::kReserve);
  };
  auto capacity_of = [&](uint64_t key) -> size_t* {
    for (auto& r : records)
      if (r.first == key) return &r.second;
    return nullptr;
  };
  if (!freed_.empty()) {
    size_t* cap = capacity_of(txnid_);
    if (!cap || *cap < freed_.size()) {
      size_t want = freed_.size() + 8 + freed_.size() / 8;
      ASPEN_TRY(reserve(txnid_, want));
      if (cap) *cap = want;
      else records.emplace_back(txnid_, want);
    }
  }
  size_t remaining = reclaimed_.size();
  for (uint64_t key = last_loaded_; remaining > 0 && key > 0; --key) {
    size_t* cap = capacity_of(key);
    const bool last_key = key == 1;
    size_t need = last_key ? remaining : std::min(remaining, per_page);
    if (!cap || (*cap < need && (last_key || *cap < per_page))) {
      size_t want = last_key ? need + 8 + need / 8 : std::min(per_page, need + 8);
      ASPEN_TRY(reserve(key, want));
      if (cap) *cap = want;
      else records.emplace_back(key, want);
      cap = capacity_of(key);
    }
    remaining -= std::min(remaining, *cap);
  }
  return ok_status();
}

Status Transaction::fill_free_records(tree::Cursor& cursor,
                                      const std::vector<std::pair<uint64_t, size_t>>& records) {
  std::sort(freed_.begin(), freed_.end(), std::greater<uint64_t>());
  size_t next_reclaimed = 0;
  auto ordered = records;  // txnid_ first, then the reused keys from the highest down, as reserved
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [key, capacity] : ordered) {
    Bytes k = u64_key(key), data;
    ASPEN_TRY(cursor.get(tree::CursorOp::kSet, &k, &data));
    auto* out = const_cast<std::byte*>(data.data());
    const uint64_t* src;
    uint64_t count;
    if (key == txnid_) {
      src = freed_.data();
      count = freed_.size();
    } else {
      src = reclaimed_.data() + next_reclaimed;
      count = std::min<uint64_t>(capacity, reclaimed_.size() - next_reclaimed);
      next_reclaimed += count;
    }
    store<uint64_t>(out, count);
    if (count) std::memcpy(out + sizeof(uint64_t), src, count * sizeof(uint64_t));
  }
  return ok_status();
}

Status Transaction::save_free_list() {
  saving_free_list_ = true;
  format::DbRecord& free_db = dbs_[format::kFreeDbi].record;
  tree::Cursor cursor(*this, free_db, host_->db_table().slot(format::kFreeDbi).cmp, nullptr);
  // 1. Consumed records go: their pages are in reclaimed_ or in use.
  while (last_loaded_ > 0) {
    Bytes key, data;
    Status st = cursor.get(tree::CursorOp::kFirst, &key, &data);
    if (st.code() == code::kNotFound) break;
    ASPEN_TRY(st);
    if (load<uint64_t>(key.data()) > last_loaded_) break;
    ASPEN_TRY(cursor.del(0));
  }
  // 2. Without consumed keys to reuse, leftovers wait under our own txnid.
  if (last_loaded_ == 0) {
    freed_.insert(freed_.end(), reclaimed_.begin(), reclaimed_.end());
    reclaimed_.clear();
  }
  // 3. Reserve until nothing moves, then write the lists.
  std::vector<std::pair<uint64_t, size_t>> records;
  for (int round = 0;; ++round) {
    if (round == 64) return ASPEN_ERROR(code::kTxnFull);
    std::sort(freed_.begin(), freed_.end());
    freed_.erase(std::unique(freed_.begin(), freed_.end()), freed_.end());
    std::vector<std::pair<uint64_t, size_t>> before = records;
    size_t freed_before = freed_.size(), reclaimed_before = reclaimed_.size();
    ASPEN_TRY(reserve_free_records(cursor, records));
    if (records == before && freed_.size() == freed_before && reclaimed_.size() == reclaimed_before) break;
  }
  return fill_free_records(cursor, records);
}

}  // namespace aspen::txn
