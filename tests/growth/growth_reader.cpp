// The reader process of the growth soak test (tests/growth): opens the environment itself (no map size) and
// keeps checking snapshots while the writer process grows the file, until its stdin reaches end of file.
//
// Each snapshot: the totals and the entry count agree (growth_model.hpp); the newest batch and one random
// earlier batch add up to their records; txnids and batch numbers never go back. Every 8th snapshot is held
// across a pause (the writer grows the map meanwhile) and checked again, together with a value pointer taken
// before the pause, which must still read the same bytes (the map never moves). With --reopen-ms the reader
// also closes and reopens its environment that often, so that opens of a large, growing file are exercised.
// Prints one line "READER snapshots=.. (+.. empty) held=.. batches=.. bytes=.. reopens=.. map=.." on stdout
// (empty: snapshots before the writer's first commit); exit 0, or 1 with the reason on stderr at the first
// error.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "aspen/aspen.hpp"
#include "growth_model.hpp"
#include "growth_soak.hpp"

namespace growth {
namespace {

constexpr aspen::Dbi kMain = 1;

struct ReaderStats {
  uint64_t snapshots = 0, empty = 0, held = 0, batches = 0, bytes = 0, reopens = 0, map_size = 0;
  uint64_t last_txnid = 0, last_batch = 0;
};

bool reject(std::string* why, std::string what) {
  *why = std::move(what);
  return false;
}

template <class T>
bool get_struct(aspen::TxnRef& txn, const std::string& key, T* out, std::string* why) {
  auto v = txn.get(kMain, aspen::bytes_of(key));
  if (!v.ok()) return reject(why, "get " + key.substr(0, 1) + ": " + aspen::error_message(v.code()));
  if (v->size() != sizeof(T)) return reject(why, "record of the wrong size");
  std::memcpy(out, v->data(), sizeof(T));
  return true;
}

// Walks batch `b` and compares it with its record.
bool check_batch(aspen::TxnRef& txn, uint64_t b, ReaderStats* stats, std::string* why) {
  BatchRecord want;
  if (!get_struct(txn, record_key(b), &want, why)) return false;
  auto cursor = txn.cursor(kMain);
  if (!cursor.ok()) return reject(why, "cursor");
  const std::string prefix = batch_prefix(b);
  BatchRecord got;
  auto e = cursor->seek(aspen::bytes_of(prefix));
  for (; e.ok() && e->key_string().starts_with(prefix); e = cursor->get(aspen::CursorOp::kNext)) {
    if (e->key_string() != data_key(b, static_cast<uint32_t>(got.count))) return reject(why, "keys out of order");
    if (e->value.size() != value_size(b, static_cast<uint32_t>(got.count))) return reject(why, "value size");
    got.checksum = fold(got.checksum, e->value.data(), e->value.size());
    got.bytes += e->value.size();
    ++got.count;
  }
  if (!e.ok() && e.code() != aspen::code::kNotFound) return reject(why, std::string("walk: ") + aspen::error_message(e.code()));
  if (got.count != want.count || got.bytes != want.bytes || got.checksum != want.checksum)
    return reject(why, "batch " + std::to_string(b) + " does not match its record");
  ++stats->batches;
  stats->bytes += got.bytes;
  return true;
}

// Checks one snapshot; returns its newest batch in *last (0: nothing committed yet).
bool check_snapshot(aspen::TxnRef& txn, uint64_t random, ReaderStats* stats, uint64_t* last, std::string* why) {
  Totals totals;
  auto t = txn.get(kMain, aspen::bytes_of(totals_key()));
  if (!t.ok() && t.code() == aspen::code::kNotFound) return *last = 0, true;
  if (!get_struct(txn, totals_key(), &totals, why)) return false;
  auto st = txn.stat(kMain);
  if (!st.ok()) return reject(why, std::string("stat: ") + aspen::error_message(st.code()));
  if (st->entries != totals.entries + totals.last_batch + 1) return reject(why, "entry count != totals");
  if (!check_batch(txn, totals.last_batch, stats, why)) return false;
  if (!check_batch(txn, 1 + random % totals.last_batch, stats, why)) return false;
  *last = totals.last_batch;
  return true;
}

bool stop_requested() {
  struct pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char c;
  return read(0, &c, 1) <= 0;  // end of file: the driver closed our stdin
}

// One read transaction; held (checked twice around a pause) when `hold`.
bool one_snapshot(aspen::Env& env, bool hold, uint64_t random, ReaderStats* stats, std::string* why) {
  auto txn = env.begin_read();
  if (!txn.ok()) return reject(why, std::string("begin_read: ") + aspen::error_message(txn.code()));
  if (txn->id() < stats->last_txnid) return reject(why, "txnid went back");
  stats->last_txnid = txn->id();
  uint64_t last = 0;
  if (!check_snapshot(*txn, random, stats, &last, why)) return false;
  if (last < stats->last_batch) return reject(why, "batch number went back");
  stats->last_batch = last;
  if (last == 0) {  // before the writer's first commit
    ++stats->empty;
    usleep(1000);
    return true;
  }
  ++stats->snapshots;
  if (!hold) return true;
  auto pinned = txn->get(kMain, aspen::bytes_of(data_key(last, 0)));
  if (!pinned.ok()) return reject(why, "get first value");
  const uint64_t before = fold(0, pinned->data(), pinned->size());
  usleep(50 * 1000);  // the writer commits and grows the map meanwhile
  uint64_t again = 0;
  if (!check_snapshot(*txn, random >> 7, stats, &again, why)) return false;
  if (again != last) return reject(why, "a held snapshot changed");
  if (fold(0, pinned->data(), pinned->size()) != before) return reject(why, "a value pointer changed under a held snapshot");
  ++stats->held;
  return true;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "growth reader[%d]: %s\n", static_cast<int>(getpid()), why.c_str());
  return 1;
}

}  // namespace

int run_reader(const std::string& dir, uint64_t seed, unsigned reopen_ms) {
  ReaderStats stats;
  uint64_t random = mix(seed);
  while (!stop_requested()) {
    auto env = aspen::Env::open(dir);  // no map size: the file's own, growing on demand
    if (!env.ok()) return fail(std::string("open: ") + aspen::error_message(env.code()));
    const uint64_t reopen_at = reopen_ms ? now_ms() + reopen_ms : UINT64_MAX;
    std::string why;
    while (now_ms() < reopen_at && !stop_requested()) {
      random = mix(random);
      if (!one_snapshot(*env, stats.snapshots % 8 == 7, random, &stats, &why)) return fail(why);
    }
    auto info = env->info();
    if (info.ok()) stats.map_size = info->map_size;
    ++stats.reopens;
  }
  std::printf("READER snapshots=%llu (+%llu empty) held=%llu batches=%llu bytes=%llu reopens=%llu map=%llu\n",
              static_cast<unsigned long long>(stats.snapshots), static_cast<unsigned long long>(stats.empty),
              static_cast<unsigned long long>(stats.held),
              static_cast<unsigned long long>(stats.batches), static_cast<unsigned long long>(stats.bytes),
              static_cast<unsigned long long>(stats.reopens - 1), static_cast<unsigned long long>(stats.map_size));
  return 0;
}

}  // namespace growth
