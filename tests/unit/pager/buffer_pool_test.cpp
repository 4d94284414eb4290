// pager::BufferPool: frames are found by (snapshot, page), evicted by CLOCK only when unpinned, runs count
// against the capacity, transient frames die with their last pin, and a pool full of pins says ENOBUFS.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "pager/buffer_pool.hpp"

namespace aspen::pager {
namespace {

constexpr size_t kPage = 4096;

// Allocates (snapshot, pgno) and marks it loaded, as a completed read would.
Frame* load(BufferPool& pool, uint64_t snapshot, uint64_t pgno, uint32_t pages = 1, bool index = true) {
  auto f = pool.allocate(snapshot, pgno, pages, index);
  EXPECT_TRUE(f.ok());
  if (!f.ok()) return nullptr;
  (*f)->state = Frame::State::kReady;
  return *f;
}

PageRef pinned(Frame* f) {
  pin(f);
  return PageRef(f->data, f);
}

TEST(BufferPool, FindsFramesBySnapshotAndPage) {
  auto pool = BufferPool::create(kPage, 8);
  ASSERT_TRUE(pool.ok());
  Frame* a = load(**pool, 5, 10);
  EXPECT_EQ((*pool)->find(5, 10), a);
  EXPECT_EQ((*pool)->find(6, 10), nullptr);  // another snapshot never sees it
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data) % kPage, 0u);
  EXPECT_EQ((*pool)->used_pages(), 1u);
}

// A prefaulted pool (ExecutorOptions::prefault_pool) behaves as any other: page-aligned, zeroed frames.
TEST(BufferPool, PrefaultedPoolHandsOutZeroedAlignedFrames) {
  auto pool = BufferPool::create(kPage, 16, /*prefault=*/true);
  ASSERT_TRUE(pool.ok());
  for (uint64_t pgno = 0; pgno < 16; ++pgno) {
    Frame* f = load(**pool, 1, pgno);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(f->data) % kPage, 0u);
    EXPECT_EQ(f->data[kPage - 1], std::byte{0});
  }
  EXPECT_EQ((*pool)->used_pages(), 16u);
}

TEST(BufferPool, EvictsUnpinnedFramesOnly) {
  auto pool = BufferPool::create(kPage, 4);
  ASSERT_TRUE(pool.ok());
  std::vector<PageRef> pins;
  for (uint64_t p = 0; p < 4; ++p) pins.push_back(pinned(load(**pool, 1, p)));
  EXPECT_EQ((*pool)->allocate(1, 99, 1, true).code(), ENOBUFS);  // all pinned
  pins[2].reset();
  Frame* fresh = load(**pool, 1, 100);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ((*pool)->find(1, 2), nullptr);  // the unpinned one went
  for (uint64_t p : {0, 1, 3}) EXPECT_NE((*pool)->find(1, p), nullptr);
  EXPECT_EQ((*pool)->evictions(), 1u);
}

TEST(BufferPool, ClockGivesReferencedFramesASecondChance) {
  auto pool = BufferPool::create(kPage, 3);
  ASSERT_TRUE(pool.ok());
  for (uint64_t p = 0; p < 3; ++p) load(**pool, 1, p);
  (*pool)->find(1, 0)->referenced = true;  // a recent hit
  load(**pool, 1, 3);
  EXPECT_NE((*pool)->find(1, 0), nullptr);
  EXPECT_EQ((*pool)->find(1, 1), nullptr);
}

TEST(BufferPool, RunsCountAgainstTheCapacity) {
  auto pool = BufferPool::create(kPage, 8);
  ASSERT_TRUE(pool.ok());
  for (uint64_t p = 0; p < 4; ++p) load(**pool, 1, p);
  Frame* run = load(**pool, 1, 50, 6);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(run->data) % kPage, 0u);
  EXPECT_LE((*pool)->used_pages(), 8u);
  EXPECT_EQ((*pool)->find(1, 50), run);
  EXPECT_GE((*pool)->evictions(), 2u);
}

TEST(BufferPool, TransientFramesDieWithTheirLastPin) {
  auto pool = BufferPool::create(kPage, 2);
  ASSERT_TRUE(pool.ok());
  Frame* t = load(**pool, 1, 7, 3, /*index=*/false);
  EXPECT_EQ((*pool)->find(1, 7), nullptr);
  EXPECT_EQ((*pool)->used_pages(), 0u);
  PageRef a = pinned(t);
  PageRef b = a.share();
  a.reset();
  EXPECT_EQ(t->state, Frame::State::kReady);
  b.reset();
  EXPECT_EQ(t->state, Frame::State::kFree);
}

TEST(BufferPool, LoadingFramesAreNeverEvicted) {
  auto pool = BufferPool::create(kPage, 2);
  ASSERT_TRUE(pool.ok());
  auto a = (*pool)->allocate(1, 1, 1, true);
  auto b = (*pool)->allocate(1, 2, 1, true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*pool)->allocate(1, 3, 1, true).code(), ENOBUFS);
  (*a)->state = Frame::State::kReady;
  EXPECT_TRUE((*pool)->allocate(1, 3, 1, true).ok());
}

TEST(BufferPool, IndexStaysConsistentUnderChurn) {
  auto pool = BufferPool::create(kPage, 64);
  ASSERT_TRUE(pool.ok());
  std::mt19937_64 rng(7);
  std::map<std::pair<uint64_t, uint64_t>, Frame*> model;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t snapshot = rng() % 3, pgno = rng() % 200;
    Frame* found = (*pool)->find(snapshot, pgno);
    auto it = model.find({snapshot, pgno});
    if (found) {
      ASSERT_NE(it, model.end());
      ASSERT_EQ(found, it->second);
      if (rng() % 2) {
        (*pool)->forget(found);
        model.erase(it);
      }
      continue;
    }
    if (it != model.end()) {
      // Evicted by an allocation: the model learns it now.
      model.erase(it);
    }
    Frame* f = load(**pool, snapshot, pgno);
    ASSERT_NE(f, nullptr);
    model[{snapshot, pgno}] = f;
    for (auto m = model.begin(); m != model.end();) {  // drop what the allocation evicted
      if ((*pool)->find(m->first.first, m->first.second) != m->second) m = model.erase(m);
      else ++m;
    }
  }
  EXPECT_LE((*pool)->used_pages(), 64u);
  EXPECT_EQ(model.size(), (*pool)->used_pages());
}

}  // namespace
}  // namespace aspen::pager
