// liblmdb (Debian liblmdb-dev) through its C API (bench adapter). Compiled without Aspen's include path, so
// <lmdb.h> is Debian's header, and linked to Debian's liblmdb alone: Aspen's own liblmdb.so.0 (lmdb_abi) is
// never linked into aspen_bench. Settings mirror the Aspen adapter: MDB_NOSYNC in async mode, no WRITEMAP,
// 64 GiB map (--map-size), mdb_get for point reads, a cursor for scans.
#include <lmdb.h>

#include <memory>
#include <string>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

std::string describe(const char* what, int rc) { return std::string(what) + ": " + mdb_strerror(rc); }

MDB_val val_of(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

class LmdbReader final : public Reader {
 public:
  LmdbReader(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  ~LmdbReader() override {
    if (txn_) mdb_txn_abort(txn_);
  }

  bool begin() override {
    int rc = txn_ ? mdb_txn_renew(txn_) : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_);
    if (rc != 0) return fail("txn_begin/renew", rc);
    return true;
  }
  void end() override {
    if (txn_) mdb_txn_reset(txn_);
  }

  bool get(std::string_view key, uint64_t* checksum) override {
    MDB_val k = val_of(key), v;
    int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc != 0) {
      if (rc != MDB_NOTFOUND) fail("get", rc);
      return false;
    }
    *checksum = fold_value(*checksum, v.mv_data, v.mv_size);
    return true;
  }

  uint64_t scan(uint64_t* checksum) override {
    MDB_cursor* cursor = nullptr;
    int rc = mdb_cursor_open(txn_, dbi_, &cursor);
    if (rc != 0) {
      fail("cursor_open", rc);
      return UINT64_MAX;
    }
    uint64_t n = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      *checksum = fold_value(*checksum, k.mv_data, k.mv_size);
      *checksum = fold_value(*checksum, v.mv_data, v.mv_size);
      ++n;
    }
    mdb_cursor_close(cursor);
    if (rc != MDB_NOTFOUND) {
      fail("cursor_get", rc);
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
  MDB_env* env_;
  MDB_dbi dbi_;
  MDB_txn* txn_ = nullptr;
  std::string error_;
};

class LmdbEngine final : public Engine {
 public:
  ~LmdbEngine() override { close(); }
  std::string_view name() const override { return "lmdb"; }

  std::string open(const EngineConfig& config) override {
    int rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_mapsize(env_, config.map_size);
    if (rc == 0) rc = mdb_env_set_maxreaders(env_, 126);
    unsigned flags = config.durability == Durability::kAsync ? MDB_NOSYNC : 0;
    if (rc == 0) rc = mdb_env_open(env_, config.dir.c_str(), flags, 0644);
    if (rc != 0) return describe("env_open", rc);
    map_size_ = config.map_size;
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return describe("txn_begin", rc);
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return describe("dbi_open", rc);
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 ? std::string() : describe("commit", rc);
  }

  std::string write(std::span<const WriteOp> ops) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return describe("txn_begin", rc);
    for (const WriteOp& op : ops) {
      MDB_val k = val_of(op.key), v = val_of(op.value);
      rc = op.is_delete ? mdb_del(txn, dbi_, &k, nullptr) : mdb_put(txn, dbi_, &k, &v, 0);
      if (rc != 0 && !(op.is_delete && rc == MDB_NOTFOUND)) {
        mdb_txn_abort(txn);
        return describe("put/del", rc);
      }
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 ? std::string() : describe("commit", rc);
  }

  std::unique_ptr<Reader> reader(std::string*) override { return std::make_unique<LmdbReader>(env_, dbi_); }

  void close() override {
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "MDB_NOSYNC: commit written to the OS, no sync"
                                   : "default: fdatasync data, then the meta through an O_DSYNC descriptor per commit";
  }
  std::string settings_text() const override {
    return std::string(MDB_VERSION_STRING) + ", map " + std::to_string(map_size_ >> 20) + " MiB, no WRITEMAP";
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  uint64_t map_size_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_lmdb_engine() { return std::make_unique<LmdbEngine>(); }

}  // namespace aspen::bench
