// Node insertion, removal and key replacement on a single page (layer: page). See page.hpp.
#include "page/page.hpp"

#include <cstring>

namespace aspen::page {
namespace {

std::byte* ptr_at(std::byte* p, unsigned i) { return p + kPageHeaderSize + 2 * i; }

// Opens a pointer slot at index i and reserves `size` bytes at the top of the node heap; returns the node.
std::byte* make_room(std::byte* p, unsigned i, size_t size) {
  unsigned n = num_keys(p);
  std::memmove(ptr_at(p, i + 1), ptr_at(p, i), (n - i) * sizeof(uint16_t));
  uint16_t offset = static_cast<uint16_t>(upper(p) - size);
  store<uint16_t>(ptr_at(p, i), offset);
  set_upper(p, offset);
  set_lower(p, lower(p) + sizeof(uint16_t));
  return p + offset;
}

void write_node_key(std::byte* n, Bytes key) {
  store<uint16_t>(n + 6, static_cast<uint16_t>(key.size()));  // node fields may be unaligned (page.hpp)
  if (!key.empty()) std::memcpy(n + kNodeHeaderSize, key.data(), key.size());
}

}  // namespace

void init(std::byte* p, uint64_t pgno, uint16_t page_flags, size_t page_size) {
  set_page_number(p, pgno);
  set_pad(p, 0);
  set_flags(p, page_flags);
  set_lower(p, kPageHeaderSize);
  set_upper(p, static_cast<unsigned>(page_size));
}

size_t node_size_on_page(const std::byte* p, const std::byte* n) {
  size_t size = kNodeHeaderSize + node_key_size(n);
  if (is_leaf(p)) size += (node_flags(n) & format::kNodeBigData) ? sizeof(uint64_t) : node_data_size(n);
  return format::even(size);
}

std::byte* add_leaf_node(std::byte* p, unsigned i, Bytes key, const LeafData& data) {
  size_t size = format::even(kNodeHeaderSize + key.size() + data.stored.size());
  std::byte* n = make_room(p, i, size);
  store<uint16_t>(n + 4, data.node_flags);
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
  set_lower(p, lower(p) + sizeof(uint16_t));
  set_upper(p, upper(p) - (ksize - sizeof(uint16_t)));
}

void remove_node(std::byte* p, unsigned i, size_t leaf2_key_size) {
  unsigned n = num_keys(p);
  if (is_leaf2(p)) {
    std::byte* slot = leaf2_key(p, i, leaf2_key_size);
    std::memmove(slot, slot + leaf2_key_size, (n - 1 - i) * leaf2_key_size);
    set_lower(p, lower(p) - sizeof(uint16_t));
    set_upper(p, upper(p) + leaf2_key_size - sizeof(uint16_t));
    return;
  }
  const uint16_t offset = node_offset(p, i);
  const size_t size = node_size_on_page(p, p + offset);
  // Nodes below the removed one in the heap move up by `size`; their pointers follow.
  for (unsigned k = 0, j = 0; k < n; ++k) {
    if (k == i) continue;
    uint16_t ptr = node_offset(p, k);
    store<uint16_t>(ptr_at(p, j), ptr < offset ? static_cast<uint16_t>(ptr + size) : ptr);
    ++j;
  }
  std::byte* base = p + upper(p);
  std::memmove(base + size, base, offset - upper(p));
  set_lower(p, lower(p) - sizeof(uint16_t));
  set_upper(p, upper(p) + size);
}

bool replace_key(std::byte* p, unsigned i, Bytes key) {
  std::byte* n = node(p, i);
  long delta = static_cast<long>(format::even(key.size())) - static_cast<long>(format::even(node_key_size(n)));
  if (delta > 0 && size_left(p) < static_cast<unsigned long>(delta)) return false;
  if (delta != 0) {
    const uint16_t offset = node_offset(p, i);
    const unsigned count = num_keys(p);
    for (unsigned k = 0; k < count; ++k) {
      uint16_t ptr = node_offset(p, k);
      if (ptr <= offset) store<uint16_t>(ptr_at(p, k), static_cast<uint16_t>(ptr - delta));
    }
    std::byte* base = p + upper(p);
    std::memmove(base - delta, base, offset - upper(p) + kNodeHeaderSize);
    set_upper(p, static_cast<unsigned>(upper(p) - delta));
    n = node(p, i);
  }
  write_node_key(n, key);
  return true;
}

}  // namespace aspen::page
