// WiredTiger (Debian libwiredtiger-dev 3.2.1) (bench adapter). A row-store table `table:kv` with raw byte keys
// and values (key_format=u, value_format=u), logging on; async mode = transaction_sync=(enabled,method=none)
// (each commit's log record is written to the OS, never synced), sync mode = method=fsync (log fsync per
// commit). The cache is sized to the data set (2 x keys x (key + value), 256 MiB to 4 GiB) as WiredTiger
// recommends, since it reads through its own cache rather than the OS map. One session per thread; a read
// snapshot is a snapshot-isolation transaction.
#include <wiredtiger.h>

#include <algorithm>
#include <memory>
#include <string>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

std::string describe(const char* what, int rc) { return std::string(what) + ": " + wiredtiger_strerror(rc); }

WT_ITEM item_of(std::string_view s) {
  WT_ITEM item{};
  item.data = s.data();
  item.size = s.size();
  return item;
}

// A session with one cursor on the table; closed on destruction.
class Session {
 public:
  ~Session() {
    if (session_) session_->close(session_, nullptr);
  }
  int open(WT_CONNECTION* conn) {
    int rc = conn->open_session(conn, nullptr, nullptr, &session_);
    if (rc == 0) rc = session_->open_cursor(session_, "table:kv", nullptr, nullptr, &cursor_);
    return rc;
  }
  WT_SESSION* session() const { return session_; }
  WT_CURSOR* cursor() const { return cursor_; }

 private:
  WT_SESSION* session_ = nullptr;
  WT_CURSOR* cursor_ = nullptr;
};

class WiredTigerReader final : public Reader {
 public:
  explicit WiredTigerReader(std::unique_ptr<Session> s) : s_(std::move(s)) {}
  ~WiredTigerReader() override { end(); }

  bool begin() override {
    int rc = s_->session()->begin_transaction(s_->session(), "isolation=snapshot");
    if (rc != 0) return fail("begin_transaction", rc);
    open_ = true;
    return true;
  }
  void end() override {
    if (open_) s_->session()->commit_transaction(s_->session(), nullptr);
    open_ = false;
  }

  bool get(std::string_view key, uint64_t* checksum) override {
    WT_CURSOR* c = s_->cursor();
    WT_ITEM k = item_of(key), v{};
    c->set_key(c, &k);
    int rc = c->search(c);
    if (rc == 0) rc = c->get_value(c, &v);
    if (rc != 0) {
      if (rc != WT_NOTFOUND) fail("search", rc);
      return false;
    }
    *checksum = fold_value(*checksum, v.data, v.size);
    return true;
  }

  uint64_t scan(uint64_t* checksum) override {
    WT_CURSOR* c = s_->cursor();
    c->reset(c);
    uint64_t n = 0;
    int rc;
    while ((rc = c->next(c)) == 0) {
      WT_ITEM k{}, v{};
      if ((rc = c->get_key(c, &k)) != 0 || (rc = c->get_value(c, &v)) != 0) break;
      *checksum = fold_value(*checksum, k.data, k.size);
      *checksum = fold_value(*checksum, v.data, v.size);
      ++n;
    }
    c->reset(c);
    if (rc != WT_NOTFOUND) {
      fail("next", rc);
      return UINT64_MAX;
    }
    return n;
  }

  std::string error() const override { return error_; }

 private:
  bool fail(const char* what, int rc) {
    error_ = describe(what, rc);
    return false;
  }
  std::unique_ptr<Session> s_;
  bool open_ = false;
  std::string error_;
};

class WiredTigerEngine final : public Engine {
 public:
  ~WiredTigerEngine() override { close(); }
  std::string_view name() const override { return "wiredtiger"; }

  std::string open(const EngineConfig& config) override {
    uint64_t data = 2 * config.num_keys * (16 + config.value_size);
    cache_mib_ = std::clamp<uint64_t>(data >> 20, 256, 4096);
    std::string conf = "create,session_max=64,cache_size=" + std::to_string(cache_mib_) +
                       "MB,log=(enabled=true),transaction_sync=(enabled=true,method=" +
                       (config.durability == Durability::kAsync ? "none)" : "fsync)");
    int rc = wiredtiger_open(config.dir.c_str(), nullptr, conf.c_str(), &conn_);
    if (rc != 0) return describe("wiredtiger_open", rc);
    WT_SESSION* setup = nullptr;
    rc = conn_->open_session(conn_, nullptr, nullptr, &setup);
    if (rc == 0) rc = setup->create(setup, "table:kv", "key_format=u,value_format=u");
    if (setup) setup->close(setup, nullptr);
    if (rc != 0) return describe("create", rc);
    writer_ = std::make_unique<Session>();
    rc = writer_->open(conn_);
    return rc == 0 ? std::string() : describe("open_session", rc);
  }

  std::string write(std::span<const WriteOp> ops) override {
    WT_SESSION* s = writer_->session();
    WT_CURSOR* c = writer_->cursor();
    int rc = s->begin_transaction(s, nullptr);
    if (rc != 0) return describe("begin_transaction", rc);
    for (const WriteOp& op : ops) {
      WT_ITEM k = item_of(op.key), v = item_of(op.value);
      c->set_key(c, &k);
      if (op.is_delete) {
        rc = c->remove(c);
        if (rc == WT_NOTFOUND) rc = 0;
      } else {
        c->set_value(c, &v);
        rc = c->insert(c);
      }
      if (rc != 0) {
        s->rollback_transaction(s, nullptr);
        return describe("insert/remove", rc);
      }
    }
    c->reset(c);
    rc = s->commit_transaction(s, nullptr);
    return rc == 0 ? std::string() : describe("commit_transaction", rc);
  }

  std::unique_ptr<Reader> reader(std::string* error) override {
    auto s = std::make_unique<Session>();
    int rc = s->open(conn_);
    if (rc != 0) {
      *error = describe("open_session", rc);
      return nullptr;
    }
    return std::make_unique<WiredTigerReader>(std::move(s));
  }

  void close() override {
    writer_.reset();
    if (conn_) conn_->close(conn_, nullptr);
    conn_ = nullptr;
  }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "log on, transaction_sync method=none: commit written to the OS, no sync"
                                   : "log on, transaction_sync method=fsync: log fsync per commit";
  }
  std::string settings_text() const override {
    return std::string(WIREDTIGER_VERSION_STRING) + ", row store, cache " + std::to_string(cache_mib_) + " MiB";
  }

 private:
  WT_CONNECTION* conn_ = nullptr;
  std::unique_ptr<Session> writer_;
  uint64_t cache_mib_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_wiredtiger_engine() { return std::make_unique<WiredTigerEngine>(); }

}  // namespace aspen::bench
