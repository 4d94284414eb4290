// fcntl byte-range locks (layer: os). See file_lock.hpp.
#include "os/file_lock.hpp"

#include <fcntl.h>

#include <cerrno>

namespace aspen::os {
namespace {

static_assert(kLockBusy == EAGAIN, "kLockBusy must equal EAGAIN");

struct flock make_flock(uint64_t start, uint64_t len, short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(start);
  fl.l_len = static_cast<off_t>(len);
  return fl;
}

short lock_type(LockMode mode) {
  switch (mode) {
    case LockMode::kShared:
      return F_RDLCK;
    case LockMode::kExclusive:
      return F_WRLCK;
    case LockMode::kUnlock:
      break;
  }
  return F_UNLCK;
}

}  // namespace

Status lock_range(int fd, uint64_t start, uint64_t len, LockMode mode, bool wait) {
  struct flock fl = make_flock(start, len, lock_type(mode));
  int cmd = wait && mode != LockMode::kUnlock ? F_SETLKW : F_SETLK;
  for (;;) {
    if (::fcntl(fd, cmd, &fl) == 0) return ok_status();
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EACCES) return ASPEN_ERROR(kLockBusy);
    return ASPEN_ERROR(error);
  }
}

Result<bool> range_locked_by_other(int fd, uint64_t start, uint64_t len) {
  struct flock fl = make_flock(start, len, F_WRLCK);
  for (;;) {
    if (::fcntl(fd, F_GETLK, &fl) == 0) return fl.l_type != F_UNLCK;
    if (errno != EINTR) return ASPEN_ERROR(errno);
  }
}

}  // namespace aspen::os
