// The integrity checker on files written by the real liblmdb 0.9 (through python3-lmdb): every structure
// LMDB writes must pass, with the counts LMDB keeps (layer: check). Skipped when python3-lmdb is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "check/checker.hpp"
#include "check_fixture.hpp"

namespace aspen::check::testing {
namespace {

// Named databases of every kind LMDB has (DUPSORT with sub-pages and sub-databases, DUPFIXED|INTEGERDUP
// with LEAF2 pages, INTEGERKEY, REVERSEKEY; py-lmdb cannot make REVERSEDUP), overflow values, deletes and a dropped
// database whose free-list record is large enough to live on overflow pages.
constexpr const char* kScript = R"PY(
import lmdb, struct, sys
env = lmdb.open(sys.argv[1], max_dbs=16, map_size=256 << 20)
with env.begin(write=True) as t:
    for i in range(5000):
        t.put(b'key%06d' % i, b'v' * (i % 300))
    t.put(b'big', bytes(range(256)) * 40)
    t.put(b'huge', b'h' * 100000)
dup = env.open_db(b'dups', dupsort=True)
fixed = env.open_db(b'fixed', dupsort=True, dupfixed=True, integerdup=True)
ints = env.open_db(b'ints', integerkey=True)
rev = env.open_db(b'rev', reverse_key=True)
revdup = env.open_db(b'revdup', dupsort=True)
bulk = env.open_db(b'bulk')
with env.begin(write=True) as t:
    for k in range(50):
        for j in range(k * 7 % 400):
            t.put(b'k%03d' % k, b'dup%05d' % j, db=dup)
    for k in range(20):
        for j in range(k * 60):
            t.put(struct.pack('=I', k), struct.pack('=I', j * 3), db=fixed)
    for i in range(3000):
        t.put(struct.pack('=Q', i * 7919 % 100003), b'i', db=ints)
    for i in range(1000):
        t.put(b'%d-r' % i, b'x', db=rev)
    for k in range(30):
        for j in range(k * 5):
            t.put(b'rk%d' % k, b'%dv' % j, db=revdup)
    for i in range(1500):
        t.put(b'b%05d' % i, b'B' * 1500, db=bulk)
with env.begin(write=True) as t:
    for i in range(0, 5000, 2):
        t.delete(b'key%06d' % i)
    for k in range(0, 50, 3):
        t.delete(b'k%03d' % k, db=dup)
    t.delete(b'huge')
    t.drop(bulk, delete=True)
with env.begin(write=True) as t:
    t.put(b'after', b'1')
env.close()
)PY";

bool python_lmdb_available() { return std::system("/usr/bin/python3 -c 'import lmdb' 2>/dev/null") == 0; }

TEST(CheckerOnLmdbFiles, EveryKindOfDatabasePasses) {
  if (!python_lmdb_available()) GTEST_SKIP() << "python3-lmdb is not installed";
  TempDir dir;
  const std::string script = dir.path() + "/make.py";
  std::ofstream(script) << kScript;
  const std::string env_dir = dir.path() + "/env";
  ASSERT_EQ(std::system(("mkdir " + env_dir + " && /usr/bin/python3 " + script + " " + env_dir).c_str()), 0);
  CheckReport r = check_ok(env_dir);
  uint64_t dups = 0;
  for (int k = 0; k < 50; ++k) dups += k % 3 ? k * 7 % 400 : 0;
  uint64_t fixed = 0;
  for (int k = 0; k < 20; ++k) fixed += k * 60;
  ASSERT_NE(r.tree("dups"), nullptr);
  EXPECT_EQ(r.tree("dups")->entries, dups);
  EXPECT_GT(r.tree("dups")->sub_db_pages, 0u);
  ASSERT_NE(r.tree("fixed"), nullptr);
  EXPECT_EQ(r.tree("fixed")->entries, fixed);
  ASSERT_NE(r.tree("ints"), nullptr);
  EXPECT_EQ(r.tree("ints")->entries, 3000u);
  ASSERT_NE(r.tree("revdup"), nullptr);
  EXPECT_EQ(r.tree("bulk"), nullptr);  // dropped
  ASSERT_NE(r.tree("FREE_DBI"), nullptr);
  EXPECT_GT(r.tree("FREE_DBI")->overflow_pages, 0u);  // the dropped database's record
  EXPECT_GT(r.pages.free, 1500u);
}

}  // namespace
}  // namespace aspen::check::testing
