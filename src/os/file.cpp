// File and free file functions (layer: os). See file.hpp.
#include "os/file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "os/io_hooks.hpp"

namespace aspen::os {
namespace {

// Largest transfer handed to the kernel in one call (Linux caps a single read/write at about 2 GiB anyway).
constexpr size_t kMaxTransfer = size_t{1} << 30;

int iov_max() {
#ifdef IOV_MAX
  return IOV_MAX;
#else
  return 1024;
#endif
}

}  // namespace

File::File(File&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

File::~File() { close(); }

Result<File> File::open(const std::string& path, int open_flags, mode_t mode) {
  for (;;) {
    int fd = io().open(path.c_str(), open_flags | O_CLOEXEC, mode);
    if (fd >= 0) return File(fd);
    if (errno != EINTR) return ASPEN_ERROR(errno);
  }
}

Result<uint64_t> File::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ASPEN_ERROR(errno);
  return static_cast<uint64_t>(st.st_size);
}

Result<FileId> File::identity() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ASPEN_ERROR(errno);
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

Result<FileId> identity_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ASPEN_ERROR(errno);
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

Result<size_t> File::read_at(uint64_t off, void* buf, size_t n) const {
  auto* out = static_cast<unsigned char*>(buf);
  size_t done = 0;
  while (done < n) {
    size_t want = std::min(n - done, kMaxTransfer);
    ssize_t got = io().pread(fd_, out + done, want, static_cast<off_t>(off + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ASPEN_ERROR(errno);
    }
    if (got == 0) break;  // end of file
    done += static_cast<size_t>(got);
  }
  return done;
}

Status File::write_at(uint64_t off, const void* buf, size_t n) const {
  const auto* in = static_cast<const unsigned char*>(buf);
  size_t done = 0;
  while (done < n) {
    size_t want = std::min(n - done, kMaxTransfer);
    ssize_t put = io().pwrite(fd_, in + done, want, static_cast<off_t>(off + done));
    if (put < 0) {
      if (errno == EINTR) continue;
      return ASPEN_ERROR(errno);
    }
    if (put == 0) return ASPEN_ERROR(EIO);  // no progress: never spin
    done += static_cast<size_t>(put);
  }
  return ok_status();
}

// Writes up to IOV_MAX buffers per pwritev. After a short transfer, the partly written buffer is finished
// with write_at and the vector resumes at the next buffer, so `iov` itself is never modified.
Status File::write_vec_at(uint64_t off, const struct iovec* iov, int count) const {
  int i = 0;
  while (i < count) {
    int batch = std::min(count - i, iov_max());
    ssize_t put = io().pwritev(fd_, iov + i, batch, static_cast<off_t>(off));
    if (put < 0) {
      if (errno == EINTR) continue;
      return ASPEN_ERROR(errno);
    }
    size_t left = static_cast<size_t>(put);
    int end = i + batch;
    while (i < end && left >= iov[i].iov_len) {  // skip the buffers written whole
      left -= iov[i].iov_len;
      off += iov[i].iov_len;
      ++i;
    }
    if (i < end) {  // the batch stopped inside buffer i: finish it
      if (put == 0) return ASPEN_ERROR(EIO);  // no progress: never spin
      const auto* base = static_cast<const unsigned char*>(iov[i].iov_base);
      ASPEN_TRY(write_at(off + left, base + left, iov[i].iov_len - left));
      off += iov[i].iov_len;
      ++i;
    }
  }
  return ok_status();
}

Status File::sync_data() const {
  if (io().fdatasync(fd_) != 0) return ASPEN_ERROR(errno);
  return ok_status();
}

Status File::sync_all() const {
  if (io().fsync(fd_) != 0) return ASPEN_ERROR(errno);
  return ok_status();
}

Status File::truncate(uint64_t size) const {
  for (;;) {
    if (io().ftruncate(fd_, static_cast<off_t>(size)) == 0) return ok_status();
    if (errno != EINTR) return ASPEN_ERROR(errno);
  }
}

Status File::allocate(uint64_t off, uint64_t len) const {
  if (len == 0) return ok_status();
  for (;;) {
    if (io().fallocate(fd_, static_cast<off_t>(off), static_cast<off_t>(len)) == 0) return ok_status();
    int error = errno;
    if (error == EINTR) continue;
    if (error == EOPNOTSUPP || error == EINVAL) return write_zeros(off, len);
    return ASPEN_ERROR(error);
  }
}

// The fallback of allocate(): zero-fill [max(off, size), off+len) in 64 KiB writes.
Status File::write_zeros(uint64_t off, uint64_t len) const {
  ASPEN_ASSIGN(uint64_t size, this->size());
  uint64_t end = off + len;
  uint64_t pos = std::max(off, size);
  static const unsigned char kZeros[65536] = {};
  while (pos < end) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(end - pos, sizeof kZeros));
    ASPEN_TRY(write_at(pos, kZeros, chunk));
    pos += chunk;
  }
  return ok_status();
}

void File::close() {
  if (fd_ >= 0) {
    (void)::close(fd_);  // EINTR on Linux still closes the fd: never retry
    fd_ = -1;
  }
}

Result<bool> exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ASPEN_ERROR(errno);
}

Status make_dir_if_missing(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return ok_status();
  if (errno != EEXIST) return ASPEN_ERROR(errno);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ASPEN_ERROR(errno);
  if (!S_ISDIR(st.st_mode)) return ASPEN_ERROR(ENOTDIR);
  return ok_status();
}

bool is_read_only_fs_error(int error) { return error == EROFS; }

Result<File> open_dsync(const std::string& path, int open_flags, mode_t mode) {
  return File::open(path, open_flags | O_DSYNC, mode);
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return ok_status();
  return ASPEN_ERROR(errno);
}

}  // namespace aspen::os
