// Strong identifiers for values LMDB keeps as bare integers (layer: util): page numbers, transaction ids and
// database handles. They compare and hash like integers but do not mix with each other by accident.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace aspen {

template <class Tag, class Rep>
struct StrongId {
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
};

struct PageNoTag {};
struct TxnIdTag {};
// A page number: the offset of a page in data.mdb divided by the page size (pgno_t, 64-bit).
using PageNo = StrongId<PageNoTag, uint64_t>;
// A transaction id: the number of the commit that produced a snapshot (txnid_t, 64-bit).
using TxnId = StrongId<TxnIdTag, uint64_t>;
// A database handle, an index into the environment's table of databases (MDB_dbi).
using Dbi = unsigned int;

inline constexpr uint64_t kInvalidPage = ~uint64_t{0};  // P_INVALID: the root of an empty tree

}  // namespace aspen

template <class Tag, class Rep>
struct std::hash<aspen::StrongId<Tag, Rep>> {
  size_t operator()(const aspen::StrongId<Tag, Rep>& id) const noexcept { return std::hash<Rep>()(id.value); }
};
