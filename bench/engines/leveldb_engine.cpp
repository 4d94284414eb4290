// LevelDB (Debian libleveldb-dev) (bench adapter). Log on; async mode = WriteOptions::sync false (the log record
// is written to the OS), sync mode = sync true (log fsync per commit). Compression off (incompressible values),
// 256 MiB block cache, otherwise defaults. A snapshot per Reader::begin(). LevelDB's Get copies the value into
// a std::string (reused per reader); it has no zero-copy read.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <string>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

leveldb::Slice slice_of(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

class LevelReader final : public Reader {
 public:
  explicit LevelReader(leveldb::DB* db) : db_(db) {}
  ~LevelReader() override { end(); }

  bool begin() override {
    snapshot_ = db_->GetSnapshot();
    options_.snapshot = snapshot_;
    return true;
  }
  void end() override {
    if (snapshot_) db_->ReleaseSnapshot(snapshot_);
    snapshot_ = nullptr;
    options_.snapshot = nullptr;
  }

  bool get(std::string_view key, uint64_t* checksum) override {
    leveldb::Status s = db_->Get(options_, slice_of(key), &value_);
    if (!s.ok()) {
      if (!s.IsNotFound()) error_ = s.ToString();
      return false;
    }
    *checksum = fold_value(*checksum, value_.data(), value_.size());
    return true;
  }

  uint64_t scan(uint64_t* checksum) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options_));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      leveldb::Slice k = it->key(), v = it->value();
      *checksum = fold_value(*checksum, k.data(), k.size());
      *checksum = fold_value(*checksum, v.data(), v.size());
      ++n;
    }
    if (!it->status().ok()) {
      error_ = it->status().ToString();
      return UINT64_MAX;
    }
    return n;
  }

  std::string error() const override { return error_; }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_ = nullptr;
  leveldb::ReadOptions options_;
  std::string value_;
  std::string error_;
};

class LevelEngine final : public Engine {
 public:
  ~LevelEngine() override { close(); }
  std::string_view name() const override { return "leveldb"; }

  std::string open(const EngineConfig& config) override {
    cache_.reset(leveldb::NewLRUCache(size_t{256} << 20));
    leveldb::Options options;
    options.create_if_missing = true;
    options.compression = leveldb::kNoCompression;
    options.block_cache = cache_.get();
    write_options_.sync = config.durability == Durability::kSync;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, config.dir, &db);
    if (!s.ok()) return s.ToString();
    db_.reset(db);
    return {};
  }

  std::string write(std::span<const WriteOp> ops) override {
    leveldb::WriteBatch batch;
    for (const WriteOp& op : ops) {
      if (op.is_delete) batch.Delete(slice_of(op.key));
      else batch.Put(slice_of(op.key), slice_of(op.value));
    }
    leveldb::Status s = db_->Write(write_options_, &batch);
    return s.ok() ? std::string() : s.ToString();
  }

  std::unique_ptr<Reader> reader(std::string*) override { return std::make_unique<LevelReader>(db_.get()); }

  void close() override {
    db_.reset();
    cache_.reset();
  }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "log on, sync=false: commit written to the OS, no sync"
                                   : "log on, sync=true: log fsync per commit";
  }
  std::string settings_text() const override {
    return "LevelDB " + std::to_string(leveldb::kMajorVersion) + "." + std::to_string(leveldb::kMinorVersion) +
           ", no compression, 256 MiB block cache";
  }

 private:
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<Engine> make_leveldb_engine() { return std::make_unique<LevelEngine>(); }

}  // namespace aspen::bench
