// aspen::Env (layer: api): the public environment handle over env::Environment.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "aspen/aspen.hpp"
#include "env/environment.hpp"
#include "os/file.hpp"
#include "txn/transaction.hpp"

namespace aspen {

Env::Env() : impl_(std::make_unique<env::Environment>()) {}
Env::~Env() = default;
Env::Env(Env&&) noexcept = default;
Env& Env::operator=(Env&&) noexcept = default;

Result<Env> Env::open(const std::string& path, const EnvOptions& options) {
  Env env;
  if (options.map_size) ASPEN_TRY(env.set_map_size(options.map_size));
  ASPEN_TRY(env.set_max_readers(options.max_readers));
  ASPEN_TRY(env.set_max_dbs(options.max_dbs));
  ASPEN_TRY(env.set_reader_lease(options.reader_lease_ms, options.reader_lease_lag));
  env.set_single_flush_commit(options.single_flush_commit);
  const unsigned flags = options.flags | (options.previous_snapshot ? kPreviousSnapshot : 0u);
  ASPEN_TRY(env.open(path.c_str(), flags, options.mode));
  return env;
}

Status Env::set_map_size(uint64_t bytes) { return impl_->set_map_size(bytes); }
Status Env::set_max_readers(unsigned readers) { return impl_->set_max_readers(readers); }
Status Env::set_max_dbs(unsigned dbs) { return impl_->set_max_dbs(dbs); }

Status Env::open(const char* path, unsigned flags, unsigned mode) {
  if (!path) return ASPEN_ERROR(EINVAL);
  return impl_->open(path, flags, static_cast<mode_t>(mode));
}

void Env::close() {
  if (impl_) impl_->close();
}
bool Env::is_open() const { return impl_ && impl_->is_open(); }
Status Env::set_flags(unsigned flags, bool on) { return impl_->set_flags(flags, on); }
unsigned Env::flags() const { return impl_->flags(); }
const std::string& Env::path() const { return impl_->path(); }
int Env::fd() const { return impl_->fd(); }
unsigned Env::max_readers() const { return impl_->max_readers(); }

Result<Stat> Env::stat() const {
  ASPEN_ASSIGN(txn::TreeStat s, impl_->stat());
  return Stat{s.page_size, s.depth, s.branch_pages, s.leaf_pages, s.overflow_pages, s.entries};
}

Result<EnvInfo> Env::info() const {
  ASPEN_ASSIGN(env::EnvInfo i, impl_->info());
  return EnvInfo{i.map_address, i.map_size, i.last_page, i.last_txnid, i.max_readers, i.num_readers};
}

Status Env::sync(bool force) { return impl_->sync(force); }

Status Env::copy(const char* path, unsigned flags) {
  if (!path) return ASPEN_ERROR(EINVAL);
  const bool subdir = !(impl_->flags() & kNoSubdir);
  std::string target = subdir ? std::string(path) + "/data.mdb" : std::string(path);
  ASPEN_ASSIGN(os::File out, os::File::open(target, O_WRONLY | O_CREAT | O_EXCL, 0666));
  ASPEN_TRY(copy_fd(out.fd(), flags));
  return out.sync_all();
}

Status Env::copy_fd(int fd, unsigned flags) { return impl_->copy_to(fd, (flags & kCopyCompact) != 0); }

Result<ShrinkResult> Env::shrink(const std::string& path, const EnvOptions& options) {
  ASPEN_ASSIGN(Env env, open(path, options));
  ShrinkResult result;
  ASPEN_TRY(env.impl_->shrink_and_close(&result.bytes_before, &result.bytes_after));
  return result;
}

Result<int> Env::reader_check() { return impl_->reader_check(); }

Status Env::set_reader_lease(uint32_t max_age_ms, uint32_t max_lag) {
  return impl_->set_reader_lease(max_age_ms, max_lag);
}

void Env::set_single_flush_commit(bool on) { impl_->set_single_flush_commit(on); }

Result<Health> Env::health() const {
  ASPEN_ASSIGN(env::EnvHealth h, impl_->health());
  Health out;
  out.last_txnid = h.last_txnid;
  out.oldest_txnid = h.oldest_txnid;
  out.reader_lag = h.reader_lag;
  out.oldest_pid = h.oldest_pid;
  out.oldest_thread = h.oldest_tid;
  out.oldest_age_ms = h.oldest_age_ms;
  out.oldest_leased = h.oldest_leased;
  out.readers_pinning = h.readers_pinning;
  out.slots_used = h.slots_used;
  out.stale_slots = h.stale_slots;
  out.slots_high_water = h.slots_high_water;
  out.max_readers = h.max_readers;
  out.pages_known = h.pages_known;
  out.free_pages = h.free_pages;
  out.pages_held_back = h.pages_held_back;
  out.page_size = h.page_size;
  out.pages_used = h.pages_used;
  out.map_size = h.map_size;
  out.last_commit_known = h.last_commit_known;
  out.last_commit_pages = h.last_commit_pages;
  return out;
}

void Env::reader_list(const std::function<void(const ReaderInfo&)>& fn) const {
  impl_->reader_list([&](const env::ReaderInfo& r) { fn(ReaderInfo{r.pid, r.tid, r.txnid}); });
}

void Env::set_user_context(void* ctx) { impl_->user_context = ctx; }
void* Env::user_context() const { return impl_->user_context; }

Result<Txn> Env::begin(TxnRef* parent, unsigned flags) {
  if (!is_open()) return ASPEN_ERROR(EINVAL);
  ASPEN_ASSIGN(std::unique_ptr<txn::Transaction> t,
               txn::Transaction::begin(*impl_, parent ? parent->native() : nullptr, flags & kReadOnly));
  return Txn(t.release());
}

Result<ReadTxn> Env::begin_read() {
  ASPEN_ASSIGN(Txn t, begin(nullptr, kReadOnly));
  return ReadTxn(std::move(t));
}

Result<WriteTxn> Env::begin_write() {
  ASPEN_ASSIGN(Txn t, begin(nullptr, 0));
  return WriteTxn(std::move(t));
}

const char* version(int* major, int* minor, int* patch) {
  if (major) *major = 0;
  if (minor) *minor = 9;
  if (patch) *patch = 70;
  return "LMDB 0.9.70: (Aspen 0.1.0, November 21, 2026)";
}

}  // namespace aspen
