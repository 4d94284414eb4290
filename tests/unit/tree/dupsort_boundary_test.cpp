// DUPSORT storage at its boundaries (layer: tree, through the C++ API): the exact number of duplicates at
// which a sub-page becomes a sub-database, the exact size a sub-page shrinks back to, and the regressions
// the differential suite (tests/differential, --dupsort) found.
//
// The expected numbers were measured with the real liblmdb 0.9.24 (python3-lmdb), with the same key and
// value patterns as here, and agree with LMDB's rules: a sub-page of n values of V bytes takes
// 16 + n * (2 + EVEN(8 + V)) bytes (DUPFIXED: room for 2 values past the first two, then 4 more at a time)
// and becomes a sub-database when 8 + key size + sub-page size passes node_max (2038 at 4 KiB pages).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"
#include "check/checker.hpp"
#include "util/bytes.hpp"

namespace aspen {
namespace {

class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/aspen-dupbound-XXXXXX";
    path_ = mkdtemp(tmpl);
    auto opened = Env::open(path_, {.map_size = 64 << 20, .max_dbs = 2});
    EXPECT_TRUE(opened.ok());
    env_ = std::move(*opened);
  }
  ~Scratch() {
    env_.close();
    std::filesystem::remove_all(path_);
  }
  Env& env() { return env_; }
  const std::string& path() const { return path_; }
  // The checker (src/check) finds nothing wrong with the file as committed.
  void expect_checker_clean() const {
    auto report = check::check_environment(path_);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->problems.size() << " problems";
  }

 private:
  std::string path_;
  Env env_;
};

// The i-th value of V bytes, as the measurement made them: distinct, in increasing order.
std::string value_of(unsigned i, size_t size) {
  if (size == 1) return std::string(1, static_cast<char>(i % 256));
  if (size == 2) return std::string{static_cast<char>(i >> 8), static_cast<char>(i & 0xff)};
  std::string v{static_cast<char>(i >> 24), static_cast<char>(i >> 16), static_cast<char>(i >> 8),
                static_cast<char>(i)};
  return v + std::string(size - 4, 'x');
}

unsigned db_flags(bool fixed) { return kDupSort | kCreate | (fixed ? unsigned{kDupFixed} : 0u); }

// The file's last page after one transaction put `n` values of `value_size` bytes under one key of
// `key_size` bytes into a fresh database.
uint64_t last_page_after(size_t key_size, size_t value_size, unsigned n, bool fixed) {
  Scratch s;
  auto txn = s.env().begin_write();
  EXPECT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(fixed));
  EXPECT_TRUE(dbi.ok());
  const std::string key(key_size, 'k');
  for (unsigned i = 0; i < n; ++i) EXPECT_TRUE(txn->put(*dbi, key, value_of(i, value_size)).ok()) << i;
  EXPECT_TRUE(txn->commit().ok());
  auto info = s.env().info();
  EXPECT_TRUE(info.ok());
  return info->last_page;
}

struct Promotion {
  size_t key_size, value_size;
  bool fixed;
  unsigned first_in_subdb;  // the value count at which the sub-database's first page is allocated
};

class PromotionTest : public ::testing::TestWithParam<Promotion> {};

TEST_P(PromotionTest, SubPageBecomesSubDatabaseAtLmdbsCount) {
  const Promotion p = GetParam();
  const uint64_t base = last_page_after(p.key_size, p.value_size, 1, p.fixed);
  if (p.first_in_subdb > 2) {
    EXPECT_EQ(last_page_after(p.key_size, p.value_size, p.first_in_subdb - 1, p.fixed), base);
  }
  EXPECT_EQ(last_page_after(p.key_size, p.value_size, p.first_in_subdb, p.fixed), base + 1);
}

// Measured with liblmdb 0.9.24 (first count whose transaction allocates one page more).
INSTANTIATE_TEST_SUITE_P(Measured, PromotionTest,
                         ::testing::Values(Promotion{1, 1, false, 168}, Promotion{1, 8, false, 112},
                                           Promotion{1, 100, false, 19}, Promotion{1, 300, false, 7},
                                           Promotion{1, 511, false, 4}, Promotion{200, 1, false, 152},
                                           Promotion{200, 100, false, 17}, Promotion{511, 1, false, 126},
                                           Promotion{511, 8, false, 84}, Promotion{511, 300, false, 5},
                                           Promotion{511, 511, false, 3}, Promotion{1, 2, true, 1005},
                                           Promotion{1, 8, true, 249}, Promotion{1, 100, true, 21},
                                           Promotion{1, 511, true, 2}, Promotion{511, 2, true, 749},
                                           Promotion{511, 8, true, 185}, Promotion{511, 100, true, 13},
                                           Promotion{511, 511, true, 2}));

struct Shrink {
  size_t key_size, value_size;
  unsigned values, deleted;
  bool fixed;
  unsigned siblings_that_fit;  // 14-byte items the leaf still takes after the deletes
};

class ShrinkTest : public ::testing::TestWithParam<Shrink> {};

// A sub-page shrinks to fit what is left (mdb_node_shrink): after the deletes, the leaf page holds exactly as
// many small neighbours (4-byte keys, empty values: 14 bytes each) as liblmdb's does before it splits.
TEST_P(ShrinkTest, SubPageShrinksToLmdbsSize) {
  const Shrink p = GetParam();
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(p.fixed));
  ASSERT_TRUE(dbi.ok());
  const std::string key(p.key_size, 'a');
  for (unsigned i = 0; i < p.values; ++i) ASSERT_TRUE(txn->put(*dbi, key, value_of(i, p.value_size)).ok());
  for (unsigned i = 0; i < p.deleted; ++i)
    ASSERT_TRUE(txn->del(*dbi, bytes_of(key), bytes_of(value_of(i, p.value_size))).ok()) << i;
  unsigned fit = 0;
  for (unsigned j = 0; j < 400; ++j) {
    char name[8];
    std::snprintf(name, sizeof name, "b%03u", j);
    ASSERT_TRUE(txn->put(*dbi, std::string(name), std::string()).ok());
    auto stat = txn->stat(*dbi);
    ASSERT_TRUE(stat.ok());
    if (stat->leaf_pages > 1) break;
    ++fit;
  }
  EXPECT_EQ(fit, p.siblings_that_fit);
  txn->abort();
}

INSTANTIATE_TEST_SUITE_P(Measured, ShrinkTest,
                         ::testing::Values(Shrink{1, 100, 10, 0, false, 210}, Shrink{1, 100, 10, 5, false, 250},
                                           Shrink{1, 100, 10, 9, false, 281}, Shrink{100, 33, 12, 7, false, 266},
                                           Shrink{100, 33, 12, 11, false, 279}, Shrink{1, 8, 40, 0, true, 266},
                                           Shrink{1, 8, 40, 20, true, 278}, Shrink{1, 8, 40, 39, true, 288},
                                           Shrink{300, 100, 8, 3, true, 232}, Shrink{1, 1, 50, 25, true, 287},
                                           Shrink{1, 4, 41, 17, true, 282}, Shrink{1, 2, 100, 1, true, 275}));

// The number of values of `key` (the error of MDB_SET when it has none).
Result<size_t> count_of(TxnRef& txn, Dbi dbi, const std::string& key) {
  auto cursor = txn.cursor(dbi);
  if (!cursor.ok()) return cursor.error();
  Bytes k = bytes_of(key), v;
  if (Status st = cursor->get(CursorOp::kSet, &k, &v); !st.ok()) return st.error();
  return cursor->count();
}

// Small neighbours (4-byte keys, empty values) the leaf of a DUPSORT database takes before it splits.
unsigned siblings_that_fit(TxnRef& txn, Dbi dbi) {
  auto before = txn.stat(dbi);
  EXPECT_TRUE(before.ok());
  unsigned fit = 0;
  for (unsigned j = 0; j < 400; ++j) {
    char name[8];
    std::snprintf(name, sizeof name, "b%03u", j);
    EXPECT_TRUE(txn.put(dbi, std::string(name), std::string()).ok());
    auto stat = txn.stat(dbi);
    EXPECT_TRUE(stat.ok());
    if (stat->leaf_pages > before->leaf_pages) break;
    ++fit;
  }
  return fit;
}

// LMDB 0.9 never turns a sub-database back into a sub-page: mdb_cursor_del only rewrites the node's
// sub-database record while entries remain, and drops the node (and the sub-tree) when the last one goes.
// A one-value sub-database keeps its 48-byte record: the leaf then holds (4080 - (8+1+48+2)) / 14 = 287
// neighbours; demoted to a one-value sub-page it would hold 281.
TEST(DupSortBoundary, SubDatabaseIsNeverDemoted) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(false));
  ASSERT_TRUE(dbi.ok());
  const std::string key = "a";
  for (unsigned i = 0; i < 40; ++i) ASSERT_TRUE(txn->put(*dbi, key, value_of(i, 100)).ok());
  ASSERT_TRUE(txn->commit().ok());
  auto again = s.env().begin_write();
  ASSERT_TRUE(again.ok());
  txn = std::move(again);
  for (unsigned i = 0; i < 39; ++i)
    ASSERT_TRUE(txn->del(*dbi, bytes_of(key), bytes_of(value_of(i, 100))).ok()) << i;
  auto count = count_of(*txn, *dbi, key);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);
  // Growing again stays in the sub-database: no sub-page conversion, no new sub-tree.
  ASSERT_TRUE(txn->put(*dbi, key, value_of(1000, 100)).ok());
  ASSERT_TRUE(txn->del(*dbi, bytes_of(key), bytes_of(value_of(1000, 100))).ok());
  EXPECT_EQ(siblings_that_fit(*txn, *dbi), 287u);
  ASSERT_TRUE(txn->commit().ok());
  s.expect_checker_clean();
}

// The last value of a sub-database takes the node with it: the key is gone, and its sub-tree pages are free.
TEST(DupSortBoundary, EmptiedSubDatabaseDropsTheKey) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  for (unsigned i = 0; i < 600; ++i) ASSERT_TRUE(txn->put(*dbi, std::string("a"), value_of(i, 8)).ok());
  for (unsigned i = 0; i < 600; ++i)
    ASSERT_TRUE(txn->del(*dbi, bytes_of(std::string("a")), bytes_of(value_of(i, 8))).ok()) << i;
  EXPECT_EQ(count_of(*txn, *dbi, "a").code(), code::kNotFound);
  auto stat = txn->stat(*dbi);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->entries, 0u);
  ASSERT_TRUE(txn->commit().ok());
  s.expect_checker_clean();
}

// --- bad input: LMDB's error, nothing lost --------------------------------------------------------------

// A value over 511 bytes in a DUPSORT database is MDB_BAD_VALSIZE (DUPSORT values are bound like keys), by
// mdb_put, by mdb_cursor_put and as the element size of MDB_MULTIPLE.
TEST(DupSortBadInput, OversizeValueIsBadValsize) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dups = txn->open_db("d", db_flags(false));
  auto fixed = txn->open_db("f", db_flags(true));
  ASSERT_TRUE(dups.ok() && fixed.ok());
  for (unsigned i = 0; i < 3; ++i) ASSERT_TRUE(txn->put(*dups, std::string("k"), value_of(i, 511)).ok());
  for (size_t size : {size_t{512}, size_t{513}, size_t{3000}}) {
    EXPECT_EQ(txn->put(*dups, std::string("k"), std::string(size, 'v')).code(), code::kBadValsize) << size;
    EXPECT_EQ(txn->put(*dups, std::string("new"), std::string(size, 'v')).code(), code::kBadValsize) << size;
  }
  auto cursor = txn->cursor(*dups);
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->put(bytes_of(std::string("k")), bytes_of(std::string(512, 'v')), 0).code(), code::kBadValsize);
  auto fixed_cursor = txn->cursor(*fixed);
  ASSERT_TRUE(fixed_cursor.ok());
  const std::string two(1024, 'v');
  size_t count = 2;
  EXPECT_EQ(fixed_cursor->put_multiple(bytes_of(std::string("k")), bytes_of(two), 512, &count).code(),
            code::kBadValsize);
  EXPECT_EQ(count, 0u);
  auto n = count_of(*txn, *dups, "k");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(count_of(*txn, *dups, "new").code(), code::kNotFound);
  EXPECT_EQ(count_of(*txn, *fixed, "k").code(), code::kNotFound);
  ASSERT_TRUE(txn->commit().ok());
}

// MDB_MULTIPLE with an element size other than the key's values: MDB_BAD_VALSIZE and nothing stored, for
// a sub-page and a sub-database. (LMDB 0.9 does not check and packs the wrong-size elements into the
// fixed-size slots; tests/differential/known_differences.txt, "dupfixed-size".)
TEST(DupSortBadInput, WrongSizeMultipleIsRefused) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  for (unsigned n : {3u, 300u}) {
    const std::string key = "key" + std::to_string(n);
    for (unsigned i = 0; i < n; ++i) ASSERT_TRUE(txn->put(*dbi, key, value_of(i, 8)).ok());
    auto cursor = txn->cursor(*dbi);
    ASSERT_TRUE(cursor.ok());
    for (size_t size : {size_t{4}, size_t{12}}) {
      std::string packed;
      for (unsigned i = 0; i < 5; ++i) packed += value_of(5000 + i, size);
      size_t count = 5;
      EXPECT_EQ(cursor->put_multiple(bytes_of(key), bytes_of(packed), size, &count).code(), code::kBadValsize)
          << n << " values, size " << size;
      EXPECT_EQ(count, 0u);
    }
    auto stored = count_of(*txn, *dbi, key);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*stored, n);
  }
  ASSERT_TRUE(txn->commit().ok());
}

// The *_MULTIPLE operations need DUPFIXED: MDB_INCOMPATIBLE on a DUPSORT database without it and on a plain
// one; GET_MULTIPLE on a cursor that is not positioned is EINVAL first (mdb_cursor_get checks that before
// the flags). MDB_MULTIPLE puts without DUPFIXED are MDB_INCOMPATIBLE.
TEST(DupSortBadInput, MultipleOperationsNeedDupFixed) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dups = txn->open_db("d", db_flags(false));
  auto plain = txn->open_db("p", kCreate);
  ASSERT_TRUE(dups.ok() && plain.ok());
  for (unsigned i = 0; i < 3; ++i) ASSERT_TRUE(txn->put(*dups, std::string("k"), value_of(i, 8)).ok());
  ASSERT_TRUE(txn->put(*plain, std::string("k"), std::string("v")).ok());
  for (Dbi dbi : {*dups, *plain}) {
    auto cursor = txn->cursor(dbi);
    ASSERT_TRUE(cursor.ok());
    Bytes k, v;
    EXPECT_EQ(cursor->get(CursorOp::kGetMultiple, &k, &v).code(), EINVAL);
    EXPECT_EQ(cursor->get(CursorOp::kNextMultiple, &k, &v).code(), code::kIncompatible);
    const std::string key = "k";
    k = bytes_of(key);
    ASSERT_TRUE(cursor->get(CursorOp::kSet, &k, &v).ok());
    EXPECT_EQ(cursor->get(CursorOp::kGetMultiple, &k, &v).code(), code::kIncompatible);
    EXPECT_EQ(cursor->get(CursorOp::kNextMultiple, &k, &v).code(), code::kIncompatible);
    EXPECT_EQ(cursor->get(CursorOp::kPrevMultiple, &k, &v).code(), code::kIncompatible);
    size_t count = 1;
    EXPECT_EQ(cursor->put_multiple(bytes_of(key), bytes_of(value_of(9, 8)), 8, &count).code(),
              code::kIncompatible);
    ASSERT_TRUE(cursor->get(CursorOp::kGetCurrent, &k, &v).ok());  // still where it was
  }
  auto n = count_of(*txn, *dups, "k");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  ASSERT_TRUE(txn->commit().ok());
}

// --- regressions found by the differential suite ------------------------------------------------------

// DUPFIXED values of one byte: LMDB's LEAF2 accounting moves a page's upper bound past its end (each key
// counts 2 bytes of lower and -1 of upper); such pages are valid and must be read (was MDB_CORRUPTED).
TEST(DupSortRegression, DupFixedOneByteValues) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  for (unsigned i = 0; i < 256; ++i) ASSERT_TRUE(txn->put(*dbi, std::string("k"), value_of(i, 1)).ok()) << i;
  ASSERT_TRUE(txn->commit().ok());
  auto read = s.env().begin_read();
  ASSERT_TRUE(read.ok());
  auto count = count_of(*read, *dbi, "k");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 256u);
}

// A value of another size for a DUPFIXED key that has values is MDB_BAD_VALSIZE and changes nothing, for
// a single value, a sub-page and a sub-database (the single-value case used to replace the node first and
// lose the value). MDB_CURRENT on the only value may change its size. LMDB 0.9 does not check (it
// truncates or over-reads); see tests/differential/known_differences.txt, "dupfixed-size".
TEST(DupSortRegression, WrongSizeDupFixedValueIsRefusedAndLosesNothing) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  const unsigned sizes[] = {1, 3, 300};  // one value, a sub-page, a sub-database
  for (unsigned n : sizes) {
    const std::string key = "key" + std::to_string(n);
    for (unsigned i = 0; i < n; ++i) ASSERT_TRUE(txn->put(*dbi, key, value_of(i, 8)).ok());
    for (size_t wrong : {size_t{4}, size_t{9}, size_t{16}}) {
      Status st = txn->put(*dbi, key, value_of(1000, wrong));
      EXPECT_EQ(st.code(), code::kBadValsize) << n << " values, wrong size " << wrong;
      auto count = count_of(*txn, *dbi, key);
      ASSERT_TRUE(count.ok());
      EXPECT_EQ(*count, n);
    }
  }
  auto cursor = txn->cursor(*dbi);
  ASSERT_TRUE(cursor.ok());
  const std::string key1 = "key1";
  Bytes k = bytes_of(key1), v;
  ASSERT_TRUE(cursor->get(CursorOp::kSet, &k, &v).ok());
  EXPECT_TRUE(cursor->put(bytes_of(std::string("key1")), bytes_of(std::string("longer-value")), kCurrent).ok());
  ASSERT_TRUE(txn->commit().ok());
}

// MDB_MULTIPLE as LMDB runs it: a count of 0 stores the first value; MDB_NOOVERWRITE applies to the first
// value only (the key it created takes the rest).
TEST(DupSortRegression, MultipleCountZeroAndNoOverwrite) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  std::string values;
  for (unsigned i = 0; i < 5; ++i) values += value_of(i, 8);
  auto cursor = txn->cursor(*dbi);
  ASSERT_TRUE(cursor.ok());
  size_t count = 0;
  ASSERT_TRUE(cursor->put_multiple(bytes_of(std::string("zero")), bytes_of(values), 8, &count).ok());
  EXPECT_EQ(count, 1u);
  count = 5;
  ASSERT_TRUE(cursor->put_multiple(bytes_of(std::string("new")), bytes_of(values), 8, &count, kNoOverwrite).ok());
  EXPECT_EQ(count, 5u);
  count = 5;
  EXPECT_EQ(cursor->put_multiple(bytes_of(std::string("new")), bytes_of(values), 8, &count, kNoOverwrite).code(),
            code::kKeyExist);
  EXPECT_EQ(count, 0u);
  auto n = count_of(*txn, *dbi, "new");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  ASSERT_TRUE(txn->commit().ok());
}

// Deleting the last duplicate of a key held in a sub-database: the delete frees the sub-tree's last page
// itself; the node's (stale) record must not be dropped again (the page was freed twice, and the commit
// failed or the file had a page both free and in use).
TEST(DupSortRegression, LastDuplicateOfSubDatabaseFreesItsPageOnce) {
  Scratch s;
  Dbi dbi{};
  {
    auto txn = s.env().begin_write();
    ASSERT_TRUE(txn.ok());
    auto opened = txn->open_db("d", db_flags(false));
    ASSERT_TRUE(opened.ok());
    dbi = *opened;
    for (unsigned i = 0; i < 300; ++i) ASSERT_TRUE(txn->put(dbi, std::string("k"), value_of(i, 100)).ok());
    ASSERT_TRUE(txn->put(dbi, std::string("z"), std::string("other")).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto cursor = txn->cursor(dbi);
  ASSERT_TRUE(cursor.ok());
  const std::string key_k = "k";
  Bytes k = bytes_of(key_k), v;
  ASSERT_TRUE(cursor->get(CursorOp::kSet, &k, &v).ok());
  for (unsigned i = 0; i < 300; ++i) {
    ASSERT_TRUE(cursor->del().ok()) << i;
    if (i + 1 < 300) {  // re-position on the next duplicate
      const std::string next = value_of(i + 1, 100);
      Bytes key = bytes_of(key_k), value = bytes_of(next);
      ASSERT_TRUE(cursor->get(CursorOp::kGetBoth, &key, &value).ok()) << i;
    }
  }
  ASSERT_TRUE(txn->commit().ok());
  s.expect_checker_clean();
}

// A cursor delete that empties the tree leaves the cursor's eof flag as it was (liblmdb 0.9.24). It used to
// set it, so after a put into the empty tree through the same cursor and a second value by mdb_put, NEXT
// answered MDB_NOTFOUND instead of the next duplicate (differential --dupsort seed 83, with MDB_MULTIPLE).
TEST(DupSortRegression, EmptyingDeleteKeepsEofFlag) {
  Scratch s;
  auto txn = s.env().begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("d", db_flags(true));
  ASSERT_TRUE(dbi.ok());
  auto cursor = txn->cursor(*dbi);
  ASSERT_TRUE(cursor.ok());
  const std::string key = "k", first = value_of(1, 8), second = value_of(2, 8);
  ASSERT_TRUE(cursor->put(bytes_of(key), bytes_of(first), kNoDupData).ok());
  ASSERT_TRUE(cursor->del(kNoDupData).ok());
  ASSERT_TRUE(cursor->put(bytes_of(key), bytes_of(first), 0).ok());
  ASSERT_TRUE(txn->put(*dbi, key, second).ok());
  Bytes k, v;
  ASSERT_TRUE(cursor->get(CursorOp::kNext, &k, &v).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.data()), v.size()), second);
  // After MDB_LAST the flag is set, and survives the same steps: NEXT has nothing more (liblmdb 0.9.24 too).
  ASSERT_TRUE(cursor->get(CursorOp::kLast, &k, &v).ok());
  ASSERT_TRUE(cursor->del(kNoDupData).ok());
  ASSERT_TRUE(cursor->put(bytes_of(key), bytes_of(first), 0).ok());
  ASSERT_TRUE(txn->put(*dbi, key, second).ok());
  EXPECT_EQ(cursor->get(CursorOp::kNext, &k, &v).code(), code::kNotFound);
  ASSERT_TRUE(txn->commit().ok());
}

}  // namespace
}  // namespace aspen
