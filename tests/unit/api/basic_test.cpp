// End-to-end behaviour of the C++ API on a real environment: puts, gets, deletes, cursors, commits,
// aborts, reopen (layer: api).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "aspen/aspen.hpp"

namespace aspen {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aspen-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string key_of(int i) {
  char buf[32];
  snprintf(buf, sizeof buf, "key%08d", i);
  return buf;
}

TEST(Basic, PutGetCommitReopen) {
  TempDir dir;
  {
    auto env = Env::open(dir.path(), {.map_size = 64 << 20});
    ASSERT_TRUE(env.ok()) << error_message(env.code());
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    auto dbi = txn->open_db(nullptr);
    ASSERT_TRUE(dbi.ok());
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(txn->put(*dbi, key_of(i), "value" + std::to_string(i)).ok()) << i;
    ASSERT_TRUE(txn->commit().ok());
  }
  auto env = Env::open(dir.path(), {.map_size = 64 << 20});
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_read();
  ASSERT_TRUE(txn.ok());
  for (int i = 0; i < 20000; ++i) {
    auto v = txn->get(1, key_of(i));
    ASSERT_TRUE(v.ok()) << i << " " << error_message(v.code());
    EXPECT_EQ(*v, "value" + std::to_string(i));
  }
  EXPECT_EQ(txn->get(1, std::string_view("nope")).code(), code::kNotFound);
  auto st = txn->stat(1);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->entries, 20000u);
}

TEST(Basic, RandomOpsMatchModel) {
  TempDir dir;
  auto env = Env::open(dir.path(), {.map_size = 256 << 20});
  ASSERT_TRUE(env.ok());
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    std::map<std::string, std::string> pending = model;
    for (int i = 0; i < 2000; ++i) {
      std::string k = key_of(static_cast<int>(rng() % 5000));
      int op = static_cast<int>(rng() % 3);
      if (op < 2) {
        std::string v(rng() % (op ? 3000 : 50), static_cast<char>('a' + rng() % 26));
        ASSERT_TRUE(txn->put(1, k, v).ok());
        pending[k] = v;
      } else {
        Status s = txn->del(1, k);
        EXPECT_EQ(s.ok(), pending.erase(k) == 1);
      }
    }
    if (round % 4 == 3) {
      txn->abort();
    } else {
      ASSERT_TRUE(txn->commit().ok());
      model = pending;
    }
    auto r = env->begin_read();
    ASSERT_TRUE(r.ok());
    auto c = r->cursor(1);
    ASSERT_TRUE(c.ok());
    auto it = model.begin();
    size_t n = 0;
    for (const Entry& e : *c) {
      ASSERT_NE(it, model.end());
      EXPECT_EQ(e.key_string(), it->first);
      EXPECT_EQ(e.value_string(), it->second);
      ++it;
      ++n;
    }
    EXPECT_EQ(n, model.size());
  }
}

}  // namespace
}  // namespace aspen
