// The grow model of the multi-process tests (tests/multiprocess), Aspen's side; lmdb_peer.c has its twin
// (grow_check, grow_batch) for liblmdb processes.
//
// The main database holds "g:<n as 16 hex digits>" = grow_value(n) for n = 1..count, and "count" (u64). Values
// are 100..2000 bytes, every 16th 5000..8000 (overflow pages). Every committed snapshot has
// entries == count + 1, g:count present and right, g:count+1 absent; a reader checks those and one random
// entry. Writers append batches of 100 entries per transaction, so the file keeps growing.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mp_util.hpp"

namespace mp {

inline size_t grow_size(uint64_t n) { return n % 16 == 0 ? 5000 + n % 3000 : 100 + n * 37 % 1900; }
inline std::byte grow_byte(uint64_t n, size_t i) { return static_cast<std::byte>((n * 131 + i * 7) & 0xff); }

inline std::string grow_key(uint64_t n) {
  char key[32];
  std::snprintf(key, sizeof key, "g:%016llx", static_cast<unsigned long long>(n));
  return key;
}

inline bool grow_entry_ok(aspen::TxnRef& txn, uint64_t n, std::string* why) {
  auto v = txn.get(1, aspen::bytes_of(grow_key(n)));
  if (!v.ok()) return *why = std::string("get g:") + std::to_string(n) + ": " + aspen::error_message(v.code()), false;
  if (v->size() != grow_size(n)) return *why = "grow entry size", false;
  for (size_t i = 0; i < v->size(); ++i)
    if ((*v)[i] != grow_byte(n, i)) return *why = "grow entry bytes", false;
  return true;
}

// Checks one snapshot of the grow model; *count_out is its count.
inline bool grow_check(aspen::TxnRef& txn, uint64_t* count_out, std::string* why) {
  auto count = get_u64(txn, 1, "count");
  if (!count.ok()) return *why = std::string("get count: ") + aspen::error_message(count.code()), false;
  auto st = txn.stat(1);
  if (!st.ok()) return *why = std::string("stat: ") + aspen::error_message(st.code()), false;
  if (st->entries != (*count ? *count + 1 : 0)) return *why = "entries != count + 1", false;
  *count_out = *count;
  if (*count == 0) return true;
  if (!grow_entry_ok(txn, *count, why) || !grow_entry_ok(txn, 1 + static_cast<uint64_t>(rand()) % *count, why))
    return false;
  if (txn.get(1, aspen::bytes_of(grow_key(*count + 1))).code() != aspen::code::kNotFound)
    return *why = "an entry past count", false;
  return true;
}

// Appends one batch of 100 entries in one write transaction; returns the bytes of values added.
inline aspen::Result<uint64_t> grow_batch(aspen::Env& env) {
  ASPEN_ASSIGN(aspen::WriteTxn txn, env.begin_write());
  ASPEN_ASSIGN(uint64_t n, get_u64(txn, 1, "count"));
  uint64_t added = 0;
  std::vector<std::byte> value;
  for (int i = 0; i < 100; ++i) {
    ++n;
    value.resize(grow_size(n));
    for (size_t b = 0; b < value.size(); ++b) value[b] = grow_byte(n, b);
    ASPEN_TRY(txn.put(1, aspen::bytes_of(grow_key(n)), value, aspen::kNoOverwrite));
    added += value.size();
  }
  ASPEN_TRY(txn.put(1, aspen::bytes_of("count"), u64_bytes(n)));
  ASPEN_TRY(txn.commit());
  return added;
}

}  // namespace mp
