// Environment::write_view: a non-WRITEMAP commit stores its reused pages through a writable shared mapping of
// the data file instead of pwrite (layer: env).
//
// Why: a buffered pwrite of a 4 KiB page costs the kernel a block-mapping pass, a page-cache lookup and a copy
// per page, every commit, even when the page is cached and already dirty (perf, fillrandom at 1M keys: 57 % of
// the time under pwritev, 24 % in ext4_block_write_begin alone; docs/BENCHMARKS.md). A store through a shared
// mapping to a cached page costs a memcpy, plus one write fault the first time the page is dirtied after
// writeback. The bytes land in the same page cache, so readers, other processes (liblmdb's pwrite writers
// too), fdatasync and the crash guarantees see exactly what pwrite would have left.
//
// Only pages below the committed end of the file go through the view: every one of them was written by an
// earlier commit, so a store allocates no block and cannot fail for space (no SIGBUS on a full disk); and
// before the view first covers a page, fallocate makes sure no hole is left there (a sparse copy of the file
// could have made one), which costs a call per growth of the file, not per commit. Pages
// past the end are new; pwrite writes them and grows the file, which a store through a map cannot do (and a
// fresh page is cheaper to pwrite than to fault in). The read map stays read-only: the application's pointers
// never point into this view, and only the writer, under the writer lock, stores through it.
//
// nullptr (pwrite everything) when:
//   - the I/O hooks are not the real system calls: the crash tests make the disk lie through them, and see
//     every write only on the pwrite path;
//   - the file system may allocate on overwrite (copy-on-write file systems such as btrfs): a store that
//     needs space it cannot get is a SIGBUS, not an error. Only ext2/3/4, XFS and tmpfs qualify;
//   - the file would exceed half of the machine's memory: a store to a page that is not cached reads it
//     from disk first, which a whole-page pwrite never does, and a file that large is less likely cached;
//   - the mapping cannot be made (address space): pwrite needs none.
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>

#include "env/environment.hpp"
#include "os/io_hooks.hpp"

namespace aspen::env {
namespace {

uint64_t half_of_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0) return 0;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) / 2;
}

// File systems that overwrite an allocated block in place (statfs f_type magic numbers).
bool overwrites_in_place(int fd) {
  constexpr long kExt = 0xEF53, kXfs = 0x58465342, kTmpfs = 0x01021994;
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return false;
  const long type = static_cast<long>(fs.f_type);
  return type == kExt || type == kXfs || type == kTmpfs;
}

}  // namespace

Result<std::byte*> Environment::write_view(uint64_t page_count) {
  static const uint64_t memory_limit = half_of_memory();
  if ((flags_ & env_flag::kWriteMap) || &os::io() != &os::real_io_hooks()) return nullptr;
  if (write_view_state_ == ViewState::kUnknown)
    write_view_state_ = overwrites_in_place(data_file_.fd()) ? ViewState::kUsable : ViewState::kRefused;
  const uint64_t bytes = page_count * geometry_.page_size;
  if (write_view_state_ == ViewState::kRefused || page_count == 0 || bytes > memory_limit) return nullptr;
  ASPEN_TRY(refresh_file_pages(page_count));
  if (file_pages_.load(std::memory_order_acquire) < page_count) return nullptr;  // a short file: pwrite
  if (page_count > view_allocated_pages_) {
    // Inside the file, so the size stays; an error (a full disk with a hole to fill) leaves it to pwrite.
    const uint64_t psize = geometry_.page_size;
    if (!data_file_.allocate(view_allocated_pages_ * psize, (page_count - view_allocated_pages_) * psize).ok())
      return nullptr;
    view_allocated_pages_ = page_count;
  }
  if (bytes > write_view_.size()) {
    // Remapped when the read map has grown past it: as many times as the map grows, not per commit.
    write_view_.unmap();
    Result<os::Mapping> view = os::Mapping::map(data_file_.fd(), std::max(bytes, map_size()), true);
    if (!view.ok()) return nullptr;
    write_view_ = std::move(view).value();
  }
  return write_view_.data();
}

}  // namespace aspen::env
