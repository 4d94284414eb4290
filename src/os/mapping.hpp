// Mapping: an owned memory mapping of a file (or of anonymous shared memory) (layer: os).
//
// Two shapes:
//   - map(): the file range [0, size) mapped on its own, wherever the kernel puts it.
//   - reserve_and_map(): first an address range of `reserve_size` bytes is reserved (anonymous, PROT_NONE,
//     MAP_NORESERVE: no memory, no swap), then the file is mapped over its start with MAP_FIXED. extend() maps
//     more of the file inside the same reservation, so data() never moves and every pointer into the map
//     stays valid while the map grows. This is what the growing map (DESIGN.md) builds on.
//
// Invariants:
//   - A valid Mapping owns [data(), data() + max(size(), reserved())); it is unmapped once, by unmap() or the
//     destructor. A moved-from Mapping is invalid (data() == nullptr).
//   - size() bytes from data() are accessible. Touching a mapped page that lies beyond the file's end raises
//     SIGBUS: REQUIRES the file to be at least size() bytes long before its pages are used (grow the file,
//     then extend()).
//   - mmap failures come back as their errno (ENOMEM, EINVAL, ...), never as a crash.
//
// Thread-safety: data()/size() and sync() may be called concurrently. extend() and unmap() must not race with
// each other; extend() never invalidates pointers that other threads hold (with a reservation).
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/result.hpp"

namespace aspen::os {

class Mapping {
 public:
  Mapping() = default;
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  // Maps [0, size) of `fd` shared; read-write when `writable`. size == 0 is EINVAL.
  static Result<Mapping> map(int fd, uint64_t size, bool writable);
  // Reserves `reserve_size` bytes of address space and maps [0, file_map_size) of `fd` at its start.
  // REQUIRES: 0 < file_map_size <= reserve_size (else EINVAL).
  static Result<Mapping> reserve_and_map(int fd, uint64_t file_map_size, uint64_t reserve_size, bool writable);
  // `size` bytes of zeroed anonymous memory, shared with forked children (MAP_SHARED | MAP_ANONYMOUS).
  static Result<Mapping> anonymous(uint64_t size);

  std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  // Bytes of address space reserved at data(), or 0 for a plain map().
  uint64_t reserved() const { return reserved_; }
  bool valid() const { return data_ != nullptr; }
  bool writable() const { return writable_; }

  // msync of [off, off+len), widened to whole pages and clipped to size(). MS_ASYNC when `async`, else
  // MS_SYNC. Never retried: a failed msync leaves the data's durability unknown.
  Status sync(uint64_t off, uint64_t len, bool async) const;
  // madvise(MADV_RANDOM): no read-ahead (MDB_NORDAHEAD).
  Status advise_random() const;
  // Grows the mapping to `new_size` bytes of the file, in place. Inside a reservation: maps the new part
  // with MAP_FIXED (ENOMEM if new_size > reserved()). Without one: mremap without MAP_MAYMOVE, which fails
  // with ENOMEM when the addresses after the map are taken. data() never changes. new_size < size() is EINVAL.
  Status extend(uint64_t new_size);
  // Unmaps everything (mapping and reservation). Idempotent.
  void unmap();

 private:
  Mapping(std::byte* data, uint64_t size, uint64_t reserved, int fd, bool writable)
      : data_(data), size_(size), reserved_(reserved), fd_(fd), writable_(writable) {}
  uint64_t span() const { return reserved_ > size_ ? reserved_ : size_; }

  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;
  int fd_ = -1;  // not owned; the file extend() maps more of
  bool writable_ = false;
};

}  // namespace aspen::os
