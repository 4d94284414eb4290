// Environment configuration, open and close, flags, stat and info (layer: env). See environment.hpp.
#include "env/environment.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "env/lock_registry.hpp"
#include "os/process.hpp"
#include "txn/db_cursor.hpp"

namespace aspen::env {
namespace {

uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

Environment::Environment() : dbs_(format::kCoreDbs) { geometry_.page_size = os::page_size(); }

Environment::~Environment() { close(); }

Status Environment::set_map_size(uint64_t bytes) {
  if (!is_open()) {
    map_size_.store(bytes, std::memory_order_relaxed);
    map_size_set_ = bytes != 0;
    return ok_status();
  }
  // On an open environment with no transaction active: LMDB's rules (0 adopts the file's size; never below
  // what is in use). The new size is the bound; the map grows to it in place when the reservation allows.
  ASPEN_ASSIGN(format::Meta newest, newest_meta());  // another process may have grown the file
  const uint64_t used = (newest.last_page + 1) * geometry_.page_size;
  uint64_t size = bytes ? bytes : newest.map_size;
  size = round_up(std::max(size, used), os::page_size());
  if (!bytes && !map_size_set_) return grow_map(size, code::kMapResized);  // unbounded: keep growing on demand
  std::lock_guard<std::mutex> lock(map_mutex_);
  if (size > map_.reserved()) {
    ASPEN_ASSIGN(os::Mapping fresh, os::Mapping::reserve_and_map(data_file_.fd(), size, size,
                                                                   (flags_ & env_flag::kWriteMap) != 0));
    map_ = std::move(fresh);
  } else if (size > map_.size()) {
    ASPEN_TRY(map_.extend(size));
  }
  map_size_.store(std::max(size, map_.size()), std::memory_order_release);
  map_bound_ = size;
  map_size_set_ = true;
  return ok_status();
}

Status Environment::set_max_readers(unsigned readers) {
  if (is_open() || readers == 0) return ASPEN_ERROR(EINVAL);
  max_readers_ = readers;
  return ok_status();
}

Status Environment::set_max_dbs(unsigned dbs) {
  if (is_open()) return ASPEN_ERROR(EINVAL);
  max_dbs_ = dbs + format::kCoreDbs;
  return ok_status();
}

Status Environment::open_files(const std::string& path, mode_t mode) {
  const bool subdir = !(flags_ & env_flag::kNoSubdir);
  const std::string data_path = subdir ? path + "/data.mdb" : path;
  const std::string lock_path = subdir ? path + "/lock.mdb" : path + "-lock";
  const bool read_only = flags_ & env_flag::kReadOnly;
  ReaderTableOptions options;
  options.max_readers = max_readers_;
  options.read_only = read_only;
  options.no_lock = flags_ & env_flag::kNoLock;
  options.mode = mode;
  // Like LMDB: a writer creates the lock file first; a read-only opener needs the data file to exist first.
  // One table per lock file per process (LockRegistry): a second Environment on it shares the first's.
  if (!read_only) {
    ASPEN_ASSIGN(readers_, LockRegistry::open(lock_path, options));
  }
  ASPEN_ASSIGN(data_file_, os::File::open(data_path, read_only ? O_RDONLY : (O_RDWR | O_CREAT), mode));
  if (read_only) {
    ASPEN_ASSIGN(readers_, LockRegistry::open(lock_path, options));
  }
  return ok_status();
}

// Reserves the address range once and maps the file at its start. With a user map size, that size is both
// the reservation and the bound (LMDB's meaning); without one, the reservation is large and the map grows.
Status Environment::map_file() {
  constexpr uint64_t kUnboundedReserve = uint64_t{256} << 30;
  const uint64_t used = (last_meta_.last_page + 1) * geometry_.page_size;
  const uint64_t requested = map_size_.load(std::memory_order_relaxed);
  // LMDB: the user's size, else the file's own mm_mapsize; either raised to cover the used pages.
  uint64_t initial = map_size_set_ ? requested : (last_meta_.map_size ? last_meta_.map_size : format::kDefaultMapSize);
  initial = round_up(std::max(initial, used), os::page_size());
  uint64_t reserve = map_size_set_ ? initial : std::max(initial, kUnboundedReserve);
  const bool writable = flags_ & env_flag::kWriteMap;
  // Without a user size, only the used pages must be mapped at once: a smaller address budget settles for a
  // smaller reservation, down to the used size (then ENOMEM). With one, LMDB's meaning: all of it or ENOMEM.
  const uint64_t smallest = map_size_set_ ? initial : round_up(std::max(used, uint64_t{1} << 20), os::page_size());
  Result<os::Mapping> mapped = os::Mapping::reserve_and_map(data_file_.fd(), initial, reserve, writable);
  while (!mapped.ok() && mapped.code() == ENOMEM && reserve / 2 >= smallest) {
    reserve = round_up(reserve / 2, os::page_size());
    initial = std::min(initial, reserve);
    mapped = os::Mapping::reserve_and_map(data_file_.fd(), initial, reserve, writable);
  }
  if (!mapped.ok()) return mapped.error();
  map_ = std::move(mapped).value();
  map_size_.store(initial, std::memory_order_release);
  map_bound_ = reserve;
  if (flags_ & env_flag::kNoReadahead) ASPEN_TRY(map_.advise_random());
  ASPEN_ASSIGN(uint64_t file_size, data_file_.size());
  file_pages_.store(file_size / geometry_.page_size, std::memory_order_release);
  return ok_status();
}

Status Environment::open(const std::string& path, unsigned flags, mode_t mode) {
  using namespace env_flag;
  if (is_open() || (flags & ~(kChangeable | kChangeless | kPreviousSnapshot))) return ASPEN_ERROR(EINVAL);
  previous_snapshot_.store((flags & kPreviousSnapshot) != 0, std::memory_order_release);
  poisoned_.store(false, std::memory_order_release);  // MDB_PANIC lasts until the environment is reopened
  // The buffer pool never grows while a transaction gives pages back (abort must not allocate).
  free_buffers_.reserve(kPooledBuffers);
  flags_ |= flags & ~kPreviousSnapshot;
  if (flags_ & kReadOnly) flags_ &= ~kWriteMap;
  path_ = path;
  pid_ = os::pid();
  fork_generation_ = os::fork_generation();
  writer_thread_.store(0, std::memory_order_release);
  // Held until the table is shared: another Environment of this process waits rather than joining a table
  // whose first opener has not published the txnid yet.
  LockRegistry::Guard registry;
  Status st = open_files(path, mode);
  // A writer on the previous snapshot would commit over the newest meta under other processes' feet.
  if (st.ok() && previous_snapshot_.load() && !(flags_ & kReadOnly) && !readers_->exclusive() &&
      !readers_->in_process())
    st = ASPEN_ERROR(EBUSY);
  if (st.ok()) st = load_or_create_meta();
  if (st.ok()) st = map_file();
  if (st.ok() && !(flags_ & kNoTls)) {
    if (pthread_key_create(&tls_key_, &Environment::release_thread_slot) != 0) st = ASPEN_ERROR(EAGAIN);
    else have_tls_key_ = true;
  }
  // The first opener publishes the newest txnid; so does every opener of a table of its own (MDB_NOLOCK, or
  // MDB_RDONLY on a read-only file system), whose readers would otherwise pin txnid 0.
  if (st.ok() && (readers_->exclusive() || readers_->in_process())) {
    readers_->publish_txnid(last_meta_.txnid);
    st = readers_->share();
  }
  if (st.ok() && reader_lease().any()) st = readers_->enable_leases();
  if (!st.ok()) {
    close();
    return st;
  }
  geometry_.max_dbs = max_dbs_;
  geometry_.env_flags = flags_;
  dbs_ = txn::DbTable(max_dbs_);
  return ok_status();
}

void Environment::close() {
  if (have_tls_key_) {
    pthread_key_delete(tls_key_);  // no destructor runs after this: the records are ours to free
    have_tls_key_ = false;
    std::lock_guard<std::mutex> lock(thread_slots_mutex_);
    for (ThreadSlot* record : thread_slots_) {
      // Our threads' slots go back now: the table may outlive us (another Environment of this process shares
      // it). In a forked child they are the parent's, and stay.
      if (readers_ && !forked() && readers_->slot_info(record->slot).pid == pid_)
        readers_->release_slot(record->slot);
      delete record;
    }
    thread_slots_.clear();
  }
  release_buffers();
  write_view_.unmap();
  map_.unmap();
  readers_.reset();  // the last Environment of this process on the lock file closes it
  data_file_.close();
}

ReaderTable& Environment::no_table() {
  static ReaderTable* none = new ReaderTable();
  return *none;
}

Status Environment::set_reader_lease(uint32_t max_age_ms, uint32_t max_lag) {
  lease_age_ms_.store(max_age_ms, std::memory_order_relaxed);
  lease_lag_.store(max_lag, std::memory_order_relaxed);
  if (is_open() && (max_age_ms || max_lag)) return readers_->enable_leases();
  return ok_status();
}

ReaderLease Environment::reader_lease() const {
  return ReaderLease{lease_age_ms_.load(std::memory_order_relaxed), lease_lag_.load(std::memory_order_relaxed)};
}

Status Environment::set_flags(unsigned flags, bool on) {
  if (flags & ~env_flag::kChangeable) return ASPEN_ERROR(EINVAL);
  if (on) flags_ |= flags;
  else flags_ &= ~flags;
  geometry_.env_flags = flags_;
  return ok_status();
}

Result<txn::TreeStat> Environment::stat() {
  ASPEN_ASSIGN(format::Meta meta, newest_meta());
  const format::DbRecord& db = meta.dbs[format::kMainDbi];
  txn::TreeStat st;
  st.page_size = static_cast<uint32_t>(geometry_.page_size);
  st.depth = db.depth;
  st.branch_pages = db.branch_pages;
  st.leaf_pages = db.leaf_pages;
  st.overflow_pages = db.overflow_pages;
  st.entries = db.entries;
  return st;
}

Result<EnvInfo> Environment::info() {
  ASPEN_ASSIGN(format::Meta meta, newest_meta());
  EnvInfo info;
  info.map_address = reinterpret_cast<void*>(meta.address);
  info.map_size = map_size();
  info.last_page = meta.last_page;
  info.last_txnid = meta.txnid;
  info.max_readers = max_readers();
  info.num_readers = readers_ && readers_->valid() ? readers_->num_readers() : 0;
  return info;
}

Status Environment::sync(bool force) {
  if (flags_ & env_flag::kReadOnly) return ASPEN_ERROR(EACCES);
  return sync_data(force);
}

Result<int> Environment::reader_check() {
  if (!readers_ || !readers_->valid()) return 0;
  if (forked()) return ASPEN_ERROR(code::kPanic);
  return readers_->check_stale();
}

void Environment::reader_list(const std::function<void(const ReaderInfo&)>& fn) const {
  if (readers_ && readers_->valid()) readers_->list(fn);
}

Result<EnvHealth> Environment::health() {
  if (!is_open()) return ASPEN_ERROR(EINVAL);
  if (forked()) return ASPEN_ERROR(code::kPanic);
  const ReaderSummary sum = readers_->summarize(os::monotonic_ms());
  EnvHealth h;
  h.last_txnid = sum.last_txnid;
  h.oldest_txnid = sum.oldest_txnid;
  h.reader_lag = sum.last_txnid - sum.oldest_txnid;
  h.oldest_pid = sum.oldest_pid;
  h.oldest_tid = sum.oldest_tid;
  h.oldest_age_ms = sum.oldest_age_ms;
  h.oldest_leased = sum.oldest_leased;
  h.readers_pinning = sum.pinning;
  h.slots_used = sum.used;
  h.stale_slots = sum.stale;
  h.slots_high_water = sum.high_water;
  h.max_readers = sum.max_readers;
  h.page_size = geometry_.page_size;
  h.map_size = map_size();
  if (Result<format::Meta> meta = newest_meta(); meta.ok()) h.pages_used = meta->last_page + 1;
  h.last_commit_known = readers_->last_commit_pages(&h.last_commit_pages);
  pages_held_back(&h);
  return h;
}

// Sums the FREE_DBI records of the newest snapshot: all of them (free_pages), and those a reader keeps from
// reuse (oldest_txnid <= key < last commit; the record of the last commit itself waits for the next one).
void Environment::pages_held_back(EnvHealth* h) {
  auto txn = txn::Transaction::begin(*this, nullptr, txn::kTxnReadOnly);
  if (!txn.ok()) return;
  auto cursor = txn::DbCursor::open(**txn, format::kFreeDbi);
  if (!cursor.ok()) return;
  const uint64_t last = (*txn)->id();
  const uint64_t oldest = std::min(h->oldest_txnid, last);
  Bytes key, data;
  Status st = (*cursor)->get(tree::CursorOp::kFirst, &key, &data);
  for (; st.ok(); st = (*cursor)->get(tree::CursorOp::kNext, &key, &data)) {
    if (key.size() != sizeof(uint64_t) || data.size() < sizeof(uint64_t)) return;
    uint64_t id, count;
    std::memcpy(&id, key.data(), sizeof id);
    std::memcpy(&count, data.data(), sizeof count);
    h->free_pages += count;
    if (id >= oldest && id < last) h->pages_held_back += count;
  }
  h->pages_known = st.code() == code::kNotFound;
}

}  // namespace aspen::env
