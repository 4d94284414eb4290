// Walker: trees, branch and leaf pages, key order and separators (layer: check). See walker.hpp.
#include "check/walker.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "format/constants.hpp"

namespace aspen::check::detail {
namespace {

using format::kPageBranch;
using format::kPageLeaf;
using format::kPageLeaf2;

// Owner indexes below the first named database (owner_names_ holds their text).
constexpr uint8_t kOwnerMeta = 1;
constexpr uint8_t kOwnerFreeDb = 3;
constexpr uint8_t kOwnerMain = 4;
constexpr uint8_t kOwnerOverflowNames = 255;  // shared by the named databases after the 250th
// A last_page this far beyond the end of the file is taken as corrupt rather than as freed tail pages (R9).
constexpr uint64_t kMaxMissingTail = uint64_t{1} << 24;

const std::string kFreeName = "FREE_DBI";
const std::string kMainName = "MAIN_DBI";

enum class PageType { kBad, kBranch, kLeaf, kLeaf2 };

}  // namespace

std::string hex16(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
  return s;
}

// A short printable rendering of a key for messages.
std::string preview(Bytes key) {
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < 24; ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char digits[] = "0123456789abcdef";
      out += '\\';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  if (key.size() > 24) out += "...";
  return out + "'";
}

Walker::Walker(PageReader& reader, const Snapshot& snapshot, const CheckOptions& options, CheckReport& report)
    : reader_(reader), snapshot_(snapshot), options_(options), report_(report), psize_(reader.page_size()) {
  tracked_pages_ = snapshot.last_page + 1;
  const uint64_t file_pages = reader.page_count();
  if (snapshot.last_page >= file_pages + kMaxMissingTail) {
    problem(ProblemKind::kMeta, Problem::kNoPage,
            "last page " + std::to_string(snapshot.last_page) + " lies far beyond the end of the file (" +
                std::to_string(file_pages) + " pages); checking only the pages the file holds");
    tracked_pages_ = std::max<uint64_t>(file_pages, format::kNumMetas);
  }
  owner_names_ = {"", "a meta page", "the free list", kFreeName, kMainName};
}

void Walker::problem(ProblemKind kind, uint64_t page, std::string message) {
  if (report_.problems.size() >= options_.max_problems) {
    ++report_.problems_omitted;
    return;
  }
  report_.problems.push_back(Problem{kind, page, std::move(message)});
}

bool Walker::claim(uint64_t pgno, uint8_t owner, const char* what) {
  if (pgno < format::kNumMetas || pgno >= tracked_pages_) return false;  // callers check the range first
  if (owners_[pgno] != 0) {
    problem(ProblemKind::kDoubleRef, pgno,
            std::string(what) + " reached twice: by " + owner_names_[owners_[pgno]] + " and by " + owner_names_[owner]);
    return false;
  }
  owners_[pgno] = owner;
  if (++claimed_ % 65536 == 0 && options_.progress) options_.progress(claimed_, tracked_pages_);
  return true;
}

void Walker::run() {
  owners_.assign(tracked_pages_, 0);
  owners_[0] = owners_[1] = kOwnerMeta;
  report_.pages.meta = format::kNumMetas;
  TreeSpec free_spec{
      TreeRole::kFree,          &kFreeName, kOwnerFreeDb, format::kDbIntegerKey, tree::KeyCompare::integer(),
      options_.check_key_order, 0};
  Tally free_tally = walk_tree(free_spec, snapshot_.free_db);
  report_.trees.push_back({kFreeName, snapshot_.free_db, free_tally.leaf_level, free_tally.branch, free_tally.leaf,
                           free_tally.overflow, free_tally.entries, 0});
  const uint16_t main_flags = snapshot_.main_db.flags;
  TreeSpec main_spec{TreeRole::kMain,   &kMainName, kOwnerMain, main_flags, key_order(main_flags, false),
                     order_checked(""), 0};
  Tally main_tally = walk_tree(main_spec, snapshot_.main_db);
  report_.trees.push_back({kMainName, snapshot_.main_db, main_tally.leaf_level, main_tally.branch, main_tally.leaf,
                           main_tally.overflow, main_tally.entries, main_tally.sub_db_pages});
  for (const NamedDb& db : named_) walk_named(db);
  claim_free_pages();
  report_leaks();
  if (options_.progress) options_.progress(claimed_, tracked_pages_);
}

void Walker::walk_named(const NamedDb& db) {
  const format::DbRecord& r = db.record;
  if (r.flags & ~format::kDbPersistentFlags)
    problem(ProblemKind::kSubDb, Problem::kNoPage,
            "database " + preview(as_bytes(db.name)) + " has unknown flags " + hex16(r.flags));
  TreeSpec spec{TreeRole::kNamed,       &db.name, owner_for(db.name), r.flags, key_order(r.flags, false),
                order_checked(db.name), 0};
  Tally t = walk_tree(spec, r);
  report_.trees.push_back({db.name, r, t.leaf_level, t.branch, t.leaf, t.overflow, t.entries, t.sub_db_pages});
}

uint8_t Walker::owner_for(const std::string& name) {
  if (owner_names_.size() < kOwnerOverflowNames) {
    owner_names_.push_back("database " + preview(as_bytes(name)));
    return static_cast<uint8_t>(owner_names_.size() - 1);
  }
  if (owner_names_.size() == kOwnerOverflowNames) owner_names_.push_back("a named database");
  return kOwnerOverflowNames;
}

tree::KeyCompare Walker::key_order(uint16_t flags, bool dups) const {
  return dups ? tree::KeyCompare::for_duplicates(flags) : tree::KeyCompare::for_keys(flags);
}

bool Walker::order_checked(const std::string& name) const {
  if (!options_.check_key_order) return false;
  return std::find(options_.custom_order.begin(), options_.custom_order.end(), name) == options_.custom_order.end();
}

Tally Walker::walk_tree(const TreeSpec& spec, const format::DbRecord& record) {
  Tally t;
  if (record.root == kInvalidPage) {
    if (record.depth || record.branch_pages || record.leaf_pages || record.overflow_pages || record.entries)
      problem(ProblemKind::kCounts, Problem::kNoPage,
              *spec.name + ": an empty tree (root P_INVALID) whose record has non-zero depth or counts");
    return t;
  }
  if (record.root < format::kNumMetas || record.root > snapshot_.last_page) {
    problem(ProblemKind::kPageRange, Problem::kNoPage,
            *spec.name + ": root page " + std::to_string(record.root) + " is outside [2, " +
                std::to_string(snapshot_.last_page) + "]");
    return t;
  }
  visit(spec, record.root, 1, KeyRange{}, t);
  compare_counts(spec, record, t, record.root);
  return t;
}

void Walker::compare_counts(const TreeSpec& spec, const format::DbRecord& r, const Tally& t, uint64_t root) {
  const std::string who = spec.role == TreeRole::kDupSub ? "a sub-database of " + *spec.name : *spec.name;
  if (t.leaf_level != 0 && t.leaf_level != r.depth)
    problem(
        ProblemKind::kDepth, root,
        who + ": md_depth is " + std::to_string(r.depth) + " but leaves are at level " + std::to_string(t.leaf_level));
  std::string diff;
  auto compare = [&diff](const char* field, uint64_t recorded, uint64_t walked) {
    if (recorded == walked) return;
    diff += std::string(diff.empty() ? "" : ", ") + field + " " + std::to_string(recorded) + " but walked " +
            std::to_string(walked);
  };
  compare("md_branch_pages", r.branch_pages, t.branch);
  compare("md_leaf_pages", r.leaf_pages, t.leaf);
  compare("md_overflow_pages", r.overflow_pages, t.overflow);
  compare("md_entries", r.entries, t.entries);
  if (!diff.empty()) problem(ProblemKind::kCounts, root, who + ": " + diff);
}

std::byte* Walker::frame_buffer() {
  while (frames_.size() <= frame_) frames_.push_back(std::make_unique<std::byte[]>(psize_));
  return frames_[frame_].get();
}

bool Walker::read_tree_page(uint64_t pgno, std::byte* buffer) {
  Status st = reader_.read(pgno, 0, std::span<std::byte>(buffer, psize_));
  if (st.ok()) return true;
  if (st.code() == code::kPageNotFound)
    problem(ProblemKind::kPageRange, pgno,
            "page lies beyond the end of the file (" + std::to_string(reader_.page_count()) + " pages)");
  else
    problem(ProblemKind::kIo, pgno, std::string("read failed: ") + error_message(st.code()));
  return false;
}

void Walker::visit(const TreeSpec& spec, uint64_t pgno, unsigned level, KeyRange range, Tally& tally) {
  if (level > format::kCursorStackDepth) {
    problem(ProblemKind::kDepth, pgno, *spec.name + ": tree deeper than 32 levels");
    return;
  }
  if (!claim(pgno, spec.owner, "page")) return;
  std::byte* buffer = frame_buffer();
  ++frame_;
  struct Pop {
    size_t& frame;
    ~Pop() { --frame; }
  } pop{frame_};
  if (!read_tree_page(pgno, buffer)) return;
  const PageView view{buffer, psize_, pgno, false};
  const uint64_t header_pgno = load<uint64_t>(buffer);
  if (header_pgno != pgno)
    problem(ProblemKind::kPageHeader, pgno, "page header says page " + std::to_string(header_pgno));
  const uint16_t flags = load<uint16_t>(buffer + 10);
  const bool fixed = spec.leaf2_size != 0;
  PageType type = flags == kPageBranch                         ? PageType::kBranch
                  : flags == kPageLeaf && !fixed               ? PageType::kLeaf
                  : flags == (kPageLeaf | kPageLeaf2) && fixed ? PageType::kLeaf2
                                                               : PageType::kBad;
  switch (type) {
    case PageType::kBranch:
      return visit_branch(spec, view, level, range, tally);
    case PageType::kLeaf:
    case PageType::kLeaf2:
      return visit_leaf(spec, view, level, range, tally);
    case PageType::kBad:
      break;
  }
  problem(ProblemKind::kPageHeader, pgno,
          "unexpected page flags " + hex16(flags) + " in " + *spec.name + (fixed ? " (a DUPFIXED sub-database)" : ""));
}

void Walker::visit_branch(const TreeSpec& spec, const PageView& page, unsigned level, KeyRange range, Tally& t) {
  ++t.branch;
  ++report_.pages.branch;
  if (!check_bounds(*this, page, 2)) return;
  check_overlaps(*this, page, false);
  const unsigned n = key_count(page);
  std::vector<Bytes> keys(n);
  std::vector<uint64_t> children(n);
  std::vector<bool> valid(n);
  const Bytes* previous = nullptr;
  for (unsigned i = 0; i < n; ++i) {
    valid[i] = branch_node(*this, page, i, &keys[i], &children[i]);
    if (!valid[i] || i == 0) continue;  // node 0's key is the implicit lowest key, never compared (R4)
    check_key(spec, page, keys[i], previous, range, t);
    previous = &keys[i];
  }
  for (unsigned i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    KeyRange child{i == 0 ? range.lo : &keys[i], range.hi};
    for (unsigned j = i + 1; j < n; ++j) {
      if (valid[j]) {
        child.hi = &keys[j];
        break;
      }
    }
    const uint64_t c = children[i];
    if (c < format::kNumMetas || c > snapshot_.last_page) {
      problem(ProblemKind::kPageRange, page.pgno,
              "branch node " + std::to_string(i) + " points to page " + std::to_string(c) + ", outside [2, " +
                  std::to_string(snapshot_.last_page) + "]");
      continue;
    }
    visit(spec, c, level + 1, child, t);
  }
}

void Walker::visit_leaf(const TreeSpec& spec, const PageView& page, unsigned level, KeyRange range, Tally& t) {
  ++t.leaf;
  ++report_.pages.leaf;
  if (t.leaf_level == 0) t.leaf_level = level;
  if (level != t.leaf_level)
    problem(ProblemKind::kDepth, page.pgno,
            *spec.name + ": leaf at level " + std::to_string(level) + ", other leaves at level " +
                std::to_string(t.leaf_level));
  if (spec.leaf2_size) return leaf2_items(spec, page, spec.leaf2_size, range, t);
  leaf_items(spec, page, range, t);
}

void Walker::leaf_items(const TreeSpec& spec, const PageView& page, KeyRange range, Tally& t) {
  if (!check_bounds(*this, page, 1)) return;
  check_overlaps(*this, page, true);
  const unsigned n = key_count(page);
  Bytes previous_key;
  const Bytes* previous = nullptr;
  for (unsigned i = 0; i < n; ++i) {
    NodeRef node;
    if (!leaf_node(*this, page, i, &node)) continue;
    check_key(spec, page, node.key, previous, range, t);
    previous_key = node.key;
    previous = &previous_key;
    leaf_item(spec, page, node, t);
  }
}

void Walker::leaf2_items(const TreeSpec& spec, const PageView& page, size_t size, KeyRange range, Tally& t) {
  if (!check_leaf2_bounds(*this, page, size)) return;
  const unsigned n = key_count(page);
  Bytes previous_key;
  const Bytes* previous = nullptr;
  for (unsigned i = 0; i < n; ++i) {
    Bytes key(page.base + format::kPageHeaderSize + i * size, size);
    check_key(spec, page, key, previous, range, t);
    previous_key = key;
    previous = &previous_key;
  }
  t.entries += n;
}

void Walker::check_key(const TreeSpec& spec, const PageView& page, Bytes key, const Bytes* previous, KeyRange range,
                       Tally& t) {
  const size_t min = spec.role == TreeRole::kDupSub ? 0 : 1;
  const size_t max = spec.role == TreeRole::kFree ? 8 : format::kMaxKeySize;
  if (key.size() < min || key.size() > max || (spec.role == TreeRole::kFree && key.size() != 8))
    problem(ProblemKind::kNode, page.pgno, *spec.name + ": key of " + std::to_string(key.size()) + " bytes");
  if (spec.cmp.kind() == tree::KeyCompare::Kind::kInteger) {
    if (t.integer_size == 0) t.integer_size = key.size();
    if ((key.size() != 4 && key.size() != 8) || key.size() != t.integer_size)
      problem(ProblemKind::kNode, page.pgno,
              *spec.name + ": integer key of " + std::to_string(key.size()) + " bytes (first was " +
                  std::to_string(t.integer_size) + ")");
  }
  if (!spec.check_order) return;
  if (previous && spec.cmp(*previous, key) >= 0)
    problem(ProblemKind::kKeyOrder, page.pgno,
            *spec.name + ": key " + preview(key) + " does not sort after " + preview(*previous));
  if (range.lo && spec.cmp(*range.lo, key) > 0)
    problem(ProblemKind::kSeparator, page.pgno,
            *spec.name + ": key " + preview(key) + " sorts before its separator " + preview(*range.lo));
  if (range.hi && spec.cmp(key, *range.hi) >= 0)
    problem(ProblemKind::kSeparator, page.pgno,
            *spec.name + ": key " + preview(key) + " does not sort before the next separator " + preview(*range.hi));
}

}  // namespace aspen::check::detail
