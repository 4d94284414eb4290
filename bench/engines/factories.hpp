// Factories of the engine adapters (bench). Each is defined in bench/engines/<name>_engine.cpp, compiled only
// when that engine's development package was found (ASPEN_BENCH_HAVE_<NAME>).
#pragma once

#include <memory>

#include "engine.hpp"

namespace aspen::bench {

std::unique_ptr<Engine> make_aspen_engine();
std::unique_ptr<Engine> make_aspen_grow_engine();  // no map size: the map grows
std::unique_ptr<Engine> make_lmdb_engine();
std::unique_ptr<Engine> make_rocksdb_engine();
std::unique_ptr<Engine> make_leveldb_engine();
std::unique_ptr<Engine> make_sqlite_engine();
std::unique_ptr<Engine> make_wiredtiger_engine();

}  // namespace aspen::bench
