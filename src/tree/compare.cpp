// Reverse and integer key orders (layer: tree). See compare.hpp.
#include "tree/compare.hpp"

namespace aspen::tree {

int KeyCompare::compare_reverse(Bytes a, Bytes b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 1; i <= n; ++i) {
    int diff = static_cast<int>(a[a.size() - i]) - static_cast<int>(b[b.size() - i]);
    if (diff) return diff;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

int KeyCompare::compare_integer(Bytes a, Bytes b) {
  if (a.size() == sizeof(uint32_t) && b.size() >= sizeof(uint32_t)) {
    uint32_t x = load<uint32_t>(a.data()), y = load<uint32_t>(b.data());
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.size() == sizeof(uint64_t) && b.size() >= sizeof(uint64_t)) {
    uint64_t x = load<uint64_t>(a.data()), y = load<uint64_t>(b.data());
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // Other widths: compare 16-bit words from the most significant end, as LMDB's mdb_cmp_cint does.
  size_t n = (a.size() < b.size() ? a.size() : b.size()) / 2;
  for (size_t i = n; i-- > 0;) {
    int diff = static_cast<int>(load<uint16_t>(a.data() + 2 * i)) - static_cast<int>(load<uint16_t>(b.data() + 2 * i));
    if (diff) return diff;
  }
  return 0;
}

}  // namespace aspen::tree
