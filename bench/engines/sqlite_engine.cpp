// SQLite (Debian libsqlite3-dev) (bench adapter). One table `kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID` in
// WAL mode; async mode = synchronous=OFF (the WAL frames are written to the OS, never synced), sync mode =
// synchronous=FULL (WAL fsync per commit). Every connection maps the file (mmap_size 2 GiB, SQLite's compiled
// maximum here) and has a 256 MiB page cache. One connection per reading thread (SQLITE_OPEN_NOMUTEX); a read
// snapshot is a BEGIN ... COMMIT; values are read in place with sqlite3_column_blob.
#include <sqlite3.h>

#include <memory>
#include <string>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

constexpr const char* kTuning = "PRAGMA mmap_size=2147418112; PRAGMA cache_size=-262144;";

std::string describe(sqlite3* db, const char* what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

// A connection with its prepared statements; closed on destruction.
class Connection {
 public:
  ~Connection() {
    for (sqlite3_stmt* s : {get_, put_, del_, scan_}) sqlite3_finalize(s);
    if (db_) sqlite3_close(db_);
  }
  std::string open(const std::string& path, bool writer, const char* sync_pragma) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) return describe(db_, "open");
    std::string setup = std::string("PRAGMA journal_mode=WAL; ") + sync_pragma + kTuning;
    if (writer) setup += "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;";
    if (!exec(setup.c_str())) return describe(db_, "setup");
    if (!prepare("SELECT v FROM kv WHERE k=?1", &get_) || !prepare("SELECT k, v FROM kv ORDER BY k", &scan_) ||
        !prepare("INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", &put_) ||
        !prepare("DELETE FROM kv WHERE k=?1", &del_))
      return describe(db_, "prepare");
    return {};
  }
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  sqlite3* db() const { return db_; }
  sqlite3_stmt* get() const { return get_; }
  sqlite3_stmt* put() const { return put_; }
  sqlite3_stmt* del() const { return del_; }
  sqlite3_stmt* scan() const { return scan_; }

 private:
  bool prepare(const char* sql, sqlite3_stmt** stmt) {
    return sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) == SQLITE_OK;
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
};

class SqliteReader final : public Reader {
 public:
  explicit SqliteReader(std::unique_ptr<Connection> c) : c_(std::move(c)) {}
  ~SqliteReader() override { end(); }

  bool begin() override {
    if (!c_->exec("BEGIN")) return fail("begin");
    open_ = true;
    return true;
  }
  void end() override {
    if (open_) c_->exec("COMMIT");
    open_ = false;
  }

  bool get(std::string_view key, uint64_t* checksum) override {
    sqlite3_stmt* s = c_->get();
    sqlite3_bind_blob(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    bool found = rc == SQLITE_ROW;
    if (found) *checksum = fold_value(*checksum, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0));
    else if (rc != SQLITE_DONE) fail("get");
    sqlite3_reset(s);
    return found;
  }

  uint64_t scan(uint64_t* checksum) override {
    sqlite3_stmt* s = c_->scan();
    uint64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      *checksum = fold_value(*checksum, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0));
      *checksum = fold_value(*checksum, sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
      ++n;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
      fail("scan");
      return UINT64_MAX;
    }
    return n;
  }

  std::string error() const override { return error_; }

 private:
  bool fail(const char* what) {
    error_ = describe(c_->db(), what);
    return false;
  }
  std::unique_ptr<Connection> c_;
  bool open_ = false;
  std::string error_;
};

class SqliteEngine final : public Engine {
 public:
  std::string_view name() const override { return "sqlite"; }

  std::string open(const EngineConfig& config) override {
    path_ = config.dir + "/bench.sqlite";
    sync_pragma_ = config.durability == Durability::kAsync ? "PRAGMA synchronous=OFF; " : "PRAGMA synchronous=FULL; ";
    writer_ = std::make_unique<Connection>();
    return writer_->open(path_, true, sync_pragma_);
  }

  std::string write(std::span<const WriteOp> ops) override {
    if (!writer_->exec("BEGIN IMMEDIATE")) return describe(writer_->db(), "begin");
    for (const WriteOp& op : ops) {
      sqlite3_stmt* s = op.is_delete ? writer_->del() : writer_->put();
      sqlite3_bind_blob(s, 1, op.key.data(), static_cast<int>(op.key.size()), SQLITE_STATIC);
      if (!op.is_delete) sqlite3_bind_blob(s, 2, op.value.data(), static_cast<int>(op.value.size()), SQLITE_STATIC);
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) {
        std::string e = describe(writer_->db(), "put/del");
        writer_->exec("ROLLBACK");
        return e;
      }
    }
    return writer_->exec("COMMIT") ? std::string() : describe(writer_->db(), "commit");
  }

  std::unique_ptr<Reader> reader(std::string* error) override {
    auto c = std::make_unique<Connection>();
    *error = c->open(path_, false, sync_pragma_);
    if (!error->empty()) return nullptr;
    return std::make_unique<SqliteReader>(std::move(c));
  }

  void close() override { writer_.reset(); }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "WAL, synchronous=OFF: commit written to the OS, no sync"
                                   : "WAL, synchronous=FULL: WAL fsync per commit";
  }
  std::string settings_text() const override {
    return std::string("SQLite ") + sqlite3_libversion() + ", WITHOUT ROWID, mmap 2 GiB, 256 MiB cache";
  }

 private:
  std::string path_;
  const char* sync_pragma_ = "";
  std::unique_ptr<Connection> writer_;
};

}  // namespace

std::unique_ptr<Engine> make_sqlite_engine() { return std::make_unique<SqliteEngine>(); }

}  // namespace aspen::bench
