// The map grows by itself when no map size is set, keeping earlier pointers valid; a user map size stays a
// hard bound (MDB_MAP_FULL) as in LMDB (layer: env, through the C++ API).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "aspen/aspen.hpp"

namespace aspen {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/aspen-grow-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(GrowingMap, GrowsWithoutAMapSize) {
  const std::string dir = temp_dir();
  {
    auto env = Env::open(dir);  // no map size: LMDB would stop at 1 MiB
    ASSERT_TRUE(env.ok());
    auto first = env->begin_write();
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first->put(1, "anchor", std::string(100, 'a')).ok());
    ASSERT_TRUE(first->commit().ok());
    auto reader = env->begin_read();  // holds a snapshot and a pointer into the map across the growth
    ASSERT_TRUE(reader.ok());
    auto anchor = reader->get(1, std::string_view("anchor"));
    ASSERT_TRUE(anchor.ok());
    const std::string value(4000, 'v');
    for (int batch = 0; batch < 20; ++batch) {
      auto txn = env->begin_write();
      ASSERT_TRUE(txn.ok());
      for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(txn->put(1, "k" + std::to_string(batch * 1000 + i), value).ok()) << batch << " " << i;
      ASSERT_TRUE(txn->commit().ok());
    }
    EXPECT_EQ(*anchor, std::string(100, 'a'));  // the old pointer still reads the same bytes
    auto info = env->info();
    ASSERT_TRUE(info.ok());
    EXPECT_GT(info->map_size, uint64_t{80} << 20);
  }
  auto env = Env::open(dir);
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_read();
  ASSERT_TRUE(txn.ok());
  auto stat = txn->stat(1);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->entries, 20001u);
  std::filesystem::remove_all(dir);
}

TEST(GrowingMap, UserMapSizeIsABound) {
  const std::string dir = temp_dir();
  auto env = Env::open(dir, {.map_size = 2 << 20});
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_write();
  ASSERT_TRUE(txn.ok());
  Status st;
  for (int i = 0; i < 10000 && st.ok(); ++i) st = txn->put(1, "k" + std::to_string(i), std::string(1000, 'x'));
  EXPECT_EQ(st.code(), code::kMapFull);
  txn->abort();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aspen
