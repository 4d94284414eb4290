// LMDB 0.9's ID-list helpers (midl.h), exported by liblmdb.so.0 although no public header declares them
// (layer: abi). Aspen does not use them; they exist so that our library exports every symbol Debian's does and a
// program that reached for them keeps linking and behaving the same.
//
// An IDL is `MDB_ID*` whose element 0 is the count, followed by the IDs in descending order; an IDL from
// mdb_midl_alloc also keeps its capacity in element -1. An ID2L is an array of {id, pointer} whose element 0's
// id is the count, followed by the pairs in ascending id order. Growth sizes, limits and return codes are
// LMDB's, so callers see the same capacities. Thread-safety: none (plain arrays).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "abi/handles.hpp"

namespace {

using Id = size_t;

struct Id2 {
  Id mid;
  void* mptr;
};

constexpr Id kListMax = (Id{1} << 17) - 1;  // MDB_IDL_UM_MAX

// Adds `more` to the capacity of the list at *list (realloc; the list may move).
int grow(Id** list, Id more) {
  Id* block = *list - 1;
  block = static_cast<Id*>(std::realloc(block, (block[0] + more + 2) * sizeof(Id)));
  if (!block) return ENOMEM;
  block[0] += more;
  *list = block + 1;
  return 0;
}

// Binary search over positions 1..n where `order(position)` says whether the wanted id lies before (<0) or
// after (>0) that position or is there (0). Returns the position found, or where the id would be inserted.
template <class Order>
unsigned search_positions(unsigned n, Order order) {
  unsigned base = 0, probe = 1;
  int last = 0;
  while (n > 0) {
    const unsigned half = n >> 1;
    probe = base + half + 1;
    last = order(probe);
    if (last < 0) {
      n = half;
    } else if (last > 0) {
      base = probe;
      n -= half + 1;
    } else {
      return probe;
    }
  }
  return last > 0 ? probe + 1 : probe;
}

int three_way(Id a, Id b) { return a < b ? -1 : (a > b ? 1 : 0); }

}  // namespace

ASPEN_ABI Id* mdb_midl_alloc(int num) {
  auto* block = static_cast<Id*>(std::malloc((static_cast<size_t>(num) + 2) * sizeof(Id)));
  if (!block) return nullptr;
  block[0] = static_cast<Id>(num);
  block[1] = 0;
  return block + 1;
}

ASPEN_ABI void mdb_midl_free(Id* ids) {
  if (ids) std::free(ids - 1);
}

ASPEN_ABI void mdb_midl_shrink(Id** idp) {
  Id* block = *idp - 1;
  if (block[0] <= kListMax) return;
  block = static_cast<Id*>(std::realloc(block, (kListMax + 2) * sizeof(Id)));
  if (!block) return;
  block[0] = kListMax;
  *idp = block + 1;
}

ASPEN_ABI int mdb_midl_need(Id** idp, unsigned num) {
  Id* ids = *idp;
  Id wanted = num + ids[0];
  if (wanted <= ids[-1]) return 0;
  wanted = (wanted + wanted / 4 + (256 + 2)) & ~Id{255};
  Id* block = static_cast<Id*>(std::realloc(ids - 1, wanted * sizeof(Id)));
  if (!block) return ENOMEM;
  block[0] = wanted - 2;
  *idp = block + 1;
  return 0;
}

ASPEN_ABI int mdb_midl_append(Id** idp, Id id) {
  if ((*idp)[0] >= (*idp)[-1] && grow(idp, kListMax)) return ENOMEM;
  Id* ids = *idp;
  ids[++ids[0]] = id;
  return 0;
}

ASPEN_ABI int mdb_midl_append_list(Id** idp, Id* app) {
  if ((*idp)[0] + app[0] >= (*idp)[-1] && grow(idp, app[0])) return ENOMEM;
  Id* ids = *idp;
  std::memcpy(&ids[ids[0] + 1], &app[1], app[0] * sizeof(Id));
  ids[0] += app[0];
  return 0;
}

// Appends id+n-1, ..., id+1, id (descending, like the rest of the list).
ASPEN_ABI int mdb_midl_append_range(Id** idp, Id id, unsigned n) {
  if ((*idp)[0] + n > (*idp)[-1] && grow(idp, n | kListMax)) return ENOMEM;
  Id* ids = *idp;
  const Id len = ids[0];
  ids[0] = len + n;
  for (unsigned i = n; i > 0; --i) ids[len + i] = id++;
  return 0;
}

// Merges the descending list `merge` into the descending list `idl`, which has room for both; fills from the
// tail (smallest ids) so that nothing is overwritten before it is read.
ASPEN_ABI void mdb_midl_xmerge(Id* idl, Id* merge) {
  Id i = merge[0], j = idl[0], k = i + j;
  const Id total = k;
  while (i > 0) {
    const Id m = merge[i--];
    while (j > 0 && idl[j] < m) idl[k--] = idl[j--];
    idl[k--] = m;
  }
  idl[0] = total;
}

ASPEN_ABI void mdb_midl_sort(Id* ids) { std::sort(ids + 1, ids + 1 + ids[0], std::greater<Id>()); }

// The position of `id` in the descending list, or of the first id smaller than it.
ASPEN_ABI unsigned mdb_midl_search(Id* ids, Id id) {
  return search_positions(static_cast<unsigned>(ids[0]), [&](unsigned p) { return three_way(ids[p], id); });
}

// The position of `id` in the ascending ID2L, or of the first id greater than it.
ASPEN_ABI unsigned mdb_mid2l_search(Id2* ids, Id id) {
  return search_positions(static_cast<unsigned>(ids[0].mid), [&](unsigned p) { return three_way(id, ids[p].mid); });
}

// 0 when inserted, -1 when the id is present already, -2 when the list is full.
ASPEN_ABI int mdb_mid2l_insert(Id2* ids, Id2* id) {
  const unsigned x = mdb_mid2l_search(ids, id->mid);
  if (x < 1) return -2;
  if (x <= ids[0].mid && ids[x].mid == id->mid) return -1;
  if (ids[0].mid >= kListMax) return -2;
  ++ids[0].mid;
  for (auto i = static_cast<unsigned>(ids[0].mid); i > x; --i) ids[i] = ids[i - 1];
  ids[x] = *id;
  return 0;
}

ASPEN_ABI int mdb_mid2l_append(Id2* ids, Id2* id) {
  if (ids[0].mid >= kListMax) return -2;
  ++ids[0].mid;
  ids[ids[0].mid] = *id;
  return 0;
}
