// ResidencyMap (layer: pager). See residency_map.hpp.
#include "pager/residency_map.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "os/uring.hpp"

namespace aspen::pager {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ResidencyMap::ResidencyMap(const std::byte* map, size_t page_size, uint32_t epoch_ms)
    : map_(map), page_size_(page_size), epoch_ns_(int64_t{epoch_ms ? epoch_ms : 1} * 1000000) {
  epoch_end_ns_ = now_ns() + epoch_ns_;
}

void ResidencyMap::tick() {
  if (++until_clock_ < kClockInterval) return;
  until_clock_ = 0;
  if (now_ns() >= epoch_end_ns_) advance_epoch();
}

void ResidencyMap::mark(uint64_t pgno, unsigned count) {
  if (pgno + count > marks_.size()) marks_.resize(std::max<size_t>(pgno + count, marks_.size() * 2), 0);
  std::memset(marks_.data() + pgno, epoch_, count);
}

bool ResidencyMap::worth_probing() { return score_ > 0 || ++skipped_ % kProbeSample == 0; }

void ResidencyMap::note_direct_read(uint64_t pgno) {
  if (pgno / 64 >= direct_.size()) direct_.resize(std::max<size_t>(pgno / 64 + 1, direct_.size() * 2), 0);
  direct_[pgno / 64] |= uint64_t{1} << (pgno % 64);
}

Residency ResidencyMap::probe(const PageRequest& request) {
  ++probes_;
  const uint64_t end = request.pgno + request.count;
  uint64_t first = request.pgno, last = end;
  if (score_ > 0) {  // warm lately: the whole window, to mark its neighbours too
    const uint64_t limit = std::max(request.limit, end);
    first = request.pgno & ~(kProbeWindow - 1);
    last = std::min(first + kProbeWindow, limit);
    if (last < end) first = request.pgno, last = end;  // a long run: probe exactly it
  }
  vec_.resize(last - first);
  if (!os::residency(map_ + first * page_size_, (last - first) * page_size_, vec_.data()).ok())
    return Residency::kUnknown;
  for (uint64_t p = first; p < last; ++p)
    if (vec_[p - first] & 1) mark(p, 1);
  unsigned in = 0;
  for (uint64_t p = request.pgno; p < end; ++p) in += vec_[p - first] & 1;
  const bool all = in == request.count;
  score_ = all ? std::min(score_ + 2, kMaxScore) : std::max(score_ - 1, 0);
  return all ? Residency::kResident : in == 0 ? Residency::kNotResident : Residency::kUnknown;
}

void ResidencyMap::advance_epoch() {
  epoch_end_ns_ = now_ns() + epoch_ns_;
  if (++epoch_ == 0) {  // wrapped: forget every mark rather than trust one 255 epochs old
    std::fill(marks_.begin(), marks_.end(), 0);
    epoch_ = 1;
  }
}

}  // namespace aspen::pager
