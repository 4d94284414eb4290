// Mapping (layer: os). See mapping.hpp.
#include "os/mapping.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <utility>

#include "os/io_hooks.hpp"
#include "os/process.hpp"

namespace aspen::os {
namespace {

uint64_t align_down(uint64_t v, uint64_t a) { return v - v % a; }
uint64_t align_up(uint64_t v, uint64_t a) { return align_down(v + a - 1, a); }

int protection(bool writable) { return writable ? PROT_READ | PROT_WRITE : PROT_READ; }

}  // namespace

Mapping::Mapping(Mapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      reserved_(std::exchange(other.reserved_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      writable_(other.writable_) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    fd_ = std::exchange(other.fd_, -1);
    writable_ = other.writable_;
  }
  return *this;
}

Mapping::~Mapping() { unmap(); }

Result<Mapping> Mapping::map(int fd, uint64_t size, bool writable) {
  if (size == 0) return ASPEN_ERROR(EINVAL);
  void* p = io().mmap(nullptr, size, protection(writable), MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ASPEN_ERROR(errno);
  return Mapping(static_cast<std::byte*>(p), size, 0, fd, writable);
}

Result<Mapping> Mapping::reserve_and_map(int fd, uint64_t file_map_size, uint64_t reserve_size, bool writable) {
  if (file_map_size == 0 || file_map_size > reserve_size) return ASPEN_ERROR(EINVAL);
  reserve_size = align_up(reserve_size, page_size());
  void* base = io().mmap(nullptr, reserve_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return ASPEN_ERROR(errno);
  // From here the reservation is owned by `m`, so an early return releases it.
  Mapping m(static_cast<std::byte*>(base), 0, reserve_size, fd, writable);
  uint64_t mapped = align_up(file_map_size, page_size());
  void* p = io().mmap(base, mapped, protection(writable), MAP_SHARED | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED) return ASPEN_ERROR(errno);
  m.size_ = file_map_size;
  return m;
}

Result<Mapping> Mapping::anonymous(uint64_t size) {
  if (size == 0) return ASPEN_ERROR(EINVAL);
  void* p = io().mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return ASPEN_ERROR(errno);
  return Mapping(static_cast<std::byte*>(p), size, 0, -1, true);
}

Status Mapping::sync(uint64_t off, uint64_t len, bool async) const {
  if (!valid()) return ASPEN_ERROR(EINVAL);
  uint64_t end = off + len < size_ ? off + len : size_;
  uint64_t start = align_down(off, page_size());
  if (start >= end) return ok_status();
  if (io().msync(data_ + start, end - start, async ? MS_ASYNC : MS_SYNC) != 0) return ASPEN_ERROR(errno);
  return ok_status();
}

Status Mapping::advise_random() const {
  if (!valid()) return ASPEN_ERROR(EINVAL);
  if (::madvise(data_, size_, MADV_RANDOM) != 0) return ASPEN_ERROR(errno);
  return ok_status();
}

// Inside a reservation the file is always mapped up to a whole page (touching the tail past the end of file
// would SIGBUS, but nothing in Aspen reads past size()). The new pages are mapped over the PROT_NONE
// reservation with MAP_FIXED, never over pages already mapped, so a failure cannot remove data in use; if the
// kernel dropped the reservation under the failed range, it is put back so no other mapping can land there.
Status Mapping::extend(uint64_t new_size) {
  if (!valid() || new_size < size_) return ASPEN_ERROR(EINVAL);
  if (new_size == size_) return ok_status();
  if (reserved_ == 0) {
    void* p = io().mremap(data_, size_, new_size, 0);
    if (p == MAP_FAILED) return ASPEN_ERROR(errno);
    size_ = new_size;
    return ok_status();
  }
  if (new_size > reserved_) return ASPEN_ERROR(ENOMEM);
  uint64_t from = align_up(size_, page_size());
  uint64_t to = align_up(new_size, page_size());
  if (to > from) {
    void* p = io().mmap(data_ + from, to - from, protection(writable_), MAP_SHARED | MAP_FIXED, fd_,
                        static_cast<off_t>(from));
    if (p == MAP_FAILED) {
      int error = errno;
      (void)::mmap(data_ + from, to - from, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
      return ASPEN_ERROR(error);
    }
  }
  size_ = new_size;
  return ok_status();
}

void Mapping::unmap() {
  if (data_ != nullptr) {
    (void)::munmap(data_, span());
    data_ = nullptr;
    size_ = 0;
    reserved_ = 0;
    fd_ = -1;
  }
}

}  // namespace aspen::os
