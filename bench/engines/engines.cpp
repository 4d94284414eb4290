// The registry of engine adapters compiled into aspen_bench (bench). An adapter is compiled only when its
// engine's development package was found at configure time (ASPEN_BENCH_HAVE_<NAME>, set by CMakeLists.txt).
#include <array>
#include <memory>
#include <string_view>

#include "engine.hpp"
#include "engines/factories.hpp"

namespace aspen::bench {
namespace {

struct EngineEntry {
  std::string_view name;
  std::string_view package;  // the Debian package that provides it
  std::unique_ptr<Engine> (*make)();
};

constexpr std::array<EngineEntry, 7> kEngines{{
    {"aspen", "(built from this tree)", make_aspen_engine},
    {"aspen-grow", "(built from this tree)", make_aspen_grow_engine},
#ifdef ASPEN_BENCH_HAVE_LMDB
    {"lmdb", "liblmdb-dev", make_lmdb_engine},
#else
    {"lmdb", "liblmdb-dev", nullptr},
#endif
#ifdef ASPEN_BENCH_HAVE_ROCKSDB
    {"rocksdb", "librocksdb-dev", make_rocksdb_engine},
#else
    {"rocksdb", "librocksdb-dev", nullptr},
#endif
#ifdef ASPEN_BENCH_HAVE_LEVELDB
    {"leveldb", "libleveldb-dev", make_leveldb_engine},
#else
    {"leveldb", "libleveldb-dev", nullptr},
#endif
#ifdef ASPEN_BENCH_HAVE_SQLITE
    {"sqlite", "libsqlite3-dev", make_sqlite_engine},
#else
    {"sqlite", "libsqlite3-dev", nullptr},
#endif
#ifdef ASPEN_BENCH_HAVE_WIREDTIGER
    {"wiredtiger", "libwiredtiger-dev", make_wiredtiger_engine},
#else
    {"wiredtiger", "libwiredtiger-dev", nullptr},
#endif
}};

constexpr std::array<std::string_view, 7> kNames{"aspen", "lmdb", "rocksdb", "leveldb", "sqlite", "wiredtiger",
                                                 "aspen-grow"};

const EngineEntry* find(std::string_view name) {
  for (const EngineEntry& e : kEngines)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

std::span<const std::string_view> all_engine_names() { return kNames; }

bool engine_by_default(std::string_view name) { return name != "aspen-grow"; }

bool engine_compiled(std::string_view name) {
  const EngineEntry* e = find(name);
  return e && e->make;
}

std::unique_ptr<Engine> create_engine(std::string_view name) {
  const EngineEntry* e = find(name);
  return e && e->make ? e->make() : nullptr;
}

std::string_view engine_package(std::string_view name) {
  const EngineEntry* e = find(name);
  return e ? e->package : std::string_view();
}

}  // namespace aspen::bench
