// ExecutorImpl and PageAwait: the executor's state and the one awaitable every asynchronous read is built on
// (layer: async). See include/aspen/async.hpp for the public contract.
//
// Scheduling: a coroutine that needs a page co_awaits a PageAwait. When the pager has the page now the
// coroutine goes on without suspending; otherwise the PageAwait (a pager::Waiter) is queued on the read and
// the coroutine suspends. When the read completes, the pager (inside poll()) calls the waiter's `ready`,
// which appends the coroutine to `ready`; run_once() resumes it at its next step. Nothing is resumed from
// inside the pager, so a resumed coroutine may fetch again freely.
// Thread-safety: the executor's thread only.
#pragma once

#include <coroutine>
#include <deque>
#include <memory>

#include "aspen/async.hpp"
#include "pager/pager.hpp"
#include "pager/uring_pager.hpp"

namespace aspen::env {
class Environment;
}

namespace aspen::async::detail {

struct ExecutorImpl {
  Env* env = nullptr;
  env::Environment* environment = nullptr;
  ExecutorOptions options;
  std::unique_ptr<pager::Pager> pager;
  pager::UringPager* uring = nullptr;  // the pager, when it reads (kPool, kHybrid)
  std::deque<std::coroutine_handle<>> ready;
  size_t live = 0;                     // spawned tasks not finished
  uint64_t suspensions = 0;
};

// What a walk needs to know of its snapshot.
struct Snapshot {
  uint64_t txnid = 0;
  uint64_t page_limit = 0;  // one past the last page that may be read
  size_t page_size = 0;
};

// co_await PageAwait(ex, snap, pgno, count, shared) -> Result<pager::PageRef>. A run outside the snapshot's
// pages is MDB_PAGE_NOTFOUND at once, as Transaction::page answers it. `shared`: PageRequest::shared.
class PageAwait : public pager::Waiter {
 public:
  PageAwait(ExecutorImpl& ex, const Snapshot& snap, uint64_t pgno, unsigned count = 1, bool shared = true) : ex_(&ex) {
    request_ = pager::PageRequest{pgno, count, snap.txnid, snap.page_limit, shared};
    ready = &wake;
    if (pgno >= snap.page_limit || count > snap.page_limit - pgno) {
      failed = true;
      error = ASPEN_PAGE_ERROR(code::kPageNotFound, pgno);
    }
  }
  bool await_ready() {
    if (failed) return true;
    Result<bool> now = ex_->pager->fetch(request_, &page, this);
    if (!now.ok()) {
      failed = true;
      error = now.error();
      return true;
    }
    return *now;
  }
  void await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    ++ex_->suspensions;
  }
  Result<pager::PageRef> await_resume() {
    if (failed) return error;
    return std::move(page);
  }

 private:
  static void wake(pager::Waiter* w) {
    auto* self = static_cast<PageAwait*>(w);
    self->ex_->ready.push_back(self->handle_);
  }

  ExecutorImpl* ex_;
  pager::PageRequest request_;
  std::coroutine_handle<> handle_;
};

}  // namespace aspen::async::detail
