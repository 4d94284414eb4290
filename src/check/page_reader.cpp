// FilePageReader and StorePageReader (layer: check). See page_reader.hpp.
//
// FilePageReader makes its own pread/fstat calls instead of going through src/os: the check layer sits
// directly on tree (DESIGN.md) so that env can use it, and reading one file read-only needs nothing of os's
// fault-injection seams.
#include "check/page_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace aspen::check {
namespace {

// Whether [pgno * psize + offset, + size) lies inside `pages` pages, without overflowing 64 bits.
bool range_inside(uint64_t pgno, size_t offset, size_t size, uint64_t pages, size_t psize) {
  if (psize == 0 || pgno >= pages) return false;
  const uint64_t available = (pages - pgno) * psize;  // pages - pgno >= 1; file sizes fit in 64 bits
  return offset <= available && size <= available - offset;
}

}  // namespace

Result<FilePageReader> FilePageReader::open(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ASPEN_ERROR(errno);
  const std::string file = S_ISDIR(st.st_mode) ? path + "/data.mdb" : path;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ASPEN_ERROR(errno);
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ASPEN_ERROR(err);
  }
  return FilePageReader(fd, static_cast<uint64_t>(st.st_size));
}

FilePageReader::FilePageReader(FilePageReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), file_size_(other.file_size_), page_size_(other.page_size_) {}

FilePageReader& FilePageReader::operator=(FilePageReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    file_size_ = other.file_size_;
    page_size_ = other.page_size_;
  }
  return *this;
}

FilePageReader::~FilePageReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> FilePageReader::read_bytes(uint64_t offset, std::span<std::byte> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ASPEN_ERROR(errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status FilePageReader::read(uint64_t pgno, size_t offset, std::span<std::byte> out) {
  if (!range_inside(pgno, offset, out.size(), page_count(), page_size_))
    return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  ASPEN_ASSIGN(size_t got, read_bytes(pgno * page_size_ + offset, out));
  if (got != out.size()) return ASPEN_PAGE_ERROR(EIO, pgno);  // the file shrank under us
  return ok_status();
}

Status StorePageReader::read(uint64_t pgno, size_t offset, std::span<std::byte> out) {
  if (!range_inside(pgno, offset, out.size(), page_count(), page_size()))
    return ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
  ASPEN_ASSIGN(std::byte * page, store_.page(pgno));
  if (!out.empty()) std::memcpy(out.data(), page + offset, out.size());
  return ok_status();
}

}  // namespace aspen::check
