// File: an owned file descriptor and the positional I/O Aspen does on it (layer: os).
//
// All reads and writes are positional (pread/pwrite/pwritev); nothing uses the fd's file offset, so one File
// may be shared by threads. Every call goes through io() (io_hooks.hpp), which is where tests inject faults.
//
// Invariants:
//   - A valid File owns exactly one open fd, opened with O_CLOEXEC; it is closed once, by close() or the
//     destructor. A moved-from File is invalid (fd() == -1).
//   - Errors come back as values whose code is the errno of the failing call. Writes and reads retry EINTR
//     and short transfers; syncs are never retried (after a failed fsync the page cache state is unknown,
//     so the caller must treat the data as lost: MDB_PANIC).
//
// Caveat (POSIX record locks): closing ANY fd of a file drops every fcntl lock this process holds on that
// file. Never open and close a second File on lock.mdb while a ReaderTable holds it.
//
// Thread-safety: const and positional member functions may run concurrently on one File; open/close/move
// must not race with other use of the same object.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/result.hpp"

namespace aspen::os {

// Which file a path or descriptor names: equal ids mean the same inode.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

class File {
 public:
  File() = default;
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // Opens `path` with `open_flags` (O_CLOEXEC is always added) and `mode` for O_CREAT. Retries EINTR.
  static Result<File> open(const std::string& path, int open_flags, mode_t mode);
  // Takes ownership of an already open fd.
  static File adopt(int fd) { return File(fd); }

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // The file's current size in bytes (fstat).
  Result<uint64_t> size() const;
  // The file's identity (fstat's st_dev, st_ino).
  Result<struct FileId> identity() const;

  // Reads up to `n` bytes at `off`, looping until `n` bytes or end of file. Returns the bytes read (fewer
  // than `n` only at end of file).
  Result<size_t> read_at(uint64_t off, void* buf, size_t n) const;
  // Writes all `n` bytes at `off`, looping on short writes and EINTR. A write that makes no progress
  // returns EIO. On error some prefix of the range may have been written.
  Status write_at(uint64_t off, const void* buf, size_t n) const;
  // Writes the buffers of `iov` back to back starting at `off`, as write_at does for one buffer.
  Status write_vec_at(uint64_t off, const struct iovec* iov, int count) const;

  // fdatasync: data and the metadata needed to read it back. Never retried.
  Status sync_data() const;
  // fsync: data and all metadata. Never retried.
  Status sync_all() const;
  // Sets the file size to `size` (ftruncate).
  Status truncate(uint64_t size) const;
  // Makes [off, off+len) allocated on disk (fallocate mode 0). When the file system does not support it
  // (EOPNOTSUPP, or EINVAL as some file systems report), writes zeros over the part of the range beyond the
  // current end of file instead; the part inside the file keeps its data.
  Status allocate(uint64_t off, uint64_t len) const;

  // Closes the fd (errors are ignored: there is nothing safe to do about them). Idempotent.
  void close();
  // Gives up ownership of the fd without closing it; the File becomes invalid.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  explicit File(int fd) : fd_(fd) {}
  Status write_zeros(uint64_t off, uint64_t len) const;

  int fd_ = -1;
};

// The identity of the file `path` names (stat, following symlinks), without opening it: opening and closing
// a second descriptor of lock.mdb would drop this process's locks on it. ENOENT when it does not exist.
Result<FileId> identity_of(const std::string& path);
// True if `path` names an existing file or directory; errors other than ENOENT/ENOTDIR are returned.
Result<bool> exists(const std::string& path);
// Creates directory `path` with `mode` unless it already exists as a directory (EEXIST on a non-directory is
// an error, ENOTDIR).
Status make_dir_if_missing(const std::string& path, mode_t mode = 0755);
// True for the errno a write-open gives on a read-only file system (EROFS).
bool is_read_only_fs_error(int error);
// Opens `path` for synchronous data writes (O_DSYNC), as LMDB does for its meta-page fd.
Result<File> open_dsync(const std::string& path, int open_flags, mode_t mode);
// Removes the file `path`. A missing file is success (removal is idempotent).
Status remove_file(const std::string& path);

}  // namespace aspen::os
