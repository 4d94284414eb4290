// Environment as the host of its transactions (txn::EnvHost): snapshots, the writer lock, meta writes,
// syncs and dirty-page buffers (layer: env).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <vector>

#include "env/environment.hpp"
#include "os/io_hooks.hpp"
#include "os/process.hpp"
#include "page/page.hpp"

namespace aspen::env {
namespace {

constexpr int kPinAttempts = 1000;

uint64_t round_up_to(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

uint64_t Environment::mapped_pages() const {
  uint64_t mapped = map_size() / geometry_.page_size;
  uint64_t file = file_pages_.load(std::memory_order_acquire);
  return mapped < file ? mapped : file;
}

Status Environment::refresh_file_pages(uint64_t needed) const {
  if (file_pages_.load(std::memory_order_acquire) >= needed) return ok_status();
  ASPEN_ASSIGN(uint64_t size, data_file_.size());
  uint64_t pages = size / geometry_.page_size;
  uint64_t seen = file_pages_.load(std::memory_order_acquire);
  while (pages > seen && !file_pages_.compare_exchange_weak(seen, pages)) {
  }
  return ok_status();
}

Environment::ThreadSlot* Environment::thread_slot() const {
  if (!have_tls_key_) return nullptr;
  return static_cast<ThreadSlot*>(pthread_getspecific(tls_key_));
}

void Environment::set_thread_slot(unsigned slot) {
  if (!have_tls_key_) return;
  if (ThreadSlot* mine = thread_slot()) {
    mine->slot = slot;
    return;
  }
  auto* record = new ThreadSlot{this, slot};
  {
    std::lock_guard<std::mutex> lock(thread_slots_mutex_);
    thread_slots_.push_back(record);
  }
  pthread_setspecific(tls_key_, record);
}

// The TLS destructor: a thread that read from the environment exits, its slot goes back to the table. In a
// forked child (a thread exiting there) the slot is the parent's: it stays.
void Environment::release_thread_slot(void* value) {
  auto* record = static_cast<ThreadSlot*>(value);
  Environment* env = record->env;
  std::lock_guard<std::mutex> lock(env->thread_slots_mutex_);
  auto& all = env->thread_slots_;
  all.erase(std::remove(all.begin(), all.end(), record), all.end());
  if (env->readers_ && !env->forked() && env->readers_->slot_info(record->slot).pid == env->pid_)
    env->readers_->release_slot(record->slot);
  delete record;
}

// The slot a new read transaction pins into: the thread's own (claimed on its first read), or with MDB_NOTLS
// a fresh one (*claimed: the caller must free it if the pin fails).
Result<unsigned> Environment::slot_for_new_reader(bool* claimed) {
  *claimed = false;
  if (!have_tls_key_) {
    ASPEN_ASSIGN(unsigned fresh, readers_->acquire_slot());
    *claimed = true;
    return fresh;
  }
  ThreadSlot* mine = thread_slot();
  if (mine) {
    const ReaderInfo info = readers_->slot_info(mine->slot);
    if (info.pid == pid_) {
      if (info.txnid != format::kIdleReader) return ASPEN_ERROR(code::kBadRslot);  // one per thread
      return mine->slot;
    }
    // Cleared under us (only if our liveness lock was lost): take a new one.
  }
  ASPEN_ASSIGN(unsigned slot, readers_->acquire_slot());
  set_thread_slot(slot);
  return slot;
}

// A pin that failed: the slot pins nothing; a slot claimed for it alone (MDB_NOTLS) is freed.
void Environment::abandon_pin(unsigned slot, bool claimed) {
  readers_->set_slot_txnid(slot, format::kIdleReader);
  if (claimed) readers_->release_slot(slot);
}

// Copies the meta of snapshot `txnid` out of the map (page txnid % 2). A later commit (txnid + 2) may be
// rewriting that page, so the record, its seal and any manifest are copied once and judged on the copy, and the
// live txnid is read again afterwards: the rewrite writes the record's txnid before the seal, so a copy that
// mixes old and new bytes either fails its seal or is followed by a changed txnid. False: pin again.
bool Environment::copy_pinned_meta(uint64_t txnid, format::Meta* out) const {
  constexpr size_t kSector = 512;
  const size_t psize = geometry_.page_size;
  std::byte* page = map_.data() + (txnid & 1) * psize;
  const size_t head = std::min(psize, kSector);
  alignas(8) std::byte first[kSector];
  std::memcpy(first, page, head);
  const size_t need = std::min(psize, format::sealed_size(first));
  std::vector<std::byte> longer;  // a manifest past the first sector: big one-flush commits only
  const std::byte* bytes = first;
  if (need > head) {
    longer.assign(first, first + head);
    longer.resize(need);
    std::memcpy(longer.data() + head, page + head, need - head);
    bytes = longer.data();
  }
  std::memcpy(out, bytes + format::kMetaOffset, sizeof *out);
  if (out->txnid != txnid || format::judge_seal(bytes, std::max(need, head), psize) == format::SealState::kTorn)
    return false;
  std::atomic_thread_fence(std::memory_order_acquire);  // the copy's loads come before the re-read
  auto* live = reinterpret_cast<uint64_t*>(page + format::kMetaOffset + offsetof(format::Meta, txnid));
  return std::atomic_ref<uint64_t>(*live).load(std::memory_order_relaxed) == txnid;
}

Result<txn::Snapshot> Environment::pin_snapshot(unsigned slot) {
  if (forked()) return ASPEN_ERROR(code::kPanic);  // the table's slots and locks are the parent's
  bool claimed = false;
  if (slot == ~0u) {
    ASPEN_ASSIGN(slot, slot_for_new_reader(&claimed));
  } else if (slot >= readers_->max_readers() || readers_->slot_info(slot).txnid != format::kIdleReader) {
    return ASPEN_ERROR(code::kBadRslot);  // renewing into a slot another transaction of this thread uses
  }
  const ReaderLease lease = reader_lease();
  if (lease.any() && !readers_->leases_enabled()) {
    Status enabled = readers_->enable_leases();
    if (!enabled.ok()) {
      abandon_pin(slot, claimed);
      return enabled.error();
    }
  }
  for (int attempt = 0; attempt < kPinAttempts; ++attempt) {
    uint64_t txnid;
    if (previous_snapshot_.load(std::memory_order_acquire)) {
      // MDB_PREVSNAPSHOT: pin the older meta's snapshot; the checks below catch a commit meanwhile.
      Result<format::Meta> previous = newest_meta();
      if (!previous.ok()) {
        abandon_pin(slot, claimed);
        return previous.error();
      }
      txnid = previous->txnid;
      readers_->set_slot_txnid(slot, txnid);
    } else {
      txnid = readers_->pin_latest(slot, os::monotonic_ms(), lease);
    }
    format::Meta meta;
    if (!copy_pinned_meta(txnid, &meta)) continue;  // a writer is replacing this meta: pin again
    if ((meta.last_page + 1) * geometry_.page_size > map_size()) {
      Status grown = grow_map((meta.last_page + 1) * geometry_.page_size, code::kMapResized);
      if (!grown.ok()) {
        abandon_pin(slot, claimed);
        return grown.error();
      }
    }
    Status refreshed = refresh_file_pages(meta.last_page + 1);
    if (!refreshed.ok()) {
      abandon_pin(slot, claimed);
      return refreshed.error();
    }
    // Only an Aspen lease makes the snapshot oustable; the transaction then watches the slot.
    uint64_t* pin_word = lease.any() && readers_->leases_enabled() ? readers_->pin_word(slot) : nullptr;
    return txn::Snapshot{slot, meta, pin_word};
  }
  abandon_pin(slot, claimed);
  return ASPEN_ERROR(code::kBadRslot);
}

void Environment::unpin_snapshot(unsigned slot, bool keep_slot) {
  if (forked()) return;  // the parent's slot: its snapshot is not ours to end
  readers_->set_slot_txnid(slot, format::kIdleReader);
  if (!have_tls_key_ && !keep_slot) readers_->release_slot(slot);
}

// Beyond LMDB: when a reader holds back the pages this writer could reuse, clear the slots of dead processes
// and oust readers whose lease expired, at most every kReclaimIntervalMs (the check costs one F_GETLK per
// other process). Called under the writer mutex, so last_reclaim_ms_ needs no lock.
uint64_t Environment::oldest_reader(uint64_t if_none) {
  const uint64_t oldest = readers_->oldest_reader(if_none);
  if (oldest >= if_none || forked()) return oldest;
  const uint64_t now = os::monotonic_ms();
  if (last_reclaim_ms_ != 0 && now - last_reclaim_ms_ < kReclaimIntervalMs) return oldest;
  last_reclaim_ms_ = now;
  int freed = 0;
  Result<int> stale = readers_->check_stale();
  if (stale.ok()) freed += stale.value();
  freed += readers_->oust_expired(if_none, if_none, now);
  return freed ? readers_->oldest_reader(if_none) : oldest;
}

Result<format::Meta> Environment::begin_write() {
  if (forked()) return ASPEN_ERROR(code::kPanic);
  const uint64_t me = os::thread_id();
  if (writer_thread_.load(std::memory_order_acquire) == me) return ASPEN_ERROR(EDEADLK);  // LMDB would hang
  ASPEN_ASSIGN(bool owner_died, readers_->lock_writer());
  if (writer_thread_.load(std::memory_order_acquire) != 0) {
    // A write transaction of this very Environment never ended: its thread died holding the mutex (we got
    // EOWNERDEAD, or another Environment of this process sharing the table did). Its state here is
    // unknowable: poison, as LMDB does ("env is hosed if the dead thread was ours"), after publishing the
    // newest committed txnid for everyone else.
    if (owner_died) {
      Result<format::Meta> newest = newest_meta();
      if (newest.ok()) readers_->publish_txnid(newest->txnid);
    }
    poisoned_.store(true, std::memory_order_release);
    writer_thread_.store(0, std::memory_order_release);
    readers_->unlock_writer();
    return ASPEN_ERROR(code::kPanic);
  }
  Result<format::Meta> meta = newest_meta();
  if (!meta.ok()) {
    readers_->unlock_writer();
    return meta;
  }
  // The dead writer (another process) may have written its meta without publishing it: the newest meta is
  // the truth, and its transaction, if it never reached the meta, is simply gone.
  if (owner_died) readers_->publish_txnid(meta->txnid);
  if ((meta->last_page + 1) * geometry_.page_size > map_size()) {
    Status grown = grow_map((meta->last_page + 1) * geometry_.page_size, code::kMapResized);
    if (!grown.ok()) {
      readers_->unlock_writer();
      return grown.error();
    }
  }
  // Another process (liblmdb or Aspen) may have grown the file since we last looked: pages below its end are
  // readable, and the write transaction must see them (else MDB_PAGE_NOTFOUND on its own committed pages).
  Status refreshed = refresh_file_pages(meta->last_page + 1);
  if (!refreshed.ok()) {
    readers_->unlock_writer();
    return refreshed.error();
  }
  last_meta_ = *meta;
  writer_thread_.store(me, std::memory_order_release);
  return meta;
}

void Environment::end_write() {
  if (forked()) return;  // the mutex is held by the parent's thread: only it may unlock
  // Only the thread that began the write transaction holds the mutex. Another thread ending it (a dead
  // writer's leftover transaction after MDB_PANIC, or a misuse) has nothing to unlock.
  if (writer_thread_.load(std::memory_order_acquire) != os::thread_id()) return;
  writer_thread_.store(0, std::memory_order_release);
  readers_->unlock_writer();
}

Status Environment::grow_map(uint64_t bytes, int beyond_reservation_code) {
  std::lock_guard<std::mutex> lock(map_mutex_);
  const uint64_t current = map_size();
  if (bytes <= current) return ok_status();
  if (bytes > map_bound_ || bytes > map_.reserved()) {
    // The bound is reported as the error's page: the number of pages the map may hold (ERRORS.md).
    const uint64_t bound_pages = std::min(map_bound_, map_.reserved()) / geometry_.page_size;
    return ASPEN_PAGE_ERROR(beyond_reservation_code, bound_pages);
  }
  // Grow in steps that amortise the mmap calls: double while small, then by 1 GiB.
  constexpr uint64_t kStep = uint64_t{1} << 30;
  uint64_t target = std::max(bytes, current < kStep ? current * 2 : current + kStep);
  target = std::min(round_up_to(target, os::page_size()), std::min(map_bound_, map_.reserved()));
  ASPEN_TRY(map_.extend(target));
  map_size_.store(target, std::memory_order_release);
  return ok_status();
}

Status Environment::reserve_pages(uint64_t page_count) {
  if (page_count * geometry_.page_size > map_size())
    ASPEN_TRY(grow_map(page_count * geometry_.page_size, code::kMapFull));
  if (!(flags_ & env_flag::kWriteMap)) return ok_status();
  // Pages of a writable map are touched directly: the file must cover them first (never SIGBUS).
  uint64_t have = file_pages_.load(std::memory_order_acquire);
  if (page_count <= have) return ok_status();
  uint64_t want = std::min<uint64_t>(std::max(page_count, have + have / 4 + 16), map_size() / geometry_.page_size);
  ASPEN_TRY(data_file_.allocate(have * geometry_.page_size, (want - have) * geometry_.page_size));
  file_pages_.store(want, std::memory_order_release);
  return ok_status();
}

Status Environment::sync_data(bool force) {
  if ((flags_ & env_flag::kNoSync) && !force) return ok_status();
  Status st;
  if (flags_ & env_flag::kWriteMap) {
    bool async = (flags_ & env_flag::kMapAsync) && !force;
    st = map_.sync(0, file_pages_.load() * geometry_.page_size, async);
  } else {
    st = data_file_.sync_data();
  }
  if (!st.ok()) poisoned_.store(true, std::memory_order_release);
  return st;
}

bool Environment::single_flush_commit() const {
  return single_flush_.load(std::memory_order_relaxed) &&
         !(flags_ & (env_flag::kWriteMap | env_flag::kNoSync | env_flag::kNoMetaSync));
}

// Steps 5-7 of docs/COMMIT.md: the meta, its sync, then publishing the txnid. With a manifest the sync also
// makes the commit's pages durable (the one-flush commit, §7): readers still see the meta only once it is
// published, after the sync, as before.
Status Environment::commit_meta(const format::Meta& meta, uint64_t pages_written, const txn::CommitManifest* manifest) {
  if (poisoned()) return ASPEN_ERROR(code::kPanic);
  format::Meta m = meta;
  // LMDB's mdb_env_write_meta: the map size persisted never shrinks below the one recorded in the meta page
  // being overwritten (a smaller mdb_env_set_mapsize applies to this process only).
  uint64_t replaced_map_size = 0;
  std::memcpy(&replaced_map_size,
              map_.data() + (m.txnid & 1) * geometry_.page_size + format::kMetaOffset + offsetof(format::Meta, map_size),
              sizeof replaced_map_size);
  m.map_size = std::max(map_size(), replaced_map_size);
  Status st = write_meta(m, manifest);
  if (st.ok() && (manifest || !(flags_ & (env_flag::kNoSync | env_flag::kNoMetaSync)))) {
    if (flags_ & env_flag::kWriteMap) st = map_.sync((m.txnid & 1) * geometry_.page_size, geometry_.page_size, false);
    else st = data_file_.sync_data();
  }
  if (!st.ok()) {
    poisoned_.store(true, std::memory_order_release);
    return st;
  }
  readers_->note_commit(m.txnid, pages_written);
  readers_->publish_txnid(m.txnid);
  last_meta_ = m;
  previous_snapshot_.store(false, std::memory_order_release);  // the new meta supersedes both old ones
  uint64_t pages = m.last_page + 1, seen = file_pages_.load();
  while (pages > seen && !file_pages_.compare_exchange_weak(seen, pages)) {
  }
  return ok_status();
}

std::byte* Environment::take_buffer(unsigned pages) {
  const size_t psize = geometry_.page_size;
  if (pages == 1 && !free_buffers_.empty()) {
    // A pooled buffer holds only an image of one of this environment's own pages (or zeroes): reused as
    // is, as liblmdb reuses its me_dpages, so unrelated heap memory still never reaches the file. Zeroing
    // it again cost 39 % of fillrandom's instructions (docs/BENCHMARKS.md).
    std::byte* buffer = free_buffers_.back();
    free_buffers_.pop_back();
    return buffer;
  }
  auto* buffer = static_cast<std::byte*>(os::io().aligned_alloc(64, psize * pages));  // the allocation seam
  if (!buffer) return nullptr;
  if (!(flags_ & env_flag::kNoMemInit)) {
    // Fresh heap memory may hold anything: the unused parts of a page must not carry it into the file.
    // Runs are written in full but for the tail of their last page.
    std::memset(buffer + (pages - 1) * psize, 0, psize);
  }
  return buffer;
}

void Environment::give_buffer(std::byte* buffer, unsigned pages) {
  if (pages == 1 && free_buffers_.size() < kPooledBuffers) {
    free_buffers_.push_back(buffer);
    return;
  }
  std::free(buffer);
}

void Environment::release_buffers() {
  for (std::byte* b : free_buffers_) std::free(b);
  free_buffers_.clear();
}

}  // namespace aspen::env
