// Key orders of a B+tree (layer: tree): LMDB's lexical, reverse, native-integer and user-supplied orders.
//
// A KeyCompare is chosen once per database from its flags (or set by the user) and is a small value type;
// calling it is thread-safe as long as a user comparator is.
#pragma once

#include <cstdint>
#include <cstring>

#include "format/constants.hpp"
#include "util/bytes.hpp"

namespace aspen::tree {

// A user comparator: returns <0, 0, >0. `context` is passed through untouched.
using CompareFn = int (*)(Bytes a, Bytes b, const void* context);

class KeyCompare {
 public:
  enum class Kind : uint8_t { kLexical, kReverse, kInteger, kUser };

  constexpr KeyCompare() = default;
  static KeyCompare lexical() { return KeyCompare(Kind::kLexical); }
  static KeyCompare reverse() { return KeyCompare(Kind::kReverse); }
  static KeyCompare integer() { return KeyCompare(Kind::kInteger); }
  static KeyCompare user(CompareFn fn, const void* context) {
    KeyCompare c(Kind::kUser);
    c.fn_ = fn;
    c.context_ = context;
    return c;
  }
  // The default key order of a database with these flags (mdb_default_cmp).
  static KeyCompare for_keys(uint16_t db_flags) {
    if (db_flags & format::kDbReverseKey) return reverse();
    if (db_flags & format::kDbIntegerKey) return integer();
    return lexical();
  }
  // The default order of duplicates in a DUPSORT database with these flags.
  static KeyCompare for_duplicates(uint16_t db_flags) {
    if (db_flags & format::kDbIntegerDup) return integer();
    if (db_flags & format::kDbReverseDup) return reverse();
    return lexical();
  }

  Kind kind() const { return kind_; }
  int operator()(Bytes a, Bytes b) const {
    switch (kind_) {
      case Kind::kLexical: return compare_lexical(a, b);
      case Kind::kReverse: return compare_reverse(a, b);
      case Kind::kInteger: return compare_integer(a, b);
      case Kind::kUser: return fn_(a, b, context_);
    }
    return 0;
  }

  // compare_lexical's order (memcmp, then the shorter first) by 8-byte words where it can: the sign only,
  // for searches. Keys that share a long prefix (zero-padded numbers) then cost no memcmp call.
  static int compare_lexical_words(Bytes a, Bytes b) {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    size_t i = 0;
    for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
      const uint64_t x = load<uint64_t>(a.data() + i), y = load<uint64_t>(b.data() + i);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;  // little-endian: bytes in order
    }
    const int c = n > i ? std::memcmp(a.data() + i, b.data() + i, n - i) : 0;
    if (c != 0) return c;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  static int compare_reverse(Bytes a, Bytes b);
  // Native unsigned integers of a's size (LMDB requires equal sizes; 4 and 8 are the usual ones).
  static int compare_integer(Bytes a, Bytes b);

 private:
  explicit constexpr KeyCompare(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::kLexical;
  CompareFn fn_ = nullptr;
  const void* context_ = nullptr;
};

}  // namespace aspen::tree
