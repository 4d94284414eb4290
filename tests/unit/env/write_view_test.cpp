// The writer's write view (src/env/write_view.cpp): reused pages are stored through a writable mapping, new
// pages are pwritten. The file keeps exactly the size pwrite alone would give it, the data survive a reopen,
// and a hole inside the file is filled before the view stores into it (layer: env). The view serves only
// environments whose commits do not sync (MDB_NOSYNC), so these tests open with kNoSync.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "aspen/aspen.hpp"
#include "env/environment.hpp"

namespace aspen {
namespace {

std::string key_of(int i) { return "key:" + std::to_string(100000 + i); }

EnvOptions no_sync() {
  EnvOptions o;
  o.flags = kNoSync;
  return o;
}

// Bytes of disk allocated to the file (st_blocks counts fallocated, unwritten extents too, which SEEK_HOLE on
// ext4 would still report as a hole).
uint64_t allocated_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

struct ViewDir {
  std::string dir;
  ViewDir() {
    char tmpl[] = "/tmp/aspen-view-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~ViewDir() { std::filesystem::remove_all(dir); }
  std::string data() const { return dir + "/data.mdb"; }
};

TEST(WriteViewTest, OverwritesReusePagesAndTheFileKeepsItsExactSize) {
  ViewDir d;
  std::map<std::string, std::string> model;
  uint64_t last_page_after_load = 0, psize = 0;
  {
    auto env = Env::open(d.dir, no_sync());
    ASSERT_TRUE(env.ok());
    auto load = env->begin_write();
    ASSERT_TRUE(load.ok());
    for (int i = 0; i < 5000; ++i) {
      model[key_of(i)] = std::string(100, 'a');
      ASSERT_TRUE(load->put(1, key_of(i), model[key_of(i)]).ok());
    }
    ASSERT_TRUE(load->commit().ok());
    last_page_after_load = env->info()->last_page;
    psize = env->stat()->page_size;
    std::mt19937 rng(7);
    for (int round = 0; round < 30; ++round) {
      auto txn = env->begin_write();
      ASSERT_TRUE(txn.ok());
      for (int j = 0; j < 300; ++j) {
        const std::string key = key_of(static_cast<int>(rng() % 5000));
        model[key] = std::string(100, static_cast<char>('b' + round % 20));
        ASSERT_TRUE(txn->put(1, key, model[key]).ok());
      }
      ASSERT_TRUE(txn->commit().ok());
      const uint64_t last_page = env->info()->last_page;
      ASSERT_EQ(std::filesystem::file_size(d.data()), (last_page + 1) * psize) << "round " << round;
    }
    // Free pages were reused (through the view): 30 commits of 300 random overwrites would otherwise have
    // grown the file by thousands of pages.
    EXPECT_LT(env->info()->last_page, last_page_after_load * 3);
  }
  auto env = Env::open(d.dir, no_sync());
  ASSERT_TRUE(env.ok());
  auto txn = env->begin_read();
  ASSERT_TRUE(txn.ok());
  for (const auto& [key, value] : model) {
    auto got = txn->get(1, key);
    ASSERT_TRUE(got.ok()) << key;
    ASSERT_EQ(std::string_view(reinterpret_cast<const char*>(got->data()), got->size()), value) << key;
  }
}

TEST(WriteViewTest, AHoleInsideTheFileIsFilledBeforeTheViewCoversIt) {
  ViewDir d;
  {
    auto env = Env::open(d.dir, no_sync());
    ASSERT_TRUE(env.ok());
    auto txn = env->begin_write();
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(txn->put(1, key_of(i), std::string(100, 'x')).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  const uint64_t size = std::filesystem::file_size(d.data());
  const uint64_t psize = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t pages = size / psize;
  ASSERT_GT(pages, 40u);
  {
    // A sparse copy could leave a hole inside the file: make one (its contents do not matter here).
    int fd = ::open(d.data().c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    int punched = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(20 * psize),
                              static_cast<off_t>(10 * psize));
    if (punched != 0) {
      ::close(fd);
      GTEST_SKIP() << "this file system cannot punch holes";
    }
    ASSERT_EQ(::lseek(fd, 0, SEEK_HOLE), static_cast<off_t>(20 * psize));
    ::close(fd);
  }
  const uint64_t with_hole = allocated_bytes(d.data());
  env::Environment env;
  ASSERT_TRUE(env.open(d.dir, kNoSync, 0644).ok());
  auto view = env.write_view(pages);
  ASSERT_TRUE(view.ok());
  if (view->base == nullptr) GTEST_SKIP() << "no write view on this file system";
  EXPECT_GE(allocated_bytes(d.data()), with_hole + 10 * psize) << "the hole is still there";
  EXPECT_EQ(std::filesystem::file_size(d.data()), size) << "the view changed the file's size";
}

// Pages allocated and freed again in one transaction count in the meta's last page but are never written, so
// the file may end before it; a commit that reuses them must pwrite them: a store through the view past the
// file's end was a SIGBUS (found by differential_dupsort, seed 6, which runs in CI).
TEST(WriteViewTest, TheViewEndsWhereTheFileEnds) {
  ViewDir d;
  {
    auto env = Env::open(d.dir, no_sync());
    ASSERT_TRUE(env.ok());
  }
  const uint64_t pages = std::filesystem::file_size(d.data()) / static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  env::Environment env;
  ASSERT_TRUE(env.open(d.dir, kNoSync, 0644).ok());
  auto view = env.write_view(pages + 10);
  ASSERT_TRUE(view.ok());
  if (view->base == nullptr) GTEST_SKIP() << "no write view on this file system";
  EXPECT_EQ(view->pages, pages);  // pwrite grows the file; the view never stores past its end
}

}  // namespace
}  // namespace aspen
