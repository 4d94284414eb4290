// Walker: leaf items (layer: check). See walker.hpp.
//
// Which node forms a leaf may hold depends on its tree (FORMAT.md §2.4): FREE_DBI records are inline or
// F_BIGDATA IDLs; MAIN may hold F_SUBDATA named-database records; a DUPSORT database holds single items,
// F_DUPDATA sub-pages and F_DUPDATA|F_SUBDATA sub-databases but never F_BIGDATA; duplicates themselves are
// keys with no data.
#include <string>
#include <vector>

#include "check/walker.hpp"
#include "format/constants.hpp"

namespace aspen::check::detail {
namespace {

using format::kNodeBigData;
using format::kNodeDupData;
using format::kNodeSubData;

uint16_t header_flags(const std::byte* page) { return load<uint16_t>(page + 10); }

}  // namespace

void Walker::leaf_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  const uint16_t f = node.flags;
  const bool dupsort = spec.db_flags & format::kDbDupSort;
  if (spec.role == TreeRole::kFree) return free_item(spec, page, node, t);
  if (spec.role == TreeRole::kDupSub) {
    if (f != 0 || node.data_size != 0)
      problem(ProblemKind::kNode, page.pgno,
              "a duplicate of " + *spec.name + " carries flags " + hex16(f) + " and " + std::to_string(node.data_size) +
                  " data bytes");
    ++t.entries;
    return;
  }
  if (dupsort && (f & kNodeDupData)) return dup_item(spec, page, node, t);
  ++t.entries;
  if (spec.role == TreeRole::kMain && f == kNodeSubData && !dupsort) return named_item(page, node);
  if (f == kNodeBigData && !dupsort) {
    overflow_run(spec, page, node, t);
    return;
  }
  if (f == 0) {
    if (dupsort && node.data_size > format::kMaxKeySize)
      problem(ProblemKind::kNode, page.pgno,
              *spec.name + ": key " + preview(node.key) + " holds a duplicate of " + std::to_string(node.data_size) +
                  " bytes (at most 511)");
    return;
  }
  problem(ProblemKind::kNode, page.pgno,
          *spec.name + ": key " + preview(node.key) + " has node flags " + hex16(f) + ", not allowed here");
}

void Walker::free_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  ++t.entries;
  if (node.flags & ~kNodeBigData) {
    problem(ProblemKind::kFreeList, page.pgno, "free-list record with node flags " + hex16(node.flags));
    return;
  }
  if (node.key.size() != sizeof(uint64_t)) return;  // reported by check_key
  const uint64_t txnid = load<uint64_t>(node.key.data());
  std::vector<std::byte> value;
  if (!read_value(spec, page, node, t, value)) return;
  FreeRecord record;
  if (parse_idl(page.pgno, txnid, Bytes(value.data(), value.size()), record))
    free_records_.push_back(std::move(record));
}

void Walker::named_item(const PageView& page, const NodeRef& node) {
  if (node.data_size != format::kDbRecordSize) {
    problem(ProblemKind::kSubDb, page.pgno,
            "named database " + preview(node.key) + " has a record of " + std::to_string(node.data_size) +
                " bytes, not 48");
    return;
  }
  NamedDb db{std::string(as_string_view(node.key)), format::DbRecord::decode(node.data), page.pgno};
  named_.push_back(std::move(db));
}

void Walker::dup_item(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  if (node.flags == kNodeDupData) return sub_page(spec, page, node, t);
  if (node.flags == (kNodeDupData | kNodeSubData)) return sub_db(spec, page, node, t);
  ++t.entries;
  problem(ProblemKind::kNode, page.pgno,
          *spec.name + ": key " + preview(node.key) + " has node flags " + hex16(node.flags));
}

void Walker::sub_page(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  const bool fixed = spec.db_flags & format::kDbDupFixed;
  const uint16_t want = format::kPageLeaf | format::kPageSubpage | (fixed ? format::kPageLeaf2 : 0);
  if (node.data_size < format::kPageHeaderSize || (header_flags(node.data) & ~format::kPageDirty) != want) {
    ++t.entries;
    problem(ProblemKind::kSubDb, page.pgno,
            *spec.name + ": key " + preview(node.key) + " has a malformed sub-page (" + std::to_string(node.data_size) +
                " bytes)");
    return;
  }
  const PageView sub{node.data, node.data_size, page.pgno, true};
  const size_t element = fixed ? load<uint16_t>(node.data + 8) : 0;
  const TreeSpec dups{TreeRole::kDupSub, spec.name, spec.owner, spec.db_flags, key_order(spec.db_flags, true),
                      spec.check_order,  element};
  Tally inner;
  if (fixed)
    leaf2_items(dups, sub, element, KeyRange{}, inner);
  else
    leaf_items(dups, sub, KeyRange{}, inner);
  t.entries += inner.entries;
}

void Walker::sub_db(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  if (node.data_size != format::kDbRecordSize) {
    ++t.entries;
    problem(ProblemKind::kSubDb, page.pgno,
            *spec.name + ": key " + preview(node.key) + " has a sub-database record of " +
                std::to_string(node.data_size) + " bytes");
    return;
  }
  const format::DbRecord r = format::DbRecord::decode(node.data);
  const bool fixed = spec.db_flags & format::kDbDupFixed;
  const uint16_t want =
      fixed ? format::kDbDupFixed | ((spec.db_flags & format::kDbIntegerDup) ? format::kDbIntegerKey : 0) : 0;
  if (r.flags != want || (fixed && r.pad == 0) || r.root == kInvalidPage || r.entries == 0)
    problem(ProblemKind::kSubDb, page.pgno,
            *spec.name + ": key " + preview(node.key) + " has a sub-database record with flags " + hex16(r.flags) +
                " (expected " + hex16(want) + "), element size " + std::to_string(r.pad) + ", " +
                std::to_string(r.entries) + " entries");
  const TreeSpec dups{TreeRole::kDupSub, spec.name,        spec.owner, spec.db_flags, key_order(spec.db_flags, true),
                      spec.check_order,  fixed ? r.pad : 0};
  if (fixed && r.pad == 0) return;  // its LEAF2 pages cannot be read without an element size
  Tally inner = walk_tree(dups, r);
  t.entries += inner.entries;
  t.sub_db_pages += inner.branch + inner.leaf + inner.overflow;
}

bool Walker::overflow_run(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t) {
  const uint64_t first = load<uint64_t>(node.data);
  const std::string what = *spec.name + ": the value of key " + preview(node.key);
  if (first < format::kNumMetas || first > snapshot_.last_page) {
    problem(ProblemKind::kPageRange, page.pgno,
            what + " points to overflow page " + std::to_string(first) + ", outside [2, " +
                std::to_string(snapshot_.last_page) + "]");
    return false;
  }
  if (!claim(first, spec.owner, "overflow page")) return false;
  std::byte header[format::kPageHeaderSize];
  if (!reader_.read(first, 0, header).ok()) {
    problem(ProblemKind::kPageRange, first, what + " starts on a page beyond the end of the file");
    return false;
  }
  const uint32_t pages = load<uint32_t>(header + 12);
  const uint64_t needed = format::overflow_pages(node.data_size, psize_);
  if (header_flags(header) != format::kPageOverflow || load<uint64_t>(header) != first || pages < needed) {
    problem(ProblemKind::kOverflow, first,
            what + " (" + std::to_string(node.data_size) + " bytes) starts on a page with flags " +
                hex16(header_flags(header)) + ", number " + std::to_string(load<uint64_t>(header)) + ", run length " +
                std::to_string(pages));
    return false;
  }
  if (first + pages - 1 > snapshot_.last_page || first + pages > reader_.page_count()) {
    problem(ProblemKind::kOverflow, first,
            what + " has a run of " + std::to_string(pages) + " pages reaching past the last page or the file");
    return false;
  }
  for (uint64_t p = first + 1; p < first + pages; ++p) claim(p, spec.owner, "overflow page");
  t.overflow += pages;
  report_.pages.overflow += pages;
  return true;
}

bool Walker::read_value(const TreeSpec& spec, const PageView& page, const NodeRef& node, Tally& t,
                        std::vector<std::byte>& out) {
  if (!(node.flags & kNodeBigData)) {
    out.assign(node.data, node.data + node.data_size);
    return true;
  }
  if (!overflow_run(spec, page, node, t)) return false;
  out.resize(node.data_size);
  Status st = reader_.read(load<uint64_t>(node.data), format::kPageHeaderSize, out);
  if (!st.ok()) problem(ProblemKind::kIo, page.pgno, "cannot read the overflow value of " + preview(node.key));
  return st.ok();
}

}  // namespace aspen::check::detail
