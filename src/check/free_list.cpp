// Walker: free-list records, free pages and leaks (layer: check). See walker.hpp.
//
// A FREE_DBI record is an IDL (midl.h): a u64 count n, then n page numbers in strictly descending order. The
// record may be longer than n needs (LMDB reserves the space before it knows the final count, R8), so only
// the first n + 1 words count. Free pages are claimed after every tree has been walked, so that a page both
// in a tree and on the free list does not hide the tree's subtree from the walk.
#include <string>

#include "check/walker.hpp"
#include "format/constants.hpp"

namespace aspen::check::detail {
namespace {

constexpr uint8_t kOwnerFree = 2;

std::string page_span(uint64_t first, uint64_t last) {
  if (first == last) return "page " + std::to_string(first);
  return "pages " + std::to_string(first) + "-" + std::to_string(last) + " (" + std::to_string(last - first + 1) +
         " pages)";
}

}  // namespace

bool Walker::parse_idl(uint64_t page, uint64_t txnid, Bytes value, FreeRecord& record) {
  const std::string who = "free-list record of txn " + std::to_string(txnid);
  if (value.size() < sizeof(uint64_t)) {
    problem(ProblemKind::kFreeList, page, who + " has only " + std::to_string(value.size()) + " bytes");
    return false;
  }
  const uint64_t count = load<uint64_t>(value.data());
  if (count > value.size() / sizeof(uint64_t) - 1) {
    problem(ProblemKind::kFreeList, page,
            who + " says " + std::to_string(count) + " pages but has room for " +
                std::to_string(value.size() / sizeof(uint64_t) - 1));
    return false;
  }
  if (txnid > snapshot_.txnid)
    problem(ProblemKind::kFreeList, page,
            who + " is newer than the snapshot (txn " + std::to_string(snapshot_.txnid) + ")");
  record.txnid = txnid;
  record.pages.reserve(count);
  bool ordered = true;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t pgno = load<uint64_t>(value.data() + sizeof(uint64_t) * (i + 1));
    if (!record.pages.empty() && pgno >= record.pages.back()) ordered = false;
    record.pages.push_back(pgno);
  }
  if (!ordered) problem(ProblemKind::kFreeList, page, who + " is not in strictly descending order");
  return true;
}

void Walker::claim_free_pages() {
  report_.free_records = free_records_.size();
  for (const FreeRecord& record : free_records_) {
    for (uint64_t pgno : record.pages) {
      if (pgno < format::kNumMetas || pgno > snapshot_.last_page) {
        problem(ProblemKind::kFreeList, pgno,
                "free-list record of txn " + std::to_string(record.txnid) + " lists a page outside [2, " +
                    std::to_string(snapshot_.last_page) + "]");
        continue;
      }
      if (claim(pgno, kOwnerFree, "free page")) ++report_.pages.free;
    }
  }
}

void Walker::report_leaks() {
  uint64_t first = 0;
  for (uint64_t pgno = format::kNumMetas; pgno <= tracked_pages_; ++pgno) {
    const bool unclaimed = pgno < tracked_pages_ && owners_[pgno] == 0;
    if (unclaimed && first == 0) first = pgno;
    if (unclaimed || first == 0) continue;
    problem(ProblemKind::kLeak, first, page_span(first, pgno - 1) + " neither in a tree nor free");
    report_.pages.leaked += pgno - first;
    first = 0;
  }
}

}  // namespace aspen::check::detail
