// crc32c (layer: util): the standard check value, continuation, and the fast path agreeing with a bit-by-bit
// reference at every length and alignment.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/checksum.hpp"

namespace aspen {
namespace {

uint32_t reference_crc32c(const unsigned char* p, size_t size) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < size; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32c, CheckValue) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32c(text.data(), text.size()), 0xE3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, ContinuesAcrossCalls) {
  const std::string text = "the one-flush commit checksums its pages run after run";
  const uint32_t whole = crc32c(text.data(), text.size());
  for (size_t cut = 0; cut <= text.size(); ++cut)
    EXPECT_EQ(crc32c(text.data() + cut, text.size() - cut, crc32c(text.data(), cut)), whole) << cut;
}

TEST(Crc32c, AgreesWithTheReferenceAtEveryLengthAndAlignment) {
  std::vector<unsigned char> bytes(300);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 131 + 7);
  for (size_t offset = 0; offset < 8; ++offset)
    for (size_t size = 0; size + offset <= bytes.size(); size += 13)
      EXPECT_EQ(crc32c(bytes.data() + offset, size), reference_crc32c(bytes.data() + offset, size))
          << offset << " " << size;
}

}  // namespace
}  // namespace aspen
