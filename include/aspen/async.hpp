// Aspen's asynchronous read API (public header; layer: async, beyond LMDB): C++20 coroutines that read pages
// through io_uring, so that one thread keeps many lookups in flight on data that is not in memory instead of
// stalling in a page fault for each.
//
//   auto ex = aspen::async::Executor::open(env, {.mode = aspen::async::ReadMode::kHybrid});
//   auto txn = aspen::async::Txn::begin(**ex);             // pins a snapshot, like Env::begin_read
//   (*ex)->spawn(lookup(*txn, key));                        // lookup: a coroutine returning Task<void> that
//   (*ex)->run();                                           //   does `auto v = co_await txn.get(dbi, key);`
//
// Types (namespace aspen::async):
//   Task<T>    a lazily started coroutine: co_await it from another coroutine, or hand a Task<void> to
//              Executor::spawn. Move-only; destroying one that never ran is fine.
//   Executor   one thread's scheduler and page reader (a UringPager or the map). run() runs spawned tasks
//              to completion; run_once() is one step for an existing event loop, which watches event_fd().
//   Txn        a read transaction for coroutines: the same snapshot semantics as ReadTxn (it is one: it pins
//              its snapshot in a reader slot and reads that snapshot's roots), with awaitable get().
//   Cursor     awaitable first / seek / next over one database of a Txn.
//   Value      a value returned by get(): its bytes and the pin that keeps them in memory.
//
// Read modes (ExecutorOptions::mode; measured side by side in docs/ASYNC.md):
//   kHybrid  resident pages zero-copy from the map; cold pages are read through io_uring, which brings them
//            into the page cache: the lookups that waited for such a read use its buffer, later ones the map.
//            With direct_leaves, a point lookup's cold leaf is read around the page cache (O_DIRECT) the
//            first time. Values point into the map, or into a read buffer they pin.
//   kPool    every page is read through io_uring into the executor's buffer pool (CLOCK eviction), with
//            O_DIRECT by default (no second copy in the page cache). Values point into pool frames they pin.
//   O_DIRECT is used only for pages a residency probe found not in the page cache, where a page that a
//   NOSYNC commit left dirty would be: direct reads never return stale bytes (docs/ASYNC.md).
//   kMap     the map alone (cold pages fault synchronously): the coroutine API over the synchronous engine's
//            page access, for comparison.
// I/O backends (ExecutorOptions::backend): io_uring when the kernel allows it (kAuto), else a pread thread
// pool; kSync does every read inline (for tests). Results are identical whichever is used.
//
// What is covered: get() on any database, DUPSORT included (it answers the first duplicate, as mdb_get
// does), values inline, on overflow pages, or in DUPFIXED sub-pages and sub-trees; Cursor first / seek
// (MDB_SET_RANGE) / next (MDB_NEXT: through every duplicate of a DUPSORT key, then the next key).
// Not covered (use the ReadTxn, see Txn::read_txn()): prev/last, the *_DUP and *_MULTIPLE cursor ops,
// writes (they keep going through WriteTxn). A named database's record is loaded through the map the first
// time a Txn uses it (its MAIN path is prefetched asynchronously first, so that costs minor faults only).
//
// Lifetimes: a Value stays valid until it is destroyed or its Txn ends, whichever comes first (kPool: until
// destroyed, while the Executor lives; do not rely on it past the Txn). A Cursor's Entry stays valid until the
// cursor's next operation. The key passed to get()/seek() must stay valid until the call completes (tasks
// start lazily). A Txn must outlive the tasks using it; an Executor must outlive its Txns, tasks and Values.
// Errors are values: get() answers code::kNotFound, kBadValsize, kCorrupted, kPageNotFound, EINVAL,
// kBadTxn/kOusted (as ReadTxn would), or an I/O errno. Coroutine frames are allocated with operator new:
// running out of memory there terminates (the one place this API does not return ENOMEM).
//
// Thread-safety: an Executor, its Txns, cursors and tasks belong to the thread that opened the Executor.
// Several executors (one per thread) may share an Env.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "aspen/aspen.hpp"

namespace aspen::async {

class Executor;
template <class T>
class Task;

namespace detail {
struct ExecutorImpl;
struct TxnState;
struct CursorState;
// A spawned task finished: the executor counts it out.
void task_finished(Executor* executor);
// Pins of pool frames held by Values (opaque here).
void unpin(void* frame);
// Coroutine frames come from a per-thread cache of recently freed frames of the same size class (a lookup
// creates and frees a few frames of the same sizes over and over), else from operator new.
void* allocate_frame(size_t size);
void free_frame(void* frame, size_t size) noexcept;

struct PromiseBase {
  std::coroutine_handle<> continuation;
  Executor* owner = nullptr;  // set for a task given to Executor::spawn

  static void* operator new(size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, size_t size) noexcept { free_frame(frame, size); }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
      PromiseBase& p = h.promise();
      if (p.continuation) return p.continuation;
      if (Executor* owner = p.owner) {
        h.destroy();  // a spawned task is owned by nobody else: it frees itself
        task_finished(owner);
      }
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { std::terminate(); }  // nothing in Aspen throws on purpose
};

template <class T>
struct ValuePromise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

struct VoidPromise : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};

// What Task<T> and Task<void> share: the owned coroutine handle and awaiting it (the awaiter resumes when
// the task finishes, through FinalAwaiter).
template <class Promise>
class TaskHandle {
 public:
  TaskHandle() = default;
  TaskHandle(TaskHandle&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  TaskHandle& operator=(TaskHandle&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  TaskHandle(const TaskHandle&) = delete;
  TaskHandle& operator=(const TaskHandle&) = delete;
  ~TaskHandle() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }

 protected:
  explicit TaskHandle(std::coroutine_handle<Promise> h) : h_(h) {}
  std::coroutine_handle<Promise> h_;
};
}  // namespace detail

template <class T>
class [[nodiscard]] Task : public detail::TaskHandle<detail::ValuePromise<T>> {
 public:
  using promise_type = detail::ValuePromise<T>;
  Task() = default;
  T await_resume() { return std::move(*this->h_.promise().value); }

 private:
  friend promise_type;
  explicit Task(std::coroutine_handle<promise_type> h) : detail::TaskHandle<promise_type>(h) {}
};

template <>
class [[nodiscard]] Task<void> : public detail::TaskHandle<detail::VoidPromise> {
 public:
  using promise_type = detail::VoidPromise;
  Task() = default;
  void await_resume() {}
  // Gives the coroutine up (Executor::spawn).
  std::coroutine_handle<promise_type> release() { return std::exchange(h_, {}); }

 private:
  friend promise_type;
  explicit Task(std::coroutine_handle<promise_type> h) : detail::TaskHandle<promise_type>(h) {}
};

namespace detail {
template <class T>
Task<T> ValuePromise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<ValuePromise<T>>::from_promise(*this));
}
inline Task<void> VoidPromise::get_return_object() {
  return Task<void>(std::coroutine_handle<VoidPromise>::from_promise(*this));
}
}  // namespace detail

enum class ReadMode : uint8_t { kHybrid, kPool, kMap };
enum class IoBackend : uint8_t { kAuto, kUring, kThreads, kSync };
const char* mode_name(ReadMode mode);
const char* backend_name(IoBackend backend);

struct ExecutorOptions {
  ReadMode mode = ReadMode::kHybrid;
  IoBackend backend = IoBackend::kAuto;
  unsigned queue_depth = 256;     // reads in flight at most (more wait in a backlog)
  size_t pool_pages = 16384;      // the buffer pool (64 MiB of 4 KiB pages): kPool's cache; kHybrid's reads in
                                  // flight (and, with direct_leaves, the leaves it read around the page cache)
  unsigned io_threads = 4;        // workers of the kThreads backend
  unsigned submits_per_step = 8;  // run_once hands the reads its tasks queue to the kernel this many times
                                   // (spread over the tasks it runs; 1: once, after them all)
  uint32_t residency_ms = 200;    // kHybrid: a page seen resident is trusted for one to two such periods
  bool direct_io = true;          // kPool: read the pages it misses with O_DIRECT where the file system allows
                                  // (no second copy in the page cache)
  bool direct_leaves = false;     // kHybrid: read a point lookup's leaf or overflow run around the page cache
                                  // (O_DIRECT) the first time; for data far larger than memory whose lookups
                                  // seldom repeat (a reused page is read from the device twice: ASYNC.md)
  bool prefault_pool = false;     // back the whole pool with memory at open, instead of faulting each
                                  // frame in during its first read (faster first pass; all memory up front)
};

struct ExecutorStats {
  uint64_t fetches = 0;          // page (or overflow run) requests
  uint64_t hits = 0;             // answered without waiting
  uint64_t reads = 0;            // reads issued
  uint64_t read_pages = 0;
  uint64_t joined = 0;           // requests that joined a read in flight
  uint64_t residency_probes = 0; // mincore calls
  uint64_t direct_reads = 0;     // reads with O_DIRECT
  uint64_t evictions = 0;        // kPool
  uint64_t suspensions = 0;      // times a coroutine waited for a read
};

class Executor {
 public:
  // An executor reading `env`'s data file. The Env must stay open for the executor's life.
  static Result<std::unique_ptr<Executor>> open(Env& env, const ExecutorOptions& options = {});
  // Runs the tasks still pending to completion first.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Takes a task over; it starts at the next run()/run_once() and frees itself when it finishes.
  void spawn(Task<void> task);
  // Runs until every spawned task has finished. EDEADLK if tasks remain that nothing can wake.
  Status run();
  // One step for an event loop: resumes the tasks ready now, hands their reads to the kernel and collects
  // finished reads (whose tasks run at the next step). With `wait`, blocks for a read when no task is ready.
  // Returns the number of tasks resumed.
  Result<size_t> run_once(bool wait = false);
  // Readable when run_once() has finished reads to deliver; -1 in kMap mode (which never waits for reads).
  int event_fd() const;
  size_t tasks() const;            // spawned tasks not finished
  bool ready() const;              // some task can run now (run_once will not block)
  ReadMode mode() const;
  IoBackend backend() const;       // the backend in use (kAuto resolved)
  ExecutorStats stats() const;
  Env& env() const;

  detail::ExecutorImpl& impl() const { return *impl_; }

 private:
  explicit Executor(std::unique_ptr<detail::ExecutorImpl> impl);
  std::unique_ptr<detail::ExecutorImpl> impl_;
};

// A value answered by Txn::get: the bytes, and (kPool) the pin that keeps its page in the pool. Move-only.
class Value {
 public:
  Value() = default;
  Value(Bytes bytes, void* pin) : bytes_(bytes), pin_(pin) {}
  Value(Value&& other) noexcept : bytes_(other.bytes_), pin_(std::exchange(other.pin_, nullptr)) {}
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      reset();
      bytes_ = other.bytes_;
      pin_ = std::exchange(other.pin_, nullptr);
    }
    return *this;
  }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value() { reset(); }

  Bytes bytes() const { return bytes_; }
  std::string_view view() const { return string_of(bytes_); }
  size_t size() const { return bytes_.size(); }
  const std::byte* data() const { return bytes_.data(); }
  void reset() {
    if (pin_) detail::unpin(std::exchange(pin_, nullptr));
    bytes_ = {};
  }

 private:
  Bytes bytes_;
  void* pin_ = nullptr;
};

class Cursor;

class Txn {
 public:
  // Begins a read transaction on the executor's environment (Env::begin_read: same reader slot rules).
  static Result<Txn> begin(Executor& executor);
  // Adopts a read transaction begun on this thread.
  static Result<Txn> adopt(Executor& executor, ReadTxn txn);
  Txn(Txn&&) noexcept;
  Txn& operator=(Txn&&) noexcept;
  ~Txn();  // aborts the read transaction. REQUIRES: no task still uses it.

  // The synchronous read transaction underneath (open_db, stat, operations this API does not cover).
  ReadTxn& read_txn() const;
  uint64_t id() const;
  Executor& executor() const;

  // mdb_get: the value of `key` (DUPSORT: its first duplicate). The key's bytes must stay valid until the
  // task completes.
  Task<Result<Value>> get(Dbi dbi, Bytes key) const;
  Task<Result<Value>> get(Dbi dbi, std::string_view key) const { return get(dbi, bytes_of(key)); }
  Result<Cursor> cursor(Dbi dbi) const;

  detail::TxnState& state() const { return *state_; }

 private:
  explicit Txn(std::unique_ptr<detail::TxnState> state);
  std::unique_ptr<detail::TxnState> state_;
};

// An asynchronous read cursor. Each operation answers the entry it lands on; the entry's bytes stay valid
// until the cursor's next operation or its destruction. One operation at a time per cursor.
class Cursor {
 public:
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  ~Cursor();

  Task<Result<Entry>> first();               // MDB_FIRST
  Task<Result<Entry>> seek(Bytes key);       // MDB_SET_RANGE: the first key >= key (its first duplicate)
  Task<Result<Entry>> next();                // MDB_NEXT: the next duplicate, else the next key

 private:
  friend class Txn;
  explicit Cursor(std::unique_ptr<detail::CursorState> state);
  std::unique_ptr<detail::CursorState> state_;
};

}  // namespace aspen::async
