// Aspen through its C++ API (bench adapter). Same settings as the liblmdb adapter: default flags plus
// MDB_NOSYNC in async mode, no WRITEMAP, a 64 GiB map bound (--map-size), mdb_get for point reads, a cursor for scans.
// Durable commits use Aspen's opt-in one-flush commit (docs/COMMIT.md §7): one fdatasync per commit instead of
// liblmdb's two, with the same guarantee for Aspen (a commit's pages are checked against its meta at open).
// "aspen-grow" is the same adapter opened with no map size, so the map grows as the data does (issue 6): the
// two side by side measure what the growth costs.
#include <memory>
#include <string>

#include "aspen/aspen.hpp"
#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

std::string describe(const char* what, int code) {
  return std::string(what) + ": " + aspen::error_message(code);
}

class AspenReader final : public Reader {
 public:
  AspenReader(aspen::Env* env, aspen::Dbi dbi) : env_(env), dbi_(dbi) {}
  bool begin() override {
    if (txn_) {  // reuse the reader slot, as mdb_txn_renew does
      Status st = txn_.renew();
      if (st.ok()) return true;
      return fail("renew", st.code());
    }
    Result<ReadTxn> t = env_->begin_read();
    if (!t.ok()) return fail("begin_read", t.code());
    txn_ = std::move(t).value();
    return true;
  }
  void end() override { txn_.reset(); }

  bool get(std::string_view key, uint64_t* checksum) override {
    Result<Bytes> v = txn_.get(dbi_, bytes_of(key));
    if (!v.ok()) {
      if (v.code() != code::kNotFound) fail("get", v.code());
      return false;
    }
    *checksum = fold_value(*checksum, v->data(), v->size());
    return true;
  }

  uint64_t scan(uint64_t* checksum) override {
    Result<Cursor> c = txn_.cursor(dbi_);
    if (!c.ok()) {
      fail("cursor", c.code());
      return UINT64_MAX;
    }
    uint64_t n = 0;
    Bytes key, value;
    Status st = c->get(CursorOp::kFirst, &key, &value);
    while (st.ok()) {
      *checksum = fold_value(*checksum, key.data(), key.size());
      *checksum = fold_value(*checksum, value.data(), value.size());
      ++n;
      st = c->get(CursorOp::kNext, &key, &value);
    }
    if (st.code() != code::kNotFound) {
      fail("cursor next", st.code());
      return UINT64_MAX;
    }
    return n;
  }

  std::string error() const override { return error_; }

 private:
  bool fail(const char* what, int code) {
    error_ = describe(what, code);
    return false;
  }
  aspen::Env* env_;
  aspen::Dbi dbi_;
  ReadTxn txn_;
  std::string error_;
};

class AspenEngine final : public Engine {
 public:
  explicit AspenEngine(bool grow) : grow_(grow) {}
  std::string_view name() const override { return grow_ ? "aspen-grow" : "aspen"; }

  std::string open(const EngineConfig& config) override {
    EnvOptions options;
    options.map_size = grow_ ? 0 : config.map_size;
    options.max_readers = 126;
    options.flags = config.durability == Durability::kAsync ? unsigned{kNoSync} : 0u;
    options.single_flush_commit = config.durability == Durability::kSync;
    Result<Env> env = Env::open(config.dir, options);
    if (!env.ok()) return describe("open", env.code());
    env_ = std::move(env).value();
    Result<WriteTxn> txn = env_.begin_write();
    if (!txn.ok()) return describe("begin_write", txn.code());
    Result<Dbi> dbi = txn->open_db(nullptr, 0);
    if (!dbi.ok()) return describe("open_db", dbi.code());
    dbi_ = *dbi;
    map_size_ = options.map_size;
    Status st = txn->commit();
    return st.ok() ? std::string() : describe("commit", st.code());
  }

  std::string write(std::span<const WriteOp> ops) override {
    Result<WriteTxn> txn = env_.begin_write();
    if (!txn.ok()) return describe("begin_write", txn.code());
    for (const WriteOp& op : ops) {
      Status st = op.is_delete ? txn->del(dbi_, op.key) : txn->put(dbi_, op.key, op.value);
      if (!st.ok() && !(op.is_delete && st.code() == code::kNotFound)) return describe("put/del", st.code());
    }
    Status st = txn->commit();
    return st.ok() ? std::string() : describe("commit", st.code());
  }

  std::unique_ptr<Reader> reader(std::string*) override { return std::make_unique<AspenReader>(&env_, dbi_); }

  void close() override { env_.close(); }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "MDB_NOSYNC: commit written to the OS, no sync"
                                   : "one-flush commit: write data, write meta + manifest, one fdatasync per commit";
  }
  std::string settings_text() const override {
    if (grow_) return "C++ API, no map size (the map grows), no WRITEMAP";
    return "C++ API, map bound " + std::to_string(map_size_ >> 20) + " MiB, no WRITEMAP";
  }

 private:
  bool grow_;
  Env env_;
  aspen::Dbi dbi_ = 0;
  uint64_t map_size_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_aspen_engine() { return std::make_unique<AspenEngine>(false); }
std::unique_ptr<Engine> make_aspen_grow_engine() { return std::make_unique<AspenEngine>(true); }

}  // namespace aspen::bench
