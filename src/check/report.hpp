// CheckReport: what the integrity checker found in one snapshot of a data file (layer: check).
//
// A report is plain data: every problem found (kind, page, message), what the walk counted per tree and per
// page kind, and which meta page was checked. A corrupt file gives a report full of problems, never an
// error: Result errors are kept for files that cannot be read at all. Thread-safety: plain value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/db_record.hpp"
#include "format/meta.hpp"

namespace aspen::check {

enum class ProblemKind : uint8_t {
  kMeta,        // a meta page is invalid, or the chosen meta's fields are out of range
  kPageRange,   // a page number outside [2, last_page], or a page beyond the end of the file
  kPageHeader,  // wrong pgno, page type, flags or lower/upper
  kNode,        // a node outside its page, overlapping another, or with bad flags or sizes
  kKeyOrder,    // keys not strictly increasing within a page
  kSeparator,   // a key outside the range its parent's separators allow
  kDepth,       // a leaf at the wrong level: depths differ between paths or from md_depth
  kCounts,      // a database record's page counts or entries differ from the walk
  kDoubleRef,   // a page reached twice (by trees or free-list records)
  kLeak,        // pages that are neither in a tree nor free
  kFreeList,    // a malformed FREE_DBI record
  kOverflow,    // a bad overflow run
  kSubDb,       // a bad named-database or DUPSORT sub-database record or sub-page
  kIo,          // a page could not be read
};

// Short lower-case name of a kind ("double-ref", "leak", ...), for reports and tests.
const char* kind_name(ProblemKind kind);

struct Problem {
  ProblemKind kind;
  uint64_t page;  // the page concerned, or kNoPage
  std::string message;

  static constexpr uint64_t kNoPage = ~uint64_t{0};
};

// "leak page 12: ..." (or "meta: ..." when no page is concerned).
std::string to_string(const Problem& problem);

// One tree as recorded in its database record, and as walked. Named databases follow MAIN; DUPSORT
// sub-databases are counted into their database's `sub_db_pages`, as LMDB leaves them out of its counts.
struct TreeSummary {
  std::string name;  // "FREE_DBI", "MAIN_DBI" or a named database's name
  format::DbRecord record;
  unsigned depth = 0;  // as walked (0 when empty)
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t entries = 0;
  uint64_t sub_db_pages = 0;  // pages of DUPSORT sub-databases
};

// Pages of [0, last_page] by what the walk found them to be.
struct PageCounts {
  uint64_t meta = 0;
  uint64_t branch = 0;
  uint64_t leaf = 0;  // LEAF2 pages included
  uint64_t overflow = 0;
  uint64_t free = 0;    // listed in FREE_DBI records
  uint64_t leaked = 0;  // neither in a tree nor free
};

struct CheckReport {
  int meta_page = -1;  // the meta checked (0 or 1), -1 when neither is usable
  format::Meta meta{};
  uint32_t page_size = 0;
  uint64_t file_pages = 0;  // whole pages the file holds
  PageCounts pages;
  uint64_t free_records = 0;
  std::vector<TreeSummary> trees;
  std::vector<Problem> problems;
  uint64_t problems_omitted = 0;  // found beyond CheckOptions::max_problems

  bool ok() const { return problems.empty() && problems_omitted == 0; }
  size_t count(ProblemKind kind) const;
  const TreeSummary* tree(const std::string& name) const;
};

}  // namespace aspen::check
