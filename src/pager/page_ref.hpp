// PageRef: a page (or an overflow run) in memory, pinned for as long as the reference lives (layer: pager).
//
// A PageRef from the map pins nothing: the page stays readable for as long as the read transaction that asked
// for it keeps its snapshot. A PageRef from a buffer pool pins its frame: the frame is neither evicted nor
// reused until every PageRef to it is gone. Move-only.
// Thread-safety: the pager's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace aspen::pager {

struct Frame;
// Drops one pin of `frame` (buffer_pool.cpp): a frame no longer indexed is freed with its last pin.
void unpin(Frame* frame);
void pin(Frame* frame);

class PageRef {
 public:
  PageRef() = default;
  // REQUIRES: `frame`, when set, was pinned once for this reference.
  PageRef(const std::byte* data, Frame* frame) : data_(data), frame_(frame) {}
  PageRef(PageRef&& other) noexcept : data_(other.data_), frame_(std::exchange(other.frame_, nullptr)) {}
  PageRef& operator=(PageRef&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = other.data_;
      frame_ = std::exchange(other.frame_, nullptr);
    }
    return *this;
  }
  PageRef(const PageRef&) = delete;
  PageRef& operator=(const PageRef&) = delete;
  ~PageRef() { reset(); }

  // Another reference to the same page (one more pin).
  PageRef share() const {
    if (frame_) pin(frame_);
    return PageRef(data_, frame_);
  }
  // Gives up the pin without dropping it: the caller becomes responsible for one unpin(frame).
  Frame* release() {
    data_ = nullptr;
    return std::exchange(frame_, nullptr);
  }
  void reset() {
    if (frame_) unpin(std::exchange(frame_, nullptr));
    data_ = nullptr;
  }
  const std::byte* data() const { return data_; }
  explicit operator bool() const { return data_ != nullptr; }
  bool pooled() const { return frame_ != nullptr; }

 private:
  const std::byte* data_ = nullptr;
  Frame* frame_ = nullptr;
};

}  // namespace aspen::pager
