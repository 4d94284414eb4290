// The integrity checker on files written by Aspen: clean files pass with the right counts; each kind of
// damage is reported with its kind; random damage never crashes it (layer: check).
#include "check/checker.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "aspen/aspen.hpp"
#include "check_fixture.hpp"
#include "txn/transaction.hpp"

namespace aspen::check::testing {
namespace {

constexpr int kMainKeys = 2000;

std::string key_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key%06d", i);
  return buf;
}

// MAIN with 2000 keys (a two-level tree) and a 10000-byte value on 3 overflow pages, a named database
// "alpha" and an INTEGERKEY database "ints"; then a transaction deleting every third key of MAIN (free-list
// records, stale separators) and one more small write.
void build(const std::string& dir) {
  auto env = Env::open(dir, {.map_size = 64 << 20, .max_dbs = 4});
  ASSERT_TRUE(env.ok()) << error_message(env.code());
  {
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    auto alpha = txn->open_db("alpha", kCreate);
    auto ints = txn->open_db("ints", kCreate | kIntegerKey);
    ASSERT_TRUE(alpha.ok() && ints.ok());
    for (int i = 0; i < kMainKeys; ++i) ASSERT_TRUE(txn->put(1, key_of(i), std::string(40, 'v')).ok());
    ASSERT_TRUE(txn->put(1, "big", std::string(10000, 'b')).ok());
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(txn->put(*alpha, "a" + std::to_string(i), "x").ok());
    for (uint32_t i = 0; i < 500; ++i)
      ASSERT_TRUE(txn->put(*ints, Bytes(reinterpret_cast<const std::byte*>(&i), 4), bytes_of("int")).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  {
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < kMainKeys; i += 3) ASSERT_TRUE(txn->del(1, key_of(i)).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto txn = env->begin_write();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(1, "zz-last", "1").ok());
  ASSERT_TRUE(txn->commit().ok());
}

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    build(dir_.path());
    file_ = DataFile::load(dir_.data());
  }
  std::string damaged_path() const { return scratch_.path() + "/damaged.mdb"; }
  CheckReport damaged() const { return check_damaged(file_, damaged_path()); }

  TempDir dir_, scratch_;
  DataFile file_;
};

TEST(Checker, FreshEnvironmentPasses) {
  TempDir dir;
  { ASSERT_TRUE(Env::open(dir.path(), {.map_size = 1 << 20}).ok()); }
  CheckReport r = check_ok(dir.path());
  EXPECT_EQ(r.pages.leaf, 0u);
  ASSERT_NE(r.tree("MAIN_DBI"), nullptr);
  EXPECT_EQ(r.tree("MAIN_DBI")->entries, 0u);
}

// A fresh environment opened without a map size records LMDB's default map size (1 MiB), as liblmdb does;
// a smaller one would make liblmdb map too little and fail its first write with MDB_MAP_FULL.
TEST(Checker, FreshEnvironmentRecordsAMapSize) {
  TempDir dir;
  { ASSERT_TRUE(Env::open(dir.path()).ok()); }
  check_ok(dir.path());
}

TEST_F(CheckerTest, AspenFilePassesWithItsCounts) {
  CheckReport r = check_ok(dir_.path());
  ASSERT_NE(r.tree("MAIN_DBI"), nullptr);
  EXPECT_EQ(r.tree("MAIN_DBI")->entries, 2000u - 667u + 1u + 1u + 2u);  // keys left, big, zz-last, 2 dbs
  EXPECT_EQ(r.tree("MAIN_DBI")->depth, 2u);
  EXPECT_EQ(r.tree("MAIN_DBI")->overflow_pages, 3u);
  ASSERT_NE(r.tree("ints"), nullptr);
  EXPECT_EQ(r.tree("ints")->entries, 500u);
  ASSERT_NE(r.tree("alpha"), nullptr);
  EXPECT_EQ(r.tree("alpha")->entries, 300u);
  EXPECT_GT(r.pages.free, 0u);
  EXPECT_GT(r.free_records, 0u);
  const PageCounts& p = r.pages;
  EXPECT_EQ(p.meta + p.branch + p.leaf + p.overflow + p.free + p.leaked, r.meta.last_page + 1);
}

TEST_F(CheckerTest, OlderMetaSnapshotIsIntactToo) {
  CheckOptions options;
  options.meta = 1 - file_.newest();
  CheckReport r = check_ok(dir_.path(), options);
  EXPECT_EQ(r.meta_page, options.meta);
}

TEST_F(CheckerTest, ChecksThroughAnOpenReadTransaction) {
  auto env = Env::open(dir_.path(), {.max_dbs = 4});
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_read();
  ASSERT_TRUE(txn.ok());
  txn::Transaction& t = *txn->native();
  auto free_db = t.record(0);
  auto main_db = t.record(1);
  ASSERT_TRUE(free_db.ok() && main_db.ok());
  StorePageReader reader(t);
  Snapshot snapshot{**free_db, **main_db, t.page_limit() - 1, t.id()};
  CheckReport r = check_snapshot(reader, snapshot);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.meta.last_page, file_.meta(file_.newest()).last_page);
}

TEST_F(CheckerTest, DamagedPageFlagsAreReported) {
  const uint64_t leaf = file_.descend(file_.main_root(), true);
  page::header(file_.page(leaf))->flags = 0x0003;
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kPageHeader), 1u) << describe(r);
}

TEST_F(CheckerTest, NodeOutsideItsPageIsReported) {
  const uint64_t leaf = file_.descend(file_.main_root(), true);
  store<uint16_t>(file_.page(leaf) + 16, static_cast<uint16_t>(file_.psize - 2));
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kNode), 1u) << describe(r);
  EXPECT_GE(r.count(ProblemKind::kCounts), 1u) << describe(r);  // the lost entry
}

TEST_F(CheckerTest, OverlappingNodesAreReported) {
  const uint64_t leaf = file_.descend(file_.main_root(), false);
  std::byte* p = file_.page(leaf);
  store<uint16_t>(p + 18, load<uint16_t>(p + 16));  // node 1 := node 0
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kNode), 1u) << describe(r);
  EXPECT_GE(r.count(ProblemKind::kKeyOrder), 1u) << describe(r);
}

TEST_F(CheckerTest, KeysOutOfOrderAreReported) {
  const uint64_t leaf = file_.descend(file_.main_root(), true);
  std::byte* p = file_.page(leaf);
  const uint16_t first = load<uint16_t>(p + 16);
  store<uint16_t>(p + 16, load<uint16_t>(p + 18));
  store<uint16_t>(p + 18, first);
  CheckReport r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kKeyOrder), 1u) << describe(r);
  CheckOptions no_order;
  no_order.custom_order = {""};  // MAIN with a user comparator: its order is not checked
  EXPECT_EQ(check_damaged(file_, damaged_path(), no_order).count(ProblemKind::kKeyOrder), 0u);
}

TEST_F(CheckerTest, KeyBelowItsSeparatorIsReported) {
  const uint64_t root = file_.main_root();
  std::byte* node1 = page::node(file_.page(root), 1);
  std::memset(node1 + 8, 'z', page::node_key_size(node1));  // separator above every key of its child
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kSeparator), 1u) << describe(r);
}

TEST_F(CheckerTest, BrokenChildPointerIsReported) {
  const uint64_t root = file_.main_root();
  page::set_node_child(page::node(file_.page(root), 1), 999999);
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kPageRange), 1u) << describe(r);
  EXPECT_GE(r.count(ProblemKind::kLeak), 1u) << describe(r);  // the child it used to point to
}

TEST_F(CheckerTest, DoubleReferencedPageIsReported) {
  std::byte* root = file_.page(file_.main_root());
  page::set_node_child(page::node(root, 1), page::node_child(page::node(root, 2)));
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kDoubleRef), 1u) << describe(r);
  EXPECT_GE(r.count(ProblemKind::kLeak), 1u) << describe(r);
}

TEST_F(CheckerTest, TreePageOnTheFreeListIsReported) {
  std::byte* free_leaf = file_.page(file_.descend(file_.free_root(), true));
  std::byte* record = page::node(free_leaf, 0);
  ASSERT_EQ(page::node_flags(record), 0) << "expected an inline free-list record";
  store<uint64_t>(page::node_data(record) + 8, file_.main_root());  // first id := MAIN's root
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kDoubleRef), 1u) << describe(r);
}

TEST_F(CheckerTest, LeakedPagesAreReported) {
  std::byte* free_leaf = file_.page(file_.descend(file_.free_root(), true));
  std::byte* data = page::node_data(page::node(free_leaf, 0));
  store<uint64_t>(data, load<uint64_t>(data) - 1);  // the record forgets its lowest page
  CheckReport r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kLeak), 1u) << describe(r);
  EXPECT_EQ(r.pages.leaked, 1u);
}

TEST_F(CheckerTest, LastPageBeyondTheTreesLeaksTheTail) {
  format::Meta m = file_.meta(file_.newest());
  m.last_page += 3;
  file_.set_meta(file_.newest(), m);
  CheckReport r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kLeak), 1u) << describe(r);
  EXPECT_EQ(r.pages.leaked, 3u);
}

TEST_F(CheckerTest, BadFreeListRecordIsReported) {
  std::byte* free_leaf = file_.page(file_.descend(file_.free_root(), true));
  std::byte* data = page::node_data(page::node(free_leaf, 0));
  ASSERT_GE(load<uint64_t>(data), 2u);
  const uint64_t a = load<uint64_t>(data + 8);
  store<uint64_t>(data + 8, load<uint64_t>(data + 16));
  store<uint64_t>(data + 16, a);
  EXPECT_GE(damaged().count(ProblemKind::kFreeList), 1u);
  store<uint64_t>(data, 1000000);  // a count far beyond the record
  EXPECT_GE(damaged().count(ProblemKind::kFreeList), 1u);
}

TEST_F(CheckerTest, WrongCountsAndDepthAreReported) {
  format::Meta m = file_.meta(file_.newest());
  m.dbs[format::kMainDbi].entries += 1;
  file_.set_meta(file_.newest(), m);
  EXPECT_EQ(damaged().count(ProblemKind::kCounts), 1u);
  m.dbs[format::kMainDbi].entries -= 1;
  m.dbs[format::kMainDbi].depth += 1;
  file_.set_meta(file_.newest(), m);
  EXPECT_EQ(damaged().count(ProblemKind::kDepth), 1u);
}

TEST_F(CheckerTest, DamagedOverflowRunIsReported) {
  const uint64_t leaf = file_.descend(file_.main_root(), true);
  std::byte* p = file_.page(leaf);
  uint64_t run = 0;
  for (unsigned i = 0; i < page::num_keys(p); ++i)
    if (page::node_flags(page::node(p, i)) & format::kNodeBigData) run = page::node_overflow_page(page::node(p, i));
  ASSERT_NE(run, 0u) << "the 'big' value sorts into the first leaf";
  page::header(file_.page(run))->flags = format::kPageLeaf;
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kOverflow), 1u) << describe(r);
}

TEST_F(CheckerTest, DamagedNewestMetaFallsBackToTheOther) {
  const int newest = file_.newest();
  file_.page(newest)[format::kMetaOffset + 16] ^= std::byte{1};  // map size: the seal no longer matches
  CheckReport r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kMeta), 1u) << describe(r);
  EXPECT_EQ(r.meta_page, 1 - newest);
  EXPECT_EQ(r.problems.size(), 1u) << describe(r);
}

TEST_F(CheckerTest, BadMagicIsReported) {
  store<uint32_t>(file_.page(1) + format::kMetaOffset, 0x12345678);
  CheckReport r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kMeta), 1u) << describe(r);
  EXPECT_EQ(r.meta_page, 0);
}

TEST_F(CheckerTest, TruncatedFileIsReported) {
  file_.bytes.resize(file_.bytes.size() / 2);
  CheckReport r = damaged();
  EXPECT_GE(r.count(ProblemKind::kPageRange), 1u) << describe(r);
  file_.bytes.resize(100);
  r = damaged();
  EXPECT_EQ(r.count(ProblemKind::kMeta), 1u) << describe(r);
  EXPECT_EQ(r.meta_page, -1);
}

// Random puts and deletes over many transactions (small, large and overflow values; a plain and, with
// `dupsort`, a DUPSORT named database): the checker must find every committed snapshot consistent. This is
// the checker guarding the engine, not the other way round.
void random_workload(bool dupsort) {
  TempDir dir;
  auto env = Env::open(dir.path(), {.map_size = 256 << 20, .max_dbs = 4});
  ASSERT_TRUE(env.ok());
  std::mt19937_64 rng(99);
  for (int round = 0; round < 60; ++round) {
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    auto named = txn->open_db("named", kCreate);
    auto dups = txn->open_db("dups", kCreate | kDupSort);
    ASSERT_TRUE(named.ok() && dups.ok());
    for (int i = 0; i < 400; ++i) {
      const std::string key = key_of(static_cast<int>(rng() % 3000));
      const std::string dup_key = key.substr(0, 7), dup = "d" + std::to_string(rng() % 500);
      const int op = static_cast<int>(rng() % (dupsort ? 6 : 4));
      Status st;
      if (op == 0)
        st = txn->del(1, key);
      else if (op == 1)
        st = txn->put(*named, key, std::string(rng() % 5000, 'n'));
      else if (op == 2)
        st = txn->del(*named, key);
      else if (op == 3)
        st = txn->put(1, key, std::string(rng() % 300, 'm'));
      else if (op == 4)
        st = txn->put(*dups, dup_key, dup);
      else if (rng() % 8 == 0)
        st = txn->del(*dups, dup_key);
      else
        st = txn->del(*dups, bytes_of(dup_key), bytes_of(dup));
      ASSERT_TRUE(st.ok() || st.code() == code::kNotFound) << error_message(st.code());
    }
    ASSERT_TRUE(txn->commit().ok());
    if (round % 10 == 9) check_ok(dir.path());
  }
}

TEST(Checker, RandomWorkloadsLeaveConsistentFiles) { random_workload(false); }

TEST(Checker, RandomDupSortWorkloadsLeaveConsistentFiles) { random_workload(true); }

TEST(Checker, MissingFileIsAnError) { EXPECT_EQ(check_environment("/nonexistent/aspen/data.mdb").code(), ENOENT); }

TEST_F(CheckerTest, RandomDamageNeverCrashes) {
  std::mt19937_64 rng(7);
  const DataFile clean = file_;
  const size_t size = clean.bytes.size();
  for (int round = 0; round < 300; ++round) {
    file_ = clean;
    const int flips = 1 + static_cast<int>(rng() % 16);
    for (int i = 0; i < flips; ++i) {
      // Mostly inside pages 2.., sometimes the metas; a whole byte of random value.
      const size_t at = (rng() % 8 == 0) ? rng() % (2 * file_.psize) : rng() % size;
      file_.bytes[at] = static_cast<std::byte>(rng());
    }
    if (rng() % 10 == 0) file_.bytes.resize(rng() % size);
    CheckReport r = damaged();
    (void)r;  // any report will do: the point is that it came back
  }
}

}  // namespace
}  // namespace aspen::check::testing
