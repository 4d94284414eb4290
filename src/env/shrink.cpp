// Environment::shrink_and_close (layer: env): the data file rewritten compacted, in place.
//
// LMDB's file never shrinks: pages freed by deletes stay in the file, listed in the free list, and the end of
// the file only moves up. The compacting copy (copy_to with compact) writes the live pages alone, renumbered;
// shrinking is that copy swapped in for the data file by rename(2), so that a crash at any instant leaves
// either the old file or the new one, each whole and each a valid LMDB file.
//
// The swap is only safe while nothing else maps the old file: other processes are kept out by holding byte 0
// of the lock file exclusively (the first-opener lock; openers wait on it in F_SETLKW), and other
// Environments of this process by refusing when the shared reader table has another owner.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "env/environment.hpp"

namespace aspen::env {
namespace {

std::string directory_of(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : file.substr(0, slash);
}

}  // namespace

Status Environment::shrink_and_close(uint64_t* bytes_before, uint64_t* bytes_after) {
  if (!is_open()) return ASPEN_ERROR(EINVAL);
  if (flags_ & env_flag::kReadOnly) return ASPEN_ERROR(EACCES);
  if (forked()) return ASPEN_ERROR(code::kPanic);
  if (readers_.use_count() > 1) return ASPEN_ERROR(EBUSY);  // another Environment of this process
  ASPEN_TRY(readers().claim_exclusive());

  const std::string data_path = (flags_ & env_flag::kNoSubdir) ? path_ : path_ + "/data.mdb";
  const std::string temp_path = data_path + ".shrink";
  Status st = [&]() -> Status {
    ASPEN_ASSIGN(*bytes_before, data_file_.size());
    struct stat info {};
    if (::fstat(data_file_.fd(), &info) != 0) return ASPEN_ERROR(errno);
    ASPEN_ASSIGN(os::File out, os::File::open(temp_path, O_WRONLY | O_CREAT | O_TRUNC, info.st_mode & 07777));
    ASPEN_TRY(copy_to(out.fd(), true));
    ASPEN_TRY(out.sync_all());
    ASPEN_ASSIGN(*bytes_after, out.size());
    if (::rename(temp_path.c_str(), data_path.c_str()) != 0) return ASPEN_ERROR(errno);
    // The rename itself must be durable before anyone relies on the smaller file.
    ASPEN_ASSIGN(os::File dir, os::File::open(directory_of(data_path), O_RDONLY | O_DIRECTORY, 0));
    return dir.sync_all();
  }();
  if (!st.ok()) {
    (void)os::remove_file(temp_path);  // still the old file under data_path, or the new one, whole
    (void)readers().share();
    return st;
  }
  close();  // maps the old, now unlinked file: nothing may use it any more
  return ok_status();
}

}  // namespace aspen::env
