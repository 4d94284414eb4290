// The data model of the growth soak test (tests/growth): what the writer commits and what a reader checks.
//
// Every commit adds one batch b = 1, 2, 3, ... to the main database, in one write transaction:
//   "d" + be64(b) + be32(j)   for j = 0 .. batch_count(b)-1: a value of value_size(b, j) bytes whose content is
//                             value_bytes(b, j) (pseudo-random; about 1 value in 64 is an overflow value)
//   "r" + be64(b)             BatchRecord{count, bytes, checksum} of that batch's values
//   "t"                       Totals{last_batch = b, entries, bytes}: data entries and bytes of batches 1..b
// So every committed snapshot satisfies: entries(main) == totals.entries + totals.last_batch + 1, and the
// values found under each batch's prefix add up to its record. A reader that sees anything else saw a torn
// or damaged snapshot. Header-only: the writer and the reader processes are the same executable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace growth {

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline uint32_t value_size(uint64_t batch, uint32_t j) {
  const uint64_t h = mix(batch * 0x100000001b3ull + j);
  if (h % 64 == 0) return 9000 + static_cast<uint32_t>((h >> 8) % 30000);  // overflow pages
  return 200 + static_cast<uint32_t>((h >> 8) % 3800);
}

// Fills out[0, size) with the value of (batch, j).
inline void value_bytes(uint64_t batch, uint32_t j, std::byte* out, size_t size) {
  uint64_t state = mix((batch << 32) ^ j ^ 0x5eed);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    state = mix(state);
    std::memcpy(out + i, &state, 8);
  }
  state = mix(state);
  std::memcpy(out + i, &state, size - i);
}

// An order-independent checksum is not needed: values are visited in key order on both sides.
inline uint64_t fold(uint64_t h, const std::byte* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull + (h >> 29);
  }
  for (; i < n; ++i) h = (h ^ static_cast<uint64_t>(p[i])) * 0x100000001b3ull;
  return h ^ n;
}

struct BatchRecord {
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
};

struct Totals {
  uint64_t last_batch = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

inline void put_be(std::string* s, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string batch_prefix(uint64_t batch) {
  std::string k = "d";
  put_be(&k, batch, 8);
  return k;
}

inline std::string data_key(uint64_t batch, uint32_t j) {
  std::string k = batch_prefix(batch);
  put_be(&k, j, 4);
  return k;
}

inline std::string record_key(uint64_t batch) {
  std::string k = "r";
  put_be(&k, batch, 8);
  return k;
}

inline const char* totals_key() { return "t"; }

}  // namespace growth
