// The integrity checker (layer: check): verifies one snapshot of an LMDB 0.9 / Aspen data file.
//
// What it verifies (docs/FORMAT.md, rules R1-R9):
//   - both meta pages (P_META, magic, version, page size, Aspen's MetaSeal, field ranges); the newest valid
//     one (or the one asked for) is the snapshot checked;
//   - every tree: FREE_DBI, MAIN_DBI, each named database and each DUPSORT sub-page and sub-database: page
//     types and flags, lower/upper, node offsets and sizes inside their page, no overlapping nodes, keys in
//     strict order for the database's comparator, keys inside the range their parent's separators allow
//     (separators may be stale after deletes, so a key only has to be >= its separator), all leaves at the
//     same depth equal to md_depth, and md_branch_pages / md_leaf_pages / md_overflow_pages / md_entries
//     equal to what the walk counts;
//   - overflow runs: inside the file, headed by a P_OVERFLOW page, long enough for their value;
//   - the free list: well-formed IDL records (count, then page numbers strictly descending);
//   - reachability: every page in [2, last_page] is reached exactly once, by one tree or one free-list
//     record. Pages reached twice and pages reached never ("leaked") are reported.
// Every page number, offset and count read from the file is validated before it is used, so a corrupt file
// gives problems in the report, never a crash. Key order cannot be checked for a database that uses a user
// comparator: name it in CheckOptions::custom_order.
//
// Thread-safety: a check reads through its own PageReader; separate checks may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "check/page_reader.hpp"
#include "check/report.hpp"
#include "format/db_record.hpp"
#include "util/result.hpp"

namespace aspen::check {

struct CheckOptions {
  // False: no key-order or separator checks at all.
  bool check_key_order = true;
  // Databases whose comparators are user functions, by name ("" is the main database): their key and
  // duplicate order is not checked.
  std::vector<std::string> custom_order;
  // -1: the newest valid meta page (LMDB's choice); 0 or 1: the snapshot of that meta page.
  int meta = -1;
  // Problems kept in the report; the rest are only counted (CheckReport::problems_omitted).
  size_t max_problems = 1000;
  // Called now and then with the number of pages visited so far and the number of pages to visit.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// The roots of one snapshot, for checking through an open transaction.
struct Snapshot {
  format::DbRecord free_db;
  format::DbRecord main_db;
  uint64_t last_page = 1;
  uint64_t txnid = 0;
};

// Checks the data file at `path` (a data file, or an environment directory holding data.mdb). Errors only
// when the file cannot be opened or read; a damaged file gives a report listing its problems.
Result<CheckReport> check_environment(const std::string& path, const CheckOptions& options = {});

// Checks one snapshot read through `reader`, e.g. a StorePageReader over an open read transaction.
// REQUIRES: reader.page_size() is set.
CheckReport check_snapshot(PageReader& reader, const Snapshot& snapshot, const CheckOptions& options = {});

}  // namespace aspen::check
