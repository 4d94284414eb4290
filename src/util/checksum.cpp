// CRC-32C (layer: util): the SSE4.2 crc32 instruction where the CPU has it (x86-64, checked once at run time),
// else a table. The one-flush commit checksums every page it writes (docs/COMMIT.md §7), so speed matters:
// by table a 4 KiB page cost ~10 us, 78 % of a one-put commit on tmpfs; by instruction well under 1 us.
#include "util/checksum.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace aspen {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // CRC-32C, reflected

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

// Both update a CRC register that is already inverted (the caller inverts before and after).
uint32_t update_by_table(const unsigned char* p, size_t size, uint32_t crc) {
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t update_by_instruction(const unsigned char* p, size_t size, uint32_t crc) {
  uint64_t c = crc;
  for (; size >= 8; p += 8, size -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; size > 0; ++p, --size) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

using Update = uint32_t (*)(const unsigned char*, size_t, uint32_t);

Update choose_update() {
  __builtin_cpu_init();  // may run before the runtime's own initialisation (a static constructor calling us)
  return __builtin_cpu_supports("sse4.2") ? update_by_instruction : update_by_table;
}
#endif

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  static const Update update = choose_update();
  return ~update(p, size, ~crc);
#else
  return ~update_by_table(p, size, ~crc);
#endif
}

}  // namespace aspen
