// Byte views and unaligned little-endian loads/stores (layer: util).
//
// Bytes is the one byte-view type of the core: a non-owning span of const std::byte. Loads and stores go through
// memcpy so that unaligned fields (an overflow page number after an odd-sized key, a db record inside a node) are
// read without undefined behaviour; compilers turn them into plain moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace aspen {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

inline Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }
inline Bytes as_bytes(const void* data, size_t size) { return {static_cast<const std::byte*>(data), size}; }
inline std::string_view as_string_view(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

template <class T>
inline T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
inline void store(void* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Lexicographic comparison of two byte strings, shorter first on a common prefix (LMDB's default order).
inline int compare_lexical(Bytes a, Bytes b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace aspen
