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
// Only pages below both the committed end (the meta's last page) and the file's end go through the view:
// every one of them was written by an earlier commit, so a store allocates no block and cannot fail for space
// (no SIGBUS on a full disk); and when the view is set up, fallocate makes sure the file has no hole (a sparse
// copy of it could have made one). Pages past the end are new; pwrite writes them and grows the file, which a
// store through a map cannot do (and a fresh page is cheaper to pwrite than to fault in). The read map stays read-only: the application's pointers
// never point into this view, and only the writer, under the writer lock, stores through it.
//
// No view (base == nullptr: pwrite everything) when:
//   - commits sync (no MDB_NOSYNC): each fdatasync cleans the pages, so the next store to each one faults again
//     (write-protect, page_mkwrite), which costs more than the pwrite it replaces. Durable one-put commits
//     (fillrandsync) ran 31 % slower through the view with one-flush commits, 28 % with two flushes
//     (docs/BENCHMARKS.md). The view pays where pages stay dirty across commits, i.e. under MDB_NOSYNC;
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

Result<txn::EnvHost::WriteView> Environment::write_view(uint64_t page_count) {
  static const uint64_t memory_limit = half_of_memory();
  if ((flags_ & env_flag::kWriteMap) || !(flags_ & env_flag::kNoSync) || &os::io() != &os::real_io_hooks())
    return WriteView{};
  if (write_view_state_ == ViewState::kUnknown)
    write_view_state_ = overwrites_in_place(data_file_.fd()) ? ViewState::kUsable : ViewState::kRefused;
  const uint64_t psize = geometry_.page_size;
  if (write_view_state_ == ViewState::kRefused || page_count * psize > memory_limit) return WriteView{};
  // The file's own size, not the meta's: pages allocated and freed in one transaction count in last_page
  // but were never written, so the file may end before it (liblmdb's files too).
  ASPEN_ASSIGN(uint64_t file_bytes, data_file_.size());
  const uint64_t pages = std::min(page_count, file_bytes / psize);
  if (pages == 0) return WriteView{};
  if (!view_holes_filled_) {
    // Once, for the pages the file had when the view was set up: pages added later were written by commits
    // (filling the range of each commit's pwrite again would make ext4 allocate its delayed blocks at once,
    // a sleep in nearly every commit of a sequential load). Inside the file, so the size stays; an error (a
    // full disk with a hole to fill) leaves everything to pwrite.
    if (!data_file_.allocate(0, pages * psize).ok()) return WriteView{};
    view_holes_filled_ = true;
  }
  if (pages * psize > write_view_.size()) {
    // Remapped when the read map has grown past it: as many times as the map grows, not per commit.
    write_view_.unmap();
    Result<os::Mapping> view = os::Mapping::map(data_file_.fd(), std::max(pages * psize, map_size()), true);
    if (!view.ok()) return WriteView{};
    write_view_ = std::move(view).value();
  }
  return WriteView{write_view_.data(), pages};
}

}  // namespace aspen::env
