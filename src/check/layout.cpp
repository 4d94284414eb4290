// Page and node bounds for the checker (layer: check). See walker.hpp.
//
// Everything here reads through PageView with memcpy loads: sub-pages sit at 2-byte aligned addresses inside
// nodes, and a corrupt page may hold any value in any field. No offset is followed before it is checked
// against the view's size.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "check/walker.hpp"
#include "format/constants.hpp"

namespace aspen::check::detail {
namespace {

using format::kNodeHeaderSize;
using format::kPageHeaderSize;

uint16_t lower_of(const PageView& p) { return load<uint16_t>(p.base + 12); }
uint16_t upper_of(const PageView& p) { return load<uint16_t>(p.base + 14); }
uint16_t pad_of(const PageView& p) { return load<uint16_t>(p.base + 8); }

std::string where(const PageView& p, unsigned i) {
  return std::string(p.subpage ? "sub-page node " : "node ") + std::to_string(i);
}

// The byte extent [start, end) of node i, or false when its header, key or stored data leave the view.
// `stored` receives the size of the data kept in the node (8 for F_BIGDATA).
bool node_extent(const PageView& p, unsigned i, bool leaf, size_t* start, size_t* end, size_t* stored) {
  const size_t off = load<uint16_t>(p.base + kPageHeaderSize + 2 * i);
  if (off < upper_of(p) || (off & 1) || off + kNodeHeaderSize > p.size) return false;
  const uint16_t flags = load<uint16_t>(p.base + off + 4);
  const size_t key_size = load<uint16_t>(p.base + off + 6);
  size_t data = 0;
  if (leaf) data = (flags & format::kNodeBigData) ? sizeof(uint64_t) : load<uint32_t>(p.base + off);
  const size_t size = kNodeHeaderSize + key_size + data;
  if (size > p.size - off) return false;
  *start = off;
  *end = off + format::even(size) > p.size ? p.size : off + format::even(size);
  *stored = data;
  return true;
}

}  // namespace

bool check_bounds(Walker& w, const PageView& p, unsigned min_keys) {
  const size_t lower = lower_of(p), upper = upper_of(p);
  if (lower < kPageHeaderSize || (lower & 1) || lower > upper || upper > p.size) {
    w.problem(ProblemKind::kPageHeader, p.pgno,
              std::string(p.subpage ? "sub-page" : "page") + " has lower " + std::to_string(lower) + ", upper " +
                  std::to_string(upper) + " (size " + std::to_string(p.size) + ")");
    return false;
  }
  const unsigned n = key_count(p);
  if (n < min_keys)
    w.problem(ProblemKind::kPageHeader, p.pgno,
              std::string(p.subpage ? "sub-page" : "page") + " holds " + std::to_string(n) + " nodes, fewer than " +
                  std::to_string(min_keys));
  return true;
}

bool check_leaf2_bounds(Walker& w, const PageView& p, size_t element_size) {
  const size_t lower = lower_of(p), upper = upper_of(p);
  if (element_size == 0 || pad_of(p) != element_size) {
    w.problem(ProblemKind::kPageHeader, p.pgno,
              "LEAF2 page element size " + std::to_string(pad_of(p)) + ", expected " + std::to_string(element_size));
    if (element_size == 0) return false;
  }
  if (lower < kPageHeaderSize || (lower & 1) || lower > upper || upper > p.size) {
    w.problem(ProblemKind::kPageHeader, p.pgno,
              "LEAF2 page has lower " + std::to_string(lower) + ", upper " + std::to_string(upper));
    return false;
  }
  const uint64_t n = key_count(p);
  if (kPageHeaderSize + n * element_size > p.size || upper - lower != p.size - kPageHeaderSize - n * element_size) {
    w.problem(ProblemKind::kPageHeader, p.pgno,
              "LEAF2 page counters (" + std::to_string(n) + " elements of " + std::to_string(element_size) +
                  " bytes, upper " + std::to_string(upper) + ") do not fit its size " + std::to_string(p.size));
    return kPageHeaderSize + n * element_size <= p.size;
  }
  if (n == 0) w.problem(ProblemKind::kPageHeader, p.pgno, "LEAF2 page holds no elements");
  return true;
}

bool branch_node(Walker& w, const PageView& p, unsigned i, Bytes* key, uint64_t* child) {
  size_t start, end, stored;
  if (!node_extent(p, i, false, &start, &end, &stored)) {
    w.problem(ProblemKind::kNode, p.pgno, where(p, i) + " lies outside its page");
    return false;
  }
  const std::byte* n = p.base + start;
  *key = Bytes(n + kNodeHeaderSize, load<uint16_t>(n + 6));
  *child = load<uint16_t>(n) | (uint64_t{load<uint16_t>(n + 2)} << 16) | (uint64_t{load<uint16_t>(n + 4)} << 32);
  return true;
}

bool leaf_node(Walker& w, const PageView& p, unsigned i, NodeRef* out) {
  size_t start, end, stored;
  if (!node_extent(p, i, true, &start, &end, &stored)) {
    w.problem(ProblemKind::kNode, p.pgno, where(p, i) + " lies outside its page");
    return false;
  }
  const std::byte* n = p.base + start;
  const uint16_t key_size = load<uint16_t>(n + 6);
  out->node = n;
  out->flags = load<uint16_t>(n + 4);
  out->key = Bytes(n + kNodeHeaderSize, key_size);
  out->data_size = load<uint32_t>(n);
  out->data = n + kNodeHeaderSize + key_size;
  return true;
}

void check_overlaps(Walker& w, const PageView& p, bool leaf) {
  std::vector<std::pair<size_t, size_t>> extents;
  const unsigned n = key_count(p);
  extents.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    size_t start, end, stored;
    if (node_extent(p, i, leaf, &start, &end, &stored)) extents.emplace_back(start, end);
  }
  std::sort(extents.begin(), extents.end());
  for (size_t i = 1; i < extents.size(); ++i) {
    if (extents[i].first < extents[i - 1].second) {
      w.problem(ProblemKind::kNode, p.pgno,
                "nodes at offsets " + std::to_string(extents[i - 1].first) + " and " +
                    std::to_string(extents[i].first) + " overlap");
      return;
    }
  }
}

}  // namespace aspen::check::detail
