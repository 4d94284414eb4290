// LockRegistry (layer: env). See lock_registry.hpp.
#include "env/lock_registry.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <new>
#include <vector>

#include "os/file.hpp"
#include "os/process.hpp"

namespace aspen::env {
namespace {

struct Entry {
  os::FileId id;
  pid_t pid;  // the process that opened the table
  std::weak_ptr<ReaderTable> table;
};

struct Parked {
  os::FileId id;
  int fd;  // an inherited lock-file descriptor kept open while this process has its own table of the file
};

struct State {
  std::mutex mutex;  // not a pthread recursive mutex: those cannot be unlocked in a forked child
  std::vector<Entry> entries;
  std::vector<Parked> parked;
};

thread_local int t_depth = 0;  // how many Guards this thread holds

void enter();
void leave();

// Never destroyed: tables may be released by static destructors after main returns.
State& state() {
  static State* s = [] {
    auto* created = new State;
    // A fork while another thread holds the mutex would leave it locked forever in the child.
    ::pthread_atfork(enter, leave, leave);
    return created;
  }();
  return *s;
}

void enter() {
  if (t_depth++ == 0) state().mutex.lock();
}
void leave() {
  if (--t_depth == 0) state().mutex.unlock();
}

bool live_table_here(const State& st, const os::FileId& id) {
  const pid_t self = os::pid();
  for (const Entry& e : st.entries)
    if (e.pid == self && e.id == id && !e.table.expired()) return true;
  return false;
}

void prune(State& st) {
  st.entries.erase(std::remove_if(st.entries.begin(), st.entries.end(),
                                  [](const Entry& e) { return e.table.expired(); }),
                   st.entries.end());
}

// The shared_ptr deleter: runs under the registry lock, so that no open can take new locks on the file
// between our decision and the close of our descriptor.
void destroy_table(ReaderTable* table) {
  LockRegistry::Guard guard;
  State& st = state();
  Result<os::FileId> id = table->identity();
  if (id.ok() && !table->opened_here() && live_table_here(st, *id)) {
    st.parked.push_back({*id, table->release_fd()});
  }
  delete table;
  prune(st);
  if (!id.ok() || live_table_here(st, *id)) return;
  // No table of this file remains in this process: parked descriptors may close (their locks are gone).
  for (auto it = st.parked.begin(); it != st.parked.end();) {
    if (it->id == *id) {
      ::close(it->fd);
      it = st.parked.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

LockRegistry::Guard::Guard() { enter(); }
LockRegistry::Guard::~Guard() { leave(); }

Result<std::shared_ptr<ReaderTable>> LockRegistry::open(const std::string& lock_path,
                                                        const ReaderTableOptions& options) {
  Guard guard;
  State& st = state();
  const pid_t self = os::pid();
  if (!options.no_lock) {
    Result<os::FileId> id = os::identity_of(lock_path);
    if (id.ok()) {
      for (const Entry& e : st.entries) {
        if (e.pid != self || !(e.id == *id)) continue;
        if (std::shared_ptr<ReaderTable> shared = e.table.lock()) return shared;
      }
    }
  }
  ASPEN_ASSIGN(ReaderTable table, ReaderTable::open(lock_path, options));
  auto* raw = new (std::nothrow) ReaderTable(std::move(table));
  if (!raw) return ASPEN_ERROR(ENOMEM);
  std::shared_ptr<ReaderTable> shared(raw, destroy_table);
  Result<os::FileId> id = raw->identity();
  if (id.ok()) {
    prune(st);
    st.entries.push_back({*id, self, shared});
  }
  return shared;
}

size_t LockRegistry::live_tables() {
  Guard guard;
  State& st = state();
  const pid_t self = os::pid();
  return static_cast<size_t>(std::count_if(st.entries.begin(), st.entries.end(), [&](const Entry& e) {
    return e.pid == self && !e.table.expired();
  }));
}

}  // namespace aspen::env
