// Named regression tests for bugs found in review (layer: api).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "aspen/aspen.hpp"

namespace aspen {
namespace {

struct TempEnv {
  std::string path;
  Env env;
  explicit TempEnv(EnvOptions options = {.map_size = 64 << 20}) {
    char tmpl[] = "/tmp/aspen-reg-XXXXXX";
    path = mkdtemp(tmpl);
    auto opened = Env::open(path, options);
    EXPECT_TRUE(opened.ok());
    env = std::move(*opened);
  }
  ~TempEnv() {
    env.close();
    std::filesystem::remove_all(path);
  }
};

// A "delete, then next" loop must visit every key even when a delete collapses the root (depth 2 -> 1).
TEST(Regression, CursorDeleteLoopSurvivesRootCollapse) {
  TempEnv t;
  auto txn = t.env.begin_write();
  ASSERT_TRUE(txn.ok());
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(txn->put(1, "tmp:" + std::to_string(1000 + i), std::string(40, 'v')).ok());
  ASSERT_TRUE(txn->put(1, "zzz", "keep").ok());
  auto c = txn->cursor(1);
  ASSERT_TRUE(c.ok());
  int deleted = 0;
  auto e = c->seek(bytes_of("tmp:"));
  while (e.ok() && e->key_string().rfind("tmp:", 0) == 0) {
    ASSERT_TRUE(c->del().ok());
    ++deleted;
    e = c->get(CursorOp::kNext);
  }
  EXPECT_EQ(deleted, 300);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->key_string(), "zzz");
}

// Differential seed 62: a cursor that empties its tree keeps its eof flag as LMDB does (unset here), so after
// new puts and a delete of the first key, "next" returns the successor instead of MDB_NOTFOUND.
TEST(Regression, CursorThatEmptiedItsTreeStepsToTheSuccessorLater) {
  TempEnv t;
  auto txn = t.env.begin_write();
  ASSERT_TRUE(txn.ok());
  auto c = txn->cursor(1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->get(CursorOp::kNext).code(), code::kNotFound);
  ASSERT_TRUE(c->put(bytes_of("m"), bytes_of("1")).ok());
  ASSERT_TRUE(c->del().ok());  // the tree is empty again
  EXPECT_EQ(c->get(CursorOp::kNext).code(), code::kNotFound);
  ASSERT_TRUE(c->put(bytes_of("z"), bytes_of("2")).ok());
  ASSERT_TRUE(c->put(bytes_of("a"), bytes_of("3")).ok());
  ASSERT_TRUE(c->del().ok());  // deletes "a": the cursor now sits on "z"
  auto e = c->get(CursorOp::kNext);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->key_string(), "z");
}

// Threads that exit give their reader slot back (LMDB's TLS destructor).
TEST(Regression, ExitedThreadsFreeTheirReaderSlots) {
  TempEnv t({.map_size = 8 << 20, .max_readers = 4});
  for (int i = 0; i < 20; ++i) {
    int code = -1;
    std::thread reader([&] {
      auto r = t.env.begin_read();
      code = r.code();
    });
    reader.join();
    ASSERT_EQ(code, 0) << "thread " << i;
  }
}

// Renewing a reset read transaction while the thread's slot serves another one is refused.
TEST(Regression, RenewIntoABusySlotIsBadRslot) {
  TempEnv t;
  auto a = t.env.begin_read();
  ASSERT_TRUE(a.ok());
  a->reset();
  auto b = t.env.begin_read();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->renew().code(), code::kBadRslot);
  b->abort();
  EXPECT_TRUE(a->renew().ok());
}

// A second write transaction on the thread that already runs one fails instead of deadlocking.
TEST(Regression, SecondWriterOnSameThreadIsEdeadlk) {
  TempEnv t;
  auto w = t.env.begin_write();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(t.env.begin_write().code(), EDEADLK);
}

}  // namespace
}  // namespace aspen
