// Env::shrink: the data file rewritten without its free pages and swapped in, contents unchanged; refused
// (EBUSY) while another Env of this process or another process has the environment open (layer: env, through
// the C++ API).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "aspen/aspen.hpp"

namespace aspen {
namespace {

constexpr int kKeys = 20000;

std::string key_of(int i) { return "key:" + std::to_string(100000 + i); }

struct ShrinkEnv {
  std::string dir;
  ShrinkEnv() {
    char tmpl[] = "/tmp/aspen-shrink-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~ShrinkEnv() { std::filesystem::remove_all(dir); }
  uint64_t file_size() const { return std::filesystem::file_size(dir + "/data.mdb"); }

  // kKeys keys in the main database and a named one, then all but every tenth deleted again.
  void fill_then_delete() {
    auto env = Env::open(dir, {.max_dbs = 2});
    ASSERT_TRUE(env.ok());
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    auto named = txn->open_db("named", kCreate);
    ASSERT_TRUE(named.ok());
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(txn->put(1, key_of(i), std::string(100, 'a' + i % 26)).ok());
      ASSERT_TRUE(txn->put(*named, key_of(i), std::string(i % 7 ? 50 : 5000, 'n')).ok());
    }
    ASSERT_TRUE(txn->commit().ok());
    auto del = env->begin_write();
    ASSERT_TRUE(del.ok());
    auto again = del->open_db("named", 0);
    ASSERT_TRUE(again.ok());
    for (int i = 0; i < kKeys; ++i) {
      if (i % 10 == 0) continue;
      ASSERT_TRUE(del->del(1, bytes_of(key_of(i))).ok());
      ASSERT_TRUE(del->del(*again, bytes_of(key_of(i))).ok());
    }
    ASSERT_TRUE(del->commit().ok());
  }

  void expect_contents() {
    auto env = Env::open(dir, {.max_dbs = 2});
    ASSERT_TRUE(env.ok());
    auto txn = env->begin_read();
    ASSERT_TRUE(txn.ok());
    auto named = txn->open_db("named", 0);
    ASSERT_TRUE(named.ok());
    for (int i = 0; i < kKeys; ++i) {
      auto main_value = txn->get(1, std::string_view(key_of(i)));
      auto named_value = txn->get(*named, std::string_view(key_of(i)));
      if (i % 10) {
        EXPECT_EQ(main_value.code(), code::kNotFound) << i;
        EXPECT_EQ(named_value.code(), code::kNotFound) << i;
        continue;
      }
      ASSERT_TRUE(main_value.ok()) << i;
      ASSERT_TRUE(named_value.ok()) << i;
      EXPECT_EQ(*main_value, std::string(100, 'a' + i % 26));
      EXPECT_EQ(*named_value, std::string(i % 7 ? 50 : 5000, 'n'));
    }
    auto stat = env->stat();
    ASSERT_TRUE(stat.ok());
    EXPECT_EQ(stat->entries, static_cast<uint64_t>(kKeys / 10 + 1));  // + the record of "named"
  }
};

TEST(Shrink, GivesFreedPagesBackAndKeepsTheContents) {
  ShrinkEnv t;
  t.fill_then_delete();
  const uint64_t before = t.file_size();
  auto shrunk = Env::shrink(t.dir, {.max_dbs = 2});
  ASSERT_TRUE(shrunk.ok()) << shrunk.code();
  EXPECT_EQ(shrunk->bytes_before, before);
  EXPECT_EQ(shrunk->bytes_after, t.file_size());
  EXPECT_LT(shrunk->bytes_after, before / 4);
  EXPECT_FALSE(std::filesystem::exists(t.dir + "/data.mdb.shrink"));
  t.expect_contents();
  // The shrunk environment takes writes as any other.
  auto env = Env::open(t.dir);
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_write();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(1, "after", "shrink").ok());
  ASSERT_TRUE(txn->commit().ok());
}

TEST(Shrink, RefusesWhileAnotherEnvOfThisProcessHasItOpen) {
  ShrinkEnv t;
  t.fill_then_delete();
  auto other = Env::open(t.dir, {.max_dbs = 2});
  ASSERT_TRUE(other.ok());
  const uint64_t before = t.file_size();
  EXPECT_EQ(Env::shrink(t.dir, {.max_dbs = 2}).code(), EBUSY);
  EXPECT_EQ(t.file_size(), before);
  auto txn = other->begin_read();  // the open handle still works
  ASSERT_TRUE(txn.ok());
  EXPECT_TRUE(txn->get(1, std::string_view(key_of(0))).ok());
}

TEST(Shrink, RefusesWhileAnotherProcessHasItOpen) {
  ShrinkEnv t;
  t.fill_then_delete();
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto env = Env::open(t.dir, {.max_dbs = 2});
    char c = env.ok() ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(2);
    if (read(release[0], &c, 1) < 0) _exit(2);  // hold the environment open until the parent has tried
    _exit(env.ok() ? 0 : 1);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  const uint64_t before = t.file_size();
  EXPECT_EQ(Env::shrink(t.dir, {.max_dbs = 2}).code(), EBUSY);
  EXPECT_EQ(t.file_size(), before);
  ASSERT_EQ(write(release[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Once it is gone, the shrink goes through.
  EXPECT_TRUE(Env::shrink(t.dir, {.max_dbs = 2}).ok());
  t.expect_contents();
}

}  // namespace
}  // namespace aspen
