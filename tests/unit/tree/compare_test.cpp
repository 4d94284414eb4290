// KeyCompare (layer: tree): the word-at-a-time lexical order used by page searches agrees in sign with
// compare_lexical (memcmp, then the shorter key first) on every pair of a set of awkward keys.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "tree/compare.hpp"
#include "util/bytes.hpp"

namespace aspen::tree {
namespace {

int sign(int v) { return (v > 0) - (v < 0); }

TEST(KeyCompareTest, LexicalWordsAgreesWithLexical) {
  std::vector<std::string> keys = {"", "a", "ab", "abcdefgh", "abcdefgi", "abcdefghi", "abcdefg\xff", "\x80",
                                   "\x7f\xff\xff\xff\xff\xff\xff\xff", "\x80\x00\x00\x00\x00\x00\x00\x00",
                                   std::string(16, '0'), std::string(15, '0') + "1", std::string(17, '0')};
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string k(rng() % 24, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 3 == 0 ? 0xff : rng() % 4);  // long shared runs, high bytes
    keys.push_back(k);
  }
  for (const std::string& a : keys)
    for (const std::string& b : keys)
      ASSERT_EQ(sign(KeyCompare::compare_lexical_words(bytes_of(a), bytes_of(b))),
                sign(compare_lexical(bytes_of(a), bytes_of(b))))
          << "a.size " << a.size() << " b.size " << b.size();
}

}  // namespace
}  // namespace aspen::tree
