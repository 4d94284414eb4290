// RocksDB (Debian librocksdb-dev) (bench adapter). Write-ahead log on; async mode = WriteOptions::sync false
// (the WAL record is written to the OS), sync mode = sync true (WAL fsync per commit). Compression off (the
// values are incompressible random bytes, and the B+tree engines do not compress), 256 MiB block cache,
// otherwise defaults. Point reads use PinnableSlice (no copy); a snapshot per Reader::begin().
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

rocksdb::Slice slice_of(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class RocksReader final : public Reader {
 public:
  explicit RocksReader(rocksdb::DB* db) : db_(db) {}
  ~RocksReader() override { end(); }

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
    value_.Reset();
    rocksdb::Status s = db_->Get(options_, db_->DefaultColumnFamily(), slice_of(key), &value_);
    if (!s.ok()) {
      if (!s.IsNotFound()) error_ = s.ToString();
      return false;
    }
    *checksum = fold_value(*checksum, value_.data(), value_.size());
    return true;
  }

  uint64_t scan(uint64_t* checksum) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options_));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
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
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  rocksdb::ReadOptions options_;
  rocksdb::PinnableSlice value_;
  std::string error_;
};

class RocksEngine final : public Engine {
 public:
  ~RocksEngine() override { close(); }
  std::string_view name() const override { return "rocksdb"; }

  std::string open(const EngineConfig& config) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(size_t{256} << 20);
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    write_options_.sync = config.durability == Durability::kSync;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, config.dir, &db);
    if (!s.ok()) return s.ToString();
    db_.reset(db);
    return {};
  }

  std::string write(std::span<const WriteOp> ops) override {
    rocksdb::WriteBatch batch;
    for (const WriteOp& op : ops) {
      rocksdb::Status s = op.is_delete ? batch.Delete(slice_of(op.key)) : batch.Put(slice_of(op.key), slice_of(op.value));
      if (!s.ok()) return s.ToString();
    }
    rocksdb::Status s = db_->Write(write_options_, &batch);
    return s.ok() ? std::string() : s.ToString();
  }

  std::unique_ptr<Reader> reader(std::string*) override { return std::make_unique<RocksReader>(db_.get()); }

  void close() override {
    if (db_) (void)db_->Close();
    db_.reset();
  }

  std::string durability_text(Durability d) const override {
    return d == Durability::kAsync ? "WAL on, sync=false: commit written to the OS, no sync"
                                   : "WAL on, sync=true: WAL fsync per commit";
  }
  std::string settings_text() const override {
    return "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
           std::to_string(ROCKSDB_PATCH) + ", no compression, 256 MiB block cache";
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<Engine> make_rocksdb_engine() { return std::make_unique<RocksEngine>(); }

}  // namespace aspen::bench
