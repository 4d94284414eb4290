// Key orders of a B+tree (layer: tree): LMDB's lexical, reverse, native-integer and user-supplied orders.
//
// A KeyCompare is chosen once per database from its flags (or set by the user) and is a small value type;
// calling it is thread-safe as long as a user comparator is.
#pragma once

#include <cstdint>

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
