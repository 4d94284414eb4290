// Walker: the tree walk behind check_snapshot (layer: check, internal).
//
// The walk claims every page it reaches in a byte-per-page owner map over [0, last_page]; a page claimed
// twice is reported and not entered again, which also stops cycles. Each page is copied into a buffer of
// its own recursion frame, so keys used as separator bounds stay valid while the children are visited.
// Recursion is bounded: kCursorStackDepth levels per tree, and a sub-database only inside a leaf.
// Files: walker.cpp (trees and pages), leaf.cpp (leaf items: overflow runs, sub-pages, sub-databases),
// layout.cpp (page and node bounds), free_list.cpp (IDL records, free pages, leaks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "format/db_record.hpp"
#include "tree/compare.hpp"
#include "util/bytes.hpp"
#include "util/ids.hpp"

namespace aspen::check::detail {

// A page image being checked: a whole page, or a sub-page inside a leaf node of page `pgno`.
struct PageView {
  const std::byte* base;
  size_t size;
  uint64_t pgno;
  bool subpage;
};

enum class TreeRole : uint8_t { kFree, kMain, kNamed, kDupSub };

// Which tree is walked and how its keys and leaf items are judged.
struct TreeSpec {
  TreeRole role;
  const std::string* name;
  uint8_t owner;
  uint16_t db_flags;  // the database's flags; for kDupSub, those of the database holding the duplicates
  tree::KeyCompare cmp;
  bool check_order;
  size_t leaf2_size;  // kDupSub of a DUPFIXED database: the element size of its LEAF2 leaves
};

// What a walk counted in one tree.
struct Tally {
  uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0, sub_db_pages = 0;
  unsigned leaf_level = 0;  // the level of the first leaf found (root = 1)
  size_t integer_size = 0;  // size of the first integer key seen
};

// Key bounds a page inherits from its ancestors' separators: lo <= key < hi (null: unbounded).
struct KeyRange {
  const Bytes* lo = nullptr;
  const Bytes* hi = nullptr;
};

// One leaf-level node decoded and bounds-checked (layout.cpp).
struct NodeRef {
  const std::byte* node;
  uint16_t flags;
  Bytes key;
  uint32_t data_size;
  const std::byte* data;  // inline data (or the overflow page number / db record)
};

class Walker {
 public:
  Walker(PageReader& reader, const Snapshot& snapshot, const CheckOptions& options, CheckReport& report);

  void run();

  // --- shared by the implementation files -----------------------------------------------------------
  void problem(ProblemKind kind, uint64_t page, std::string message);
  bool claim(uint64_t pgno, uint8_t owner, const char* what);
  size_t page_size() const { return psize_; }

 private:
  struct FreeRecord {
    uint64_t txnid;
    std::vector<uint64_t> pages;
  };
  struct NamedDb {
    std::string name;
    format::DbRecord record;
    uint64_t page;  // the MAIN leaf holding its record
  };

  // walker.cpp
  void walk_named(const NamedDb& db);
  Tally walk_tree(const TreeSpec& spec, const format::DbRecord& record);
  void compare_counts(const TreeSpec& spec, const format::DbRecord& record, const Tally& tally, uint64_t page);
  void visit(const TreeSpec& spec, uint64_t pgno, unsigned level, KeyRange range, Tally& tally);
  bool read_tree_page(uint64_t pgno, std::byte* buffer);
  void visit_branch(const TreeSpec& spec, const PageView& page, unsigned level, KeyRange range, Tally& tally);
  void visit_leaf(const TreeSpec& spec, const PageView& page, unsigned level, KeyRange range, Tally& tally);
  void leaf_items(const TreeSpec& spec, const PageView& page, KeyRange range, Tally& tally);
  void leaf2_items(const TreeSpec& spec, const PageView& page, size_t size, KeyRange range, Tally& tally);
  void check_key(const TreeSpec& spec, const PageView& page, Bytes key, const Bytes* previous, KeyRange range,
                 Tally& tally);
  std::byte* frame_buffer();
  uint8_t owner_for(const std::string& name);
  tree::KeyCompare key_order(uint16_t flags, bool dups) const;
  bool order_checked(const std::string& name) const;

  // leaf.cpp
  void leaf_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  void free_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  void named_item(const PageView& page, const NodeRef& node);
  void dup_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  void sub_page(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  void sub_db(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  bool overflow_run(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally);
  bool read_value(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& tally,
                  std::vector<std::byte>& out);

  // free_list.cpp
  bool parse_idl(uint64_t page, uint64_t txnid, Bytes value, FreeRecord& record);
  void claim_free_pages();
  void report_leaks();

  PageReader& reader_;
  const Snapshot& snapshot_;
  const CheckOptions& options_;
  CheckReport& report_;
  size_t psize_;
  uint64_t tracked_pages_;       // size of owners_: last_page + 1, unless clamped (see run())
  std::vector<uint8_t> owners_;  // per page: 0 = not reached, else an index into owner_names_
  std::vector<std::string> owner_names_;
  uint64_t claimed_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> frames_;
  size_t frame_ = 0;
  std::vector<FreeRecord> free_records_;
  std::vector<NamedDb> named_;
};

// Short renderings for messages (walker.cpp): a key, printable where it can be, and a 16-bit hex value.
std::string preview(Bytes key);
std::string hex16(uint64_t value);

// layout.cpp: page and node bounds. Each reports what is wrong and returns false when the page (or node)
// cannot be read safely.
bool check_bounds(Walker& w, const PageView& page, unsigned min_keys);
bool check_leaf2_bounds(Walker& w, const PageView& page, size_t element_size);
// The node at index i of a branch page: its key and child. False when it lies outside the page.
bool branch_node(Walker& w, const PageView& page, unsigned i, Bytes* key, uint64_t* child);
// The node at index i of a leaf page or sub-page, with its stored data inside the page.
bool leaf_node(Walker& w, const PageView& page, unsigned i, NodeRef* out);
// Reports nodes whose extents overlap (after each was found inside the page).
void check_overlaps(Walker& w, const PageView& page, bool leaf);
inline unsigned key_count(const PageView& page) {
  return static_cast<unsigned>((load<uint16_t>(page.base + 12) - 16) / 2);
}

}  // namespace aspen::check::detail
