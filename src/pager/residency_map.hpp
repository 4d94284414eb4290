// ResidencyMap: what the pager knows of which file pages sit in the page cache, and the mincore probes that
// tell it (layer: pager).
//
// Marks: a page seen resident (by a probe, or because a read through the page cache just brought it in) is
// marked with the current epoch; epochs last `epoch_ms`. A leaf's mark is trusted for one to two epochs, so
// that a page the kernel evicted since is probed again (until then it costs one synchronous fault: correct,
// only slower). A shared page's mark (PageRequest::shared: branch pages, which every lookup crosses and the
// kernel's LRU keeps) is trusted for kSharedEpochs: their re-probes were most of the probes of a cold run.
// Probes: mincore of the aligned window of kProbeWindow pages around a request marks every resident page in
// it (warm data costs one system call per window and epoch, not one per page). While probes keep finding cold
// pages, a probe covers the request alone (a window of pages nobody mapped is a page-cache lookup each).
//
// Freshness (why a probe licenses an O_DIRECT read): a page that is dirty in the page cache is resident. A
// page a snapshot can reach is never written while that snapshot is pinned (copy-on-write writes only free
// pages), so when a probe made while the snapshot is pinned finds it not resident, the file on disk holds
// that snapshot's bytes of it, and keeps holding them while the snapshot stays pinned (another reader may
// bring it into the page cache, clean: the same bytes). A probe that fails, or that cannot see the page cache
// (the kernel answers "resident" for files this process could not open for writing), never licenses one.
// Thread-safety: one thread (the pager's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pager/pager.hpp"

namespace aspen::pager {

// What a probe learned about a request's pages.
enum class Residency : uint8_t {
  kResident,     // every page is in the page cache: read them from the map
  kNotResident,  // no page is: the file holds the snapshot's bytes (see Freshness above)
  kUnknown,      // some are, or the probe failed: read through the page cache
};

class ResidencyMap {
 public:
  static constexpr uint64_t kProbeWindow = 64;   // pages per window probe (aligned)
  static constexpr unsigned kSharedEpochs = 25;  // a shared page's mark is trusted this many epochs

  // `map`: the file's mapping (page 0), which must outlive this object.
  ResidencyMap(const std::byte* map, size_t page_size, uint32_t epoch_ms);

  // Counts one request; every so many reads the clock and starts a new epoch when the current one is over.
  void tick();
  // Whether every page of [pgno, pgno + count) carries a mark still trusted for such a request.
  bool known_resident(uint64_t pgno, unsigned count, bool shared) const {
    if (pgno + count > marks_.size()) return false;
    const unsigned trusted = shared ? kSharedEpochs : 1;
    for (unsigned i = 0; i < count; ++i) {
      const uint8_t mark = marks_[pgno + i];
      if (mark == 0 || static_cast<uint8_t>(epoch_ - mark) > trusted) return false;
    }
    return true;
  }
  // Marks [pgno, pgno + count) resident now.
  void mark(uint64_t pgno, unsigned count);
  // Whether a probe is worth its system call for a request that could also be read through the page cache
  // (a read of a page that is resident after all completes at once): while probes pay off, and for one
  // request in kProbeSample otherwise, to notice the data warming up.
  bool worth_probing();
  // Probes the request's pages (and, while data looks warm, its window), marking what is resident.
  Residency probe(const PageRequest& request);

  // Whether `pgno` was read around the page cache before. A page read twice is being reused: the page cache
  // (shared by every reader, zero-copy) is then a better home for it than one executor's pool.
  bool read_directly_before(uint64_t pgno) const {
    return pgno / 64 < direct_.size() && (direct_[pgno / 64] >> (pgno % 64) & 1);
  }
  void note_direct_read(uint64_t pgno);

  uint64_t probes() const { return probes_; }

 private:
  static constexpr int kMaxScore = 16;
  static constexpr uint32_t kProbeSample = 16;
  static constexpr uint32_t kClockInterval = 256;  // requests between two readings of the clock

  void advance_epoch();

  const std::byte* map_;
  size_t page_size_;
  int64_t epoch_ns_;
  std::vector<uint8_t> marks_;      // epoch at which each page was last seen resident (0 = never)
  std::vector<unsigned char> vec_;  // mincore's answer
  std::vector<uint64_t> direct_;    // a bit per page: read around the page cache before
  int score_ = kMaxScore;           // recent probes' success: +2 resident, -1 not (0..kMaxScore)
  uint32_t skipped_ = 0;
  uint8_t epoch_ = 1;
  uint32_t until_clock_ = 0;
  int64_t epoch_end_ns_ = 0;
  uint64_t probes_ = 0;
};

}  // namespace aspen::pager
