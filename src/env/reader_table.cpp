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
      pid_locked_(std::exchange(other.pid_locked_, 0)),
      opened_by_(std::exchange(other.opened_by_, 0)),
      leases_enabled_(other.leases_enabled_.exchange(false)) {}

ReaderTable& ReaderTable::operator=(ReaderTable&& other) noexcept {
  if (this != &other) {
    close();
    file_ = std::move(other.file_);
    map_ = std::move(other.map_);
    max_readers_ = std::exchange(other.max_readers_, 0);
    exclusive_ = std::exchange(other.exclusive_, false);
    in_process_ = std::exchange(other.in_process_, false);
    pid_locked_ = std::exchange(other.pid_locked_, 0);
    opened_by_ = std::exchange(other.opened_by_, 0);
    leases_enabled_.store(other.leases_enabled_.exchange(false));
  }
  return *this;
}

ReaderTable::~ReaderTable() { close(); }

void ReaderTable::close() {
  // In a forked child the slots under the child's pid may belong to another table of the child on the same
  // file, and the inherited ones are the parent's: leave them all alone.
  if (map_.valid() && opened_here()) release_own_slots();
  map_.unmap();
  file_.close();  // drops the byte-0 and pid locks (unless release_fd() took the descriptor)
  exclusive_ = false;
  pid_locked_ = 0;
  leases_enabled_.store(false);
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
  table.opened_by_ = os::pid();
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
  if (table.exclusive_ && size < wanted) size = wanted;
  // Stores through the shared map need the file's blocks to exist: on a full disk, a sparse lock file (from
  // ftruncate, ours or liblmdb's) turns the first store into SIGBUS. fallocate sets the size when it grows the
  // file and keeps the bytes already there.
  ASPEN_TRY(table.file_.allocate(0, size));
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
  table.opened_by_ = os::pid();
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
  atomic_word(h->commit_txnid).store(0, std::memory_order_release);  // a note from a previous session is stale
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

Status ReaderTable::claim_exclusive() {
  if (in_process_) return ok_status();
  Status s = os::lock_range(file_.fd(), 0, 1, os::LockMode::kExclusive, false);
  if (os::is_lock_busy(s)) return ASPEN_ERROR(EBUSY);
  ASPEN_TRY(s);
  exclusive_ = true;
  return ok_status();
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
  clear_record(i);  // a previous owner's record must never describe this one
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
  clear_record(i);
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

// A seqlock whose sequence is the txnid itself: 0 while the pair is rewritten, so that a reader in another
// process never takes one commit's page count for another's.
void ReaderTable::note_commit(uint64_t txnid, uint64_t pages) {
  LockHeader* h = header();
  atomic_word(h->commit_txnid).store(0, std::memory_order_seq_cst);
  atomic_word(h->commit_pages).store(pages, std::memory_order_seq_cst);
  atomic_word(h->commit_txnid).store(txnid, std::memory_order_seq_cst);
}

bool ReaderTable::last_commit_pages(uint64_t* pages) const {
  LockHeader* h = header();
  const uint64_t last = last_txnid();
  if (last == 0 || atomic_word(h->commit_txnid).load(std::memory_order_seq_cst) != last) return false;
  *pages = atomic_word(h->commit_pages).load(std::memory_order_seq_cst);
  return atomic_word(h->commit_txnid).load(std::memory_order_seq_cst) == last;
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
    clear_record(j);
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
    if (slot_pid(i) != self) continue;
    clear_record(i);
    atomic_word(slot(i)->pid).store(0, std::memory_order_release);
  }
}

// --- reader records and leases (protocol step 5) --------------------------------------------------------

void ReaderTable::clear_record(unsigned i) {
  atomic_word(slot(i)->record.magic).store(0, std::memory_order_release);
}

// The seqlock's writer side: seq odd, fields, seq even. Only the slot's owner writes, so plain increments do.
uint64_t ReaderTable::pin_latest(unsigned i, uint64_t now_ms, const ReaderLease& lease) {
  assert(i < max_readers_);
  format::ReaderRecord& r = slot(i)->record;
  auto seq = atomic_word(r.seq);
  uint32_t s = seq.load(std::memory_order_relaxed) | 1u;
  seq.store(s, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  const uint64_t txnid = pin_latest(i);
  const bool leased = lease.any() && leases_enabled();
  atomic_word(r.txnid).store(txnid, std::memory_order_relaxed);
  atomic_word(r.pinned_at).store(now_ms, std::memory_order_relaxed);
  atomic_word(r.max_age_ms).store(leased ? lease.max_age_ms : 0, std::memory_order_relaxed);
  atomic_word(r.max_lag).store(leased ? lease.max_lag : 0, std::memory_order_relaxed);
  atomic_word(r.magic).store(format::kReaderRecordMagic, std::memory_order_relaxed);
  seq.store(s + 1, std::memory_order_release);
  return txnid;
}

// The seqlock's reader side. False when the record is absent, being rewritten, or changed meanwhile.
bool ReaderTable::read_record(unsigned i, format::ReaderRecord* out) const {
  format::ReaderRecord& r = slot(i)->record;
  const uint32_t before = atomic_word(r.seq).load(std::memory_order_acquire);
  if (before & 1u) return false;
  out->magic = atomic_word(r.magic).load(std::memory_order_relaxed);
  out->txnid = atomic_word(r.txnid).load(std::memory_order_relaxed);
  out->pinned_at = atomic_word(r.pinned_at).load(std::memory_order_relaxed);
  out->max_age_ms = atomic_word(r.max_age_ms).load(std::memory_order_relaxed);
  out->max_lag = atomic_word(r.max_lag).load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint32_t after = atomic_word(r.seq).load(std::memory_order_relaxed);
  return before == after && out->magic == format::kReaderRecordMagic;
}

bool ReaderTable::pinned(unsigned i, uint64_t txnid) const {
  std::atomic_thread_fence(std::memory_order_acquire);
  return atomic_word(slot(i)->txnid).load(std::memory_order_relaxed) == txnid;
}

Status ReaderTable::enable_leases() {
  if (leases_enabled()) return ok_status();
  if (!in_process_) {
    ASPEN_TRY(os::lock_range(file_.fd(), kLeaseLockBase + static_cast<uint64_t>(os::pid()), 1,
                             os::LockMode::kExclusive, false));
  }
  leases_enabled_.store(true, std::memory_order_release);
  return ok_status();
}

// Whether `pid` agreed to leases: it holds its lease lock (for this process: we took ours). A failing F_GETLK
// means "no": never oust on doubt.
bool ReaderTable::lease_holder(pid_t pid) const {
  if (pid == os::pid()) return leases_enabled();
  if (in_process_) return false;
  auto held = os::range_locked_by_other(file_.fd(), kLeaseLockBase + static_cast<uint64_t>(pid), 1);
  return held.ok() && held.value();
}

namespace {

bool lease_expired(const format::ReaderRecord& r, uint64_t last_txnid, uint64_t now_ms) {
  if (r.max_age_ms && now_ms >= r.pinned_at && now_ms - r.pinned_at >= r.max_age_ms) return true;
  return r.max_lag && last_txnid > r.txnid && last_txnid - r.txnid > r.max_lag;
}

}  // namespace

int ReaderTable::oust_expired(uint64_t last_txnid, uint64_t below, uint64_t now_ms) {
  int ousted = 0;
  const unsigned n = num_readers();
  for (unsigned i = 0; i < n; ++i) {
    const pid_t pid = slot_pid(i);
    if (pid == 0) continue;
    auto txnid = atomic_word(slot(i)->txnid);
    uint64_t pinned_txnid = txnid.load(std::memory_order_seq_cst);
    if (pinned_txnid >= below) continue;  // idle slots (~0) too
    format::ReaderRecord r;
    if (!read_record(i, &r) || r.txnid != pinned_txnid || !lease_expired(r, last_txnid, now_ms)) continue;
    if (!lease_holder(pid)) continue;
    if (txnid.compare_exchange_strong(pinned_txnid, kIdleReader, std::memory_order_seq_cst)) ++ousted;
  }
  if (ousted) std::atomic_thread_fence(std::memory_order_seq_cst);
  return ousted;
}

ReaderSummary ReaderTable::summarize(uint64_t now_ms) const {
  ReaderSummary sum;
  sum.last_txnid = last_txnid();
  sum.oldest_txnid = sum.last_txnid;
  sum.high_water = num_readers();
  sum.max_readers = max_readers_;
  const pid_t self = os::pid();
  unsigned oldest_slot = ~0u;
  for (unsigned i = 0; i < sum.high_water; ++i) {
    ReaderInfo info = slot_info(i);
    if (info.pid == 0) continue;
    ++sum.used;
    if (!in_process_ && info.pid != self && !pid_alive(info.pid)) ++sum.stale;
    if (info.txnid == kIdleReader) continue;
    ++sum.pinning;
    if (oldest_slot == ~0u || info.txnid < sum.oldest_txnid) {
      oldest_slot = i;
      sum.oldest_txnid = std::min(info.txnid, sum.oldest_txnid);
      sum.oldest_pid = info.pid;
      sum.oldest_tid = info.tid;
    }
  }
  format::ReaderRecord r;
  if (oldest_slot != ~0u && read_record(oldest_slot, &r) && r.txnid == sum.oldest_txnid) {
    sum.oldest_age_ms = now_ms >= r.pinned_at ? static_cast<int64_t>(now_ms - r.pinned_at) : 0;
    sum.oldest_leased = (r.max_age_ms || r.max_lag) && lease_holder(sum.oldest_pid);
  }
  return sum;
}

Result<os::FileId> ReaderTable::identity() const {
  if (in_process_ || !file_.valid()) return ASPEN_ERROR(ENOENT);
  return file_.identity();
}

}  // namespace aspen::env
