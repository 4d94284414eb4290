// ReaderTable: lock.mdb's open protocol, reader slots and mutexes (layer: env). See reader_table.hpp.
#include "env/reader_table.hpp"

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <climits>
#include <utility>
#include <vector>

#include "os/file_lock.hpp"
#include "os/process.hpp"
#include "os/robust_mutex.hpp"

namespace aspen::env {
namespace {

using format::kIdleReader;
using format::LockHeader;
using format::ReaderSlot;

template <class T>
std::atomic_ref<T> atomic_word(T& value) {
  return std::atomic_ref<T>(value);
}

// Slots LMDB would derive from a lock file of `size` bytes (MDB_txninfo holds the first one).
uint64_t readers_for_size(uint64_t size) { return (size - format::kLockHeaderSize) / format::kCacheLine; }

}  // namespace

ReaderTable::ReaderTable(ReaderTable&& other) noexcept
    : file_(std::move(other.file_)),
      map_(std::move(other.map_)),
      max_readers_(std::exchange(other.max_readers_, 0)),
      exclusive_(std::exchange(other.exclusive_, false)),
      in_process_(std::exchange(other.in_process_, false)),
      pid_locked_(std::exchange(other.pid_locked_, 0)) {}

ReaderTable& ReaderTable::operator=(ReaderTable&& other) noexcept {
  if (this != &other) {
    close();
    file_ = std::move(other.file_);
    map_ = std::move(other.map_);
    max_readers_ = std::exchange(other.max_readers_, 0);
    exclusive_ = std::exchange(other.exclusive_, false);
    in_process_ = std::exchange(other.in_process_, false);
    pid_locked_ = std::exchange(other.pid_locked_, 0);
  }
  return *this;
}

ReaderTable::~ReaderTable() { close(); }

void ReaderTable::close() {
  if (map_.valid()) release_own_slots();
  map_.unmap();
  file_.close();  // drops the byte-0 and pid locks
  exclusive_ = false;
  pid_locked_ = 0;
}

Result<ReaderTable> ReaderTable::open(const std::string& lock_path, const ReaderTableOptions& options) {
  if (options.max_readers == 0) return ASPEN_ERROR(EINVAL);
  if (options.no_lock) return open_in_process(options.max_readers);
  auto file = os::File::open(lock_path, O_RDWR | O_CREAT, options.mode);
  if (!file.ok()) {
    if (options.read_only && os::is_read_only_fs_error(file.code())) return open_in_process(options.max_readers);
    return file.error();
  }
  ReaderTable table;
  table.file_ = std::move(file).value();
  Status first = os::lock_range(table.file_.fd(), 0, 1, os::LockMode::kExclusive, false);
  if (first.ok()) {
    table.exclusive_ = true;
  } else if (os::is_lock_busy(first)) {
    ASPEN_TRY(os::lock_range(table.file_.fd(), 0, 1, os::LockMode::kShared, true));
  } else {
    return first.error();
  }
  ASPEN_ASSIGN(uint64_t size, table.file_.size());
  uint64_t wanted = format::lock_file_size(options.max_readers);
  if (table.exclusive_ && size < wanted) {
    ASPEN_TRY(table.file_.truncate(wanted));
    size = wanted;
  }
  ASPEN_TRY(table.map_and_setup(size));
  ASPEN_TRY(table.take_pid_lock());
  return table;
}

// Maps the file, then initialises (exclusive) or validates (shared) the header.
Status ReaderTable::map_and_setup(uint64_t size) {
  if (size < format::lock_file_size(1) || readers_for_size(size) > INT_MAX) return ASPEN_ERROR(code::kInvalid);
  max_readers_ = static_cast<unsigned>(readers_for_size(size));
  ASPEN_ASSIGN(map_, os::Mapping::map(file_.fd(), size, true));
  return exclusive_ ? initialise_header() : validate_header();
}

Result<ReaderTable> ReaderTable::open_in_process(unsigned max_readers) {
  ReaderTable table;
  table.in_process_ = true;
  table.max_readers_ = max_readers;
  ASPEN_ASSIGN(table.map_, os::Mapping::anonymous(format::lock_file_size(max_readers)));
  ASPEN_TRY(table.initialise_header());
  return table;
}

// As the exclusive opener does in LMDB: mutexes first, then the fields; slots are left as they are because
// num_readers = 0 makes every one of them unused.
Status ReaderTable::initialise_header() {
  LockHeader* h = header();
  ASPEN_TRY(os::RobustMutex::init(h->reader_mutex));
  ASPEN_TRY(os::RobustMutex::init(h->writer_mutex));
  h->magic = format::kLockMagic;
  h->format = format::kLockFormat;
  atomic_word(h->txnid).store(0, std::memory_order_seq_cst);
  atomic_word(h->num_readers).store(0, std::memory_order_release);
  return ok_status();
}

Status ReaderTable::validate_header() const {
  const LockHeader* h = header();
  if (h->magic != format::kLockMagic) return ASPEN_ERROR(code::kInvalid);
  if (h->format != format::kLockFormat) return ASPEN_ERROR(code::kVersionMismatch);
  return ok_status();
}

Status ReaderTable::take_pid_lock() {
  pid_t self = os::pid();
  ASPEN_TRY(os::lock_range(file_.fd(), static_cast<uint64_t>(self), 1, os::LockMode::kExclusive, false));
  pid_locked_ = self;
  return ok_status();
}

// A forked child inherits the table but none of the parent's fcntl locks: lock the child's own pid byte
// before it publishes a slot under that pid, or check_stale() elsewhere would take the slot for dead.
Status ReaderTable::ensure_pid_lock() {
  if (in_process_ || !os::forked_since(pid_locked_)) return ok_status();
  exclusive_ = false;  // the byte-0 lock stayed with the parent
  return take_pid_lock();
}

Status ReaderTable::share() {
  if (in_process_ || !exclusive_) return ok_status();
  Status s = os::lock_range(file_.fd(), 0, 1, os::LockMode::kShared, false);
  exclusive_ = false;  // on failure the lock may be lost: never claim exclusivity again
  return s;
}

Result<bool> ReaderTable::lock_writer() {
  void* mutex = header()->writer_mutex;
  ASPEN_ASSIGN(bool owner_died, os::RobustMutex::lock(mutex));
  if (owner_died) {
    Status consistent = os::RobustMutex::make_consistent(mutex);
    if (!consistent.ok()) {
      (void)os::RobustMutex::unlock(mutex);
      return consistent.error();
    }
    (void)clear_stale(false);  // the dead writer's process may have left reader slots too; best effort
  }
  return owner_died;
}

void ReaderTable::unlock_writer() {
  Status s = os::RobustMutex::unlock(header()->writer_mutex);
  assert(s.ok() && "unlock_writer from a thread that does not hold the writer mutex");
  (void)s;
}

// Locks the reader mutex; after a dead owner, makes it consistent and clears dead readers (mdb_mutex_failed).
Status ReaderTable::lock_readers() {
  void* mutex = header()->reader_mutex;
  ASPEN_ASSIGN(bool owner_died, os::RobustMutex::lock(mutex));
  if (!owner_died) return ok_status();
  Status consistent = os::RobustMutex::make_consistent(mutex);
  if (!consistent.ok()) {
    (void)os::RobustMutex::unlock(mutex);
    return consistent.error();
  }
  (void)clear_stale(true);
  return ok_status();
}

void ReaderTable::unlock_readers() { (void)os::RobustMutex::unlock(header()->reader_mutex); }

unsigned ReaderTable::num_readers() const {
  unsigned n = atomic_word(header()->num_readers).load(std::memory_order_acquire);
  return std::min(n, max_readers_);
}

pid_t ReaderTable::slot_pid(unsigned i) const {
  // LMDB stores a 32-bit pid_t in the low half of this little-endian word; the high half stays zero.
  uint64_t word = atomic_word(slot(i)->pid).load(std::memory_order_acquire);
  return static_cast<pid_t>(static_cast<uint32_t>(word));
}

ReaderInfo ReaderTable::slot_info(unsigned i) const {
  assert(i < max_readers_);
  ReaderSlot* s = slot(i);
  ReaderInfo info;
  info.slot = i;
  info.pid = slot_pid(i);
  info.tid = atomic_word(s->tid).load(std::memory_order_relaxed);
  info.txnid = atomic_word(s->txnid).load(std::memory_order_seq_cst);
  return info;
}

// REQUIRES: the reader mutex is held. Returns max_readers_ when every slot is taken.
unsigned ReaderTable::claim_free_slot() {
  unsigned nr = num_readers();
  unsigned i = 0;
  while (i < nr && slot_pid(i) != 0) ++i;
  if (i == max_readers_) return max_readers_;
  ReaderSlot* s = slot(i);
  atomic_word(s->pid).store(0, std::memory_order_relaxed);
  atomic_word(s->txnid).store(kIdleReader, std::memory_order_relaxed);
  atomic_word(s->tid).store(os::thread_id(), std::memory_order_relaxed);
  if (i == nr) atomic_word(header()->num_readers).store(nr + 1, std::memory_order_release);
  atomic_word(s->pid).store(static_cast<uint64_t>(static_cast<uint32_t>(os::pid())), std::memory_order_release);
  return i;
}

Result<unsigned> ReaderTable::acquire_slot() {
  ASPEN_TRY(ensure_pid_lock());
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASPEN_TRY(lock_readers());
    unsigned i = claim_free_slot();
    unlock_readers();
    if (i < max_readers_) return i;
    if (attempt > 0) break;
    ASPEN_ASSIGN(int cleared, check_stale());
    if (cleared == 0) break;
  }
  return ASPEN_ERROR(code::kReadersFull);
}

void ReaderTable::release_slot(unsigned i) {
  assert(i < max_readers_);
  atomic_word(slot(i)->txnid).store(kIdleReader, std::memory_order_release);
  atomic_word(slot(i)->pid).store(0, std::memory_order_release);
}

void ReaderTable::set_slot_txnid(unsigned i, uint64_t txnid) {
  assert(i < max_readers_);
  atomic_word(slot(i)->txnid).store(txnid, std::memory_order_seq_cst);
}

uint64_t ReaderTable::pin_latest(unsigned i) {
  assert(i < max_readers_);
  auto txnid = atomic_word(slot(i)->txnid);
  uint64_t latest = last_txnid();
  for (;;) {
    txnid.store(latest, std::memory_order_seq_cst);
    uint64_t again = last_txnid();
    if (again == latest) return latest;
    latest = again;
  }
}

uint64_t ReaderTable::last_txnid() const { return atomic_word(header()->txnid).load(std::memory_order_seq_cst); }

void ReaderTable::publish_txnid(uint64_t txnid) {
  atomic_word(header()->txnid).store(txnid, std::memory_order_seq_cst);
}

uint64_t ReaderTable::oldest_reader(uint64_t upper_bound) const {
  uint64_t oldest = upper_bound;
  unsigned n = num_readers();
  for (unsigned i = 0; i < n; ++i) {
    if (slot_pid(i) == 0) continue;
    uint64_t t = atomic_word(slot(i)->txnid).load(std::memory_order_seq_cst);
    if (t < oldest) oldest = t;
  }
  return oldest;
}

Result<int> ReaderTable::check_stale() { return clear_stale(false); }

// LMDB's rule (mdb_reader_pid): a process is alive while some process holds a lock on the byte at its pid. A
// failing F_GETLK means "may be alive": never free a slot on doubt.
bool ReaderTable::pid_alive(pid_t pid) const {
  auto held = os::range_locked_by_other(file_.fd(), static_cast<uint64_t>(pid), 1);
  return !held.ok() || held.value();
}

// REQUIRES: the reader mutex is held (or the caller accepts racing with claims, as LMDB's unlocked scan does
// only for slots it then re-checks under the mutex). Frees slots of `dead` from index `from` on.
int ReaderTable::clear_pid_slots(pid_t dead, unsigned from) {
  int count = 0;
  unsigned n = num_readers();
  for (unsigned j = from; j < n; ++j) {
    if (slot_pid(j) != dead) continue;
    atomic_word(slot(j)->pid).store(0, std::memory_order_release);
    ++count;
  }
  return count;
}

// mdb_reader_check0: one liveness test per distinct foreign pid; a dead pid's slots are freed under the reader
// mutex after re-testing, since a new process may have reused the pid meanwhile.
Result<int> ReaderTable::clear_stale(bool reader_mutex_held) {
  if (in_process_) return 0;
  pid_t self = os::pid();
  std::vector<pid_t> seen;
  int count = 0;
  unsigned n = num_readers();
  for (unsigned i = 0; i < n; ++i) {
    pid_t p = slot_pid(i);
    if (p == 0 || p == self) continue;
    auto at = std::lower_bound(seen.begin(), seen.end(), p);
    if (at != seen.end() && *at == p) continue;
    seen.insert(at, p);
    if (pid_alive(p)) continue;
    if (!reader_mutex_held) ASPEN_TRY(lock_readers());
    if (reader_mutex_held || !pid_alive(p)) count += clear_pid_slots(p, i);
    if (!reader_mutex_held) unlock_readers();
  }
  return count;
}

void ReaderTable::release_own_slots() {
  pid_t self = os::pid();
  unsigned n = num_readers();
  for (unsigned i = 0; i < n; ++i) {
    if (slot_pid(i) == self) atomic_word(slot(i)->pid).store(0, std::memory_order_release);
  }
}

}  // namespace aspen::env
