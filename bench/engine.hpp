// The adapter interface every benchmarked engine implements (bench: aspen_bench).
//
// One engine = one file in bench/engines/, exposing a factory registered in engines.cpp. The runner drives every
// engine through this interface alone, so each workload issues the same calls, with the same keys, in the same
// order, on every engine.
//
// Thread-safety: an Engine is opened, written and closed by one thread. reader() may be called from any thread
// while no other thread is inside open()/close(); each Reader is used by the thread that created it. write()
// may run on one thread while Readers run on others (the "mixed" workload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace aspen::bench {

// How far a committed write has got when write() returns.
enum class Durability {
  kAsync,  // handed to the OS (survives a crash of the process, not of the machine); no fsync per commit
  kSync,   // on stable storage (fsync/fdatasync before write() returns)
};

struct EngineConfig {
  std::string dir;          // an empty directory the engine owns
  size_t value_size = 100;  // every value has this size
  uint64_t num_keys = 0;    // how many keys the workload will hold at most (for map and cache sizes)
  Durability durability = Durability::kAsync;
  uint64_t map_size = uint64_t{64} << 30;  // the map bound of the memory-mapped engines (aspen, lmdb)
};

// One write of a batch: a put of `value` under `key`, or a delete of `key` when `is_delete`.
struct WriteOp {
  std::string_view key;
  std::string_view value;
  bool is_delete = false;
};

// A reading thread's handle: a snapshot (begin/end), point reads and a full scan.
class Reader {
 public:
  virtual ~Reader() = default;
  // Starts a read snapshot; point reads and scans happen between begin() and end(). The runner renews the
  // snapshot every 1,000 point reads so that no engine pins an old version forever.
  virtual bool begin() = 0;
  virtual void end() = 0;
  // Looks `key` up. Returns false when it is absent or on error. On success `*checksum` is updated from the
  // value's size and its first and last byte, so every engine really touches the value.
  virtual bool get(std::string_view key, uint64_t* checksum) = 0;
  // Visits every entry in key order; returns how many, or UINT64_MAX on error. Updates `*checksum` as get().
  virtual uint64_t scan(uint64_t* checksum) = 0;
  // The last error's text, empty when none.
  virtual std::string error() const { return {}; }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // Opens (creating) the database in config.dir. Returns an error message, empty on success.
  virtual std::string open(const EngineConfig& config) = 0;
  // Applies `ops` in one atomic transaction with the configured durability. Returns an error message or "".
  virtual std::string write(std::span<const WriteOp> ops) = 0;
  // A new Reader for the calling thread (nullptr on error, with the reason in *error).
  virtual std::unique_ptr<Reader> reader(std::string* error) = 0;
  // Closes, releasing files (the directory is removed by the runner).
  virtual void close() = 0;
  // What a commit guarantees in `d` mode, and the settings used, in a few words for the report.
  virtual std::string durability_text(Durability d) const = 0;
  virtual std::string settings_text() const = 0;
};

// Folds a value into a checksum the way every adapter does, so the compiler cannot drop the read.
inline uint64_t fold_value(uint64_t checksum, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t v = size;
  if (size > 0) v += p[0] + (uint64_t{p[size - 1]} << 8);
  return checksum * 31 + v;
}

// The engines compiled into this binary, by name ("aspen", "lmdb", "rocksdb", "leveldb", "sqlite",
// "wiredtiger", "aspen-grow"), in report order. create_engine() returns nullptr for a name not compiled in.
std::span<const std::string_view> all_engine_names();
// Whether an engine runs when --engines is not given ("aspen-grow", Aspen with no map size, only on request).
bool engine_by_default(std::string_view name);
bool engine_compiled(std::string_view name);
std::unique_ptr<Engine> create_engine(std::string_view name);
// Why an engine is missing: the package to install.
std::string_view engine_package(std::string_view name);

}  // namespace aspen::bench
