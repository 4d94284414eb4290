// DUPSORT through the C++ API: duplicates iterate in order per key, survive sub-page -> sub-tree promotion,
// and DUPFIXED values come back in blocks (layer: api).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "aspen/aspen.hpp"
#include "util/bytes.hpp"

namespace aspen {
namespace {

struct TempEnv {
  std::string path;
  Env env;
  explicit TempEnv(unsigned max_dbs = 4) {
    char tmpl[] = "/tmp/aspen-dup-XXXXXX";
    path = mkdtemp(tmpl);
    auto opened = Env::open(path, {.map_size = 256 << 20, .max_dbs = max_dbs});
    EXPECT_TRUE(opened.ok());
    env = std::move(*opened);
  }
  ~TempEnv() {
    env.close();
    std::filesystem::remove_all(path);
  }
};

TEST(DupSort, ValuesOfIteratesInOrderThroughPromotion) {
  TempEnv t;
  std::map<std::string, std::set<std::string>> model;
  auto txn = t.env.begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("dups", kDupSort | kCreate);
  ASSERT_TRUE(dbi.ok());
  for (int i = 0; i < 3000; ++i) {
    std::string key = "k" + std::to_string(i % 7);
    std::string value = "value-" + std::to_string((i * 7919) % 5000);
    ASSERT_TRUE(txn->put(*dbi, key, value).ok());
    model[key].insert(value);
  }
  ASSERT_TRUE(txn->commit().ok());
  auto read = t.env.begin_read();
  ASSERT_TRUE(read.ok());
  auto cursor = read->cursor(*dbi);
  ASSERT_TRUE(cursor.ok());
  for (const auto& [key, values] : model) {
    auto it = values.begin();
    size_t n = 0;
    for (Bytes v : cursor->values_of(bytes_of(key))) {
      ASSERT_NE(it, values.end());
      EXPECT_EQ(string_of(v), *it++);
      ++n;
    }
    EXPECT_EQ(n, values.size());
    auto count = cursor->count();
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, values.size());
  }
  auto stat = read->stat(*dbi);
  ASSERT_TRUE(stat.ok());
  size_t total = 0;
  for (const auto& kv : model) total += kv.second.size();
  EXPECT_EQ(stat->entries, total);
}

TEST(DupSort, DupFixedBlocksAndMultiple) {
  TempEnv t;
  auto txn = t.env.begin_write();
  ASSERT_TRUE(txn.ok());
  auto dbi = txn->open_db("fixed", kDupSort | kDupFixed | kIntegerDup | kCreate);
  ASSERT_TRUE(dbi.ok());
  std::vector<uint64_t> values(5000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i * 3;
  auto cursor = txn->cursor(*dbi);
  ASSERT_TRUE(cursor.ok());
  size_t count = values.size();
  Bytes packed{reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(uint64_t)};
  ASSERT_TRUE(cursor->put_multiple(bytes_of("key"), packed, sizeof(uint64_t), &count).ok());
  EXPECT_EQ(count, values.size());
  EXPECT_EQ(txn->put(*dbi, bytes_of("key"), bytes_of("short")).code(), code::kBadValsize);
  std::vector<uint64_t> seen;
  auto block = cursor->first_block(bytes_of("key"));
  while (block.ok()) {
    ASSERT_EQ(block->size() % sizeof(uint64_t), 0u);
    for (size_t i = 0; i < block->size(); i += sizeof(uint64_t)) seen.push_back(load<uint64_t>(block->data() + i));
    block = cursor->next_block();
  }
  EXPECT_EQ(block.code(), code::kNotFound);
  EXPECT_EQ(seen, values);
  cursor->close();
  ASSERT_TRUE(txn->commit().ok());
}

}  // namespace
}  // namespace aspen
