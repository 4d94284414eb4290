// Node insertion, removal and key replacement on a single page (layer: page). See page.hpp.
#include "page/page.hpp"

#include <cstring>

namespace aspen::page {
namespace {

uint16_t* ptrs(std::byte* p) { return reinterpret_cast<uint16_t*>(p + kPageHeaderSize); }

// Opens a pointer slot at index i and reserves `size` bytes at the top of the node heap; returns the node.
std::byte* make_room(std::byte* p, unsigned i, size_t size) {
  auto* h = header(p);
  uint16_t* ptr = ptrs(p);
  unsigned n = num_keys(p);
  std::memmove(ptr + i + 1, ptr + i, (n - i) * sizeof(uint16_t));
  uint16_t offset = static_cast<uint16_t>(h->bounds.upper - size);
  ptr[i] = offset;
  h->bounds.upper = offset;
  h->bounds.lower = static_cast<uint16_t>(h->bounds.lower + sizeof(uint16_t));
  return p + offset;
}

void write_node_key(std::byte* n, Bytes key) {
  node_header(n)->key_size = static_cast<uint16_t>(key.size());
  if (!key.empty()) std::memcpy(n + kNodeHeaderSize, key.data(), key.size());
}

}  // namespace

void init(std::byte* p, uint64_t pgno, uint16_t page_flags, size_t page_size) {
  auto* h = header(p);
  h->pgno = pgno;
  h->pad = 0;
  h->flags = page_flags;
  h->bounds.lower = kPageHeaderSize;
  h->bounds.upper = static_cast<uint16_t>(page_size);
}

size_t node_size_on_page(const std::byte* p, const std::byte* n) {
  size_t size = kNodeHeaderSize + node_key_size(n);
  if (is_leaf(p)) size += (node_flags(n) & format::kNodeBigData) ? sizeof(uint64_t) : node_data_size(n);
  return format::even(size);
}

std::byte* add_leaf_node(std::byte* p, unsigned i, Bytes key, const LeafData& data) {
  size_t size = format::even(kNodeHeaderSize + key.size() + data.stored.size());
  std::byte* n = make_room(p, i, size);
  node_header(n)->flags = data.node_flags;
  set_node_data_size(n, data.data_size);
  write_node_key(n, key);
  std::byte* dest = node_data(n);
  if (!data.stored.empty() && data.stored.data() != nullptr) std::memcpy(dest, data.stored.data(), data.stored.size());
  return dest;
}

void add_branch_node(std::byte* p, unsigned i, Bytes key, uint64_t child) {
  std::byte* n = make_room(p, i, format::even(kNodeHeaderSize + key.size()));
  set_node_child(n, child);
  write_node_key(n, key);
}

void add_leaf2_key(std::byte* p, unsigned i, Bytes key) {
  size_t ksize = key.size();
  std::byte* slot = leaf2_key(p, i, ksize);
  std::memmove(slot + ksize, slot, (num_keys(p) - i) * ksize);
  std::memcpy(slot, key.data(), ksize);
  auto* h = header(p);
  h->bounds.lower = static_cast<uint16_t>(h->bounds.lower + sizeof(uint16_t));
  h->bounds.upper = static_cast<uint16_t>(h->bounds.upper - (ksize - sizeof(uint16_t)));
}

void remove_node(std::byte* p, unsigned i, size_t leaf2_key_size) {
  auto* h = header(p);
  unsigned n = num_keys(p);
  if (is_leaf2(p)) {
    std::byte* slot = leaf2_key(p, i, leaf2_key_size);
    std::memmove(slot, slot + leaf2_key_size, (n - 1 - i) * leaf2_key_size);
    h->bounds.lower = static_cast<uint16_t>(h->bounds.lower - sizeof(uint16_t));
    h->bounds.upper = static_cast<uint16_t>(h->bounds.upper + leaf2_key_size - sizeof(uint16_t));
    return;
  }
  uint16_t* ptr = ptrs(p);
  uint16_t offset = ptr[i];
  size_t size = node_size_on_page(p, p + offset);
  // Nodes below the removed one in the heap move up by `size`; their pointers follow.
  for (unsigned k = 0, j = 0; k < n; ++k) {
    if (k == i) continue;
    ptr[j] = ptr[k] < offset ? static_cast<uint16_t>(ptr[k] + size) : ptr[k];
    ++j;
  }
  std::byte* base = p + h->bounds.upper;
  std::memmove(base + size, base, offset - h->bounds.upper);
  h->bounds.lower = static_cast<uint16_t>(h->bounds.lower - sizeof(uint16_t));
  h->bounds.upper = static_cast<uint16_t>(h->bounds.upper + size);
}

bool replace_key(std::byte* p, unsigned i, Bytes key) {
  auto* h = header(p);
  uint16_t* ptr = ptrs(p);
  std::byte* n = node(p, i);
  long delta = static_cast<long>(format::even(key.size())) - static_cast<long>(format::even(node_key_size(n)));
  if (delta > 0 && size_left(p) < static_cast<unsigned long>(delta)) return false;
  if (delta != 0) {
    uint16_t offset = ptr[i];
    unsigned count = num_keys(p);
    for (unsigned k = 0; k < count; ++k)
      if (ptr[k] <= offset) ptr[k] = static_cast<uint16_t>(ptr[k] - delta);
    std::byte* base = p + h->bounds.upper;
    std::memmove(base - delta, base, offset - h->bounds.upper + kNodeHeaderSize);
    h->bounds.upper = static_cast<uint16_t>(h->bounds.upper - delta);
    n = node(p, i);
  }
  write_node_key(n, key);
  return true;
}

}  // namespace aspen::page
