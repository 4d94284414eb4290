// RobustMutex (layer: os). See robust_mutex.hpp.
#include "os/robust_mutex.hpp"

#include <cerrno>
#include <cstring>

namespace aspen::os {
namespace {

pthread_mutex_t* as_mutex(void* mem) { return static_cast<pthread_mutex_t*>(mem); }

// Maps a pthread lock result to "true = owner died" or an error.
Result<bool> lock_result(int rc) {
  if (rc == 0) return false;
  if (rc == EOWNERDEAD) return true;
  return ASPEN_ERROR(rc);
}

}  // namespace

Status RobustMutex::init(void* mem) {
  std::memset(mem, 0, kSize);
  pthread_mutexattr_t attr;
  int rc = pthread_mutexattr_init(&attr);
  if (rc != 0) return ASPEN_ERROR(rc);
  rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = pthread_mutex_init(as_mutex(mem), &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) return ASPEN_ERROR(rc);
  return ok_status();
}

Result<bool> RobustMutex::lock(void* mem) { return lock_result(pthread_mutex_lock(as_mutex(mem))); }

Result<bool> RobustMutex::try_lock(void* mem) { return lock_result(pthread_mutex_trylock(as_mutex(mem))); }

Status RobustMutex::unlock(void* mem) {
  int rc = pthread_mutex_unlock(as_mutex(mem));
  if (rc != 0) return ASPEN_ERROR(rc);
  return ok_status();
}

Status RobustMutex::make_consistent(void* mem) {
  int rc = pthread_mutex_consistent(as_mutex(mem));
  if (rc != 0) return ASPEN_ERROR(rc);
  return ok_status();
}

void RobustMutex::destroy(void* mem) { (void)pthread_mutex_destroy(as_mutex(mem)); }

}  // namespace aspen::os
