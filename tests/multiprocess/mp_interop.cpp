// mp_interop: live sharing of one environment between Aspen processes and processes linked to Debian's real
// liblmdb (lmdb_peer), at the same time.
//
// Usage: mp_interop PATH_TO_lmdb_peer [INCREMENTS] [GROW_MIB]
//
// Phases (each bounded in time; exit status 0 when all pass, a message on stderr otherwise):
//   1. counter: an Aspen writer and a liblmdb writer each increment a shared counter INCREMENTS times, in
//      contention for the one writer mutex, while an Aspen reader and a liblmdb reader check every snapshot
//      they see (counter == mirror == number of log entries, in order). The counter ends exactly right and
//      each writer's log entries number INCREMENTS.
//   2. writer death: a liblmdb writer killed -9 inside its transaction (holding the writer mutex) does not
//      block Aspen's next write, and its put is gone; an Aspen writer killed the same way does not block
//      liblmdb's next write, and its put is gone.
//   3. leases: an Aspen writer with readers holding old snapshots ousts an Aspen reader whose lease expired
//      (it gets code::kOusted) but never a liblmdb reader, not even one whose slot carries a forged, expired
//      Aspen record: the liblmdb reader's snapshot stays intact while the writer churns pages.
//   4. growth (issue 6): an Aspen writer with no map size grows a fresh environment from 1 MiB to GROW_MIB
//      (default 48) of values while a liblmdb reader opened with no map size (it adopts the file's, 1 MiB)
//      and an Aspen reader check every snapshot of the grow model (grow_model.hpp); the liblmdb reader must
//      have met MDB_MAP_RESIZED and adopted the new size with mdb_env_set_mapsize(env, 0), as liblmdb users
//      do. Then the other way round: a liblmdb writer with a 256 MiB map grows a fresh environment while an
//      Aspen reader (no map size, opened on the 1 MiB file) and a liblmdb reader check snapshots; no error
//      may reach the Aspen reader.
#include <poll.h>

#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "env/environment.hpp"
#include "grow_model.hpp"
#include "mp_util.hpp"

namespace {

const char* const kWho = "mp_interop";
constexpr unsigned kChildTimeoutMs = 60000;

std::string make_dir(const char* name) {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/aspen-mp-" + name + "-XXXXXX";
  return mkdtemp(pattern.data()) ? pattern : std::string();
}

aspen::Result<aspen::Env> open_env(const std::string& dir, uint32_t lease_lag = 0) {
  aspen::EnvOptions options;
  options.flags = aspen::kNoSync;
  options.reader_lease_lag = lease_lag;
  return aspen::Env::open(dir, options);
}

// Aspen's counter writer and reader, as forked children (each opens its own Env).
int aspen_writer(const std::string& dir, long increments) {
  auto env = open_env(dir);
  if (!env.ok()) return mp::fail("aspen writer", std::string("open: ") + aspen::error_message(env.code()));
  for (long i = 0; i < increments; ++i) {
    auto n = mp::increment(*env, 'A');
    if (!n.ok()) return mp::fail("aspen writer", std::string("increment: ") + aspen::error_message(n.code()));
    if (rand() % 4 == 0) usleep(static_cast<useconds_t>(rand() % 2000));
  }
  return 0;
}

int aspen_reader(const std::string& dir, unsigned ms) {
  auto env = open_env(dir);
  if (!env.ok()) return mp::fail("aspen reader", std::string("open: ") + aspen::error_message(env.code()));
  const uint64_t end = mp::now_ms() + ms;
  uint64_t last_id = 0, reads = 0;
  while (mp::now_ms() < end) {
    auto txn = env->begin_read();
    if (!txn.ok()) return mp::fail("aspen reader", std::string("begin: ") + aspen::error_message(txn.code()));
    if (txn->id() < last_id) return mp::fail("aspen reader", "txnid went back");
    last_id = txn->id();
    uint64_t counter;
    std::string why;
    if (!mp::check_counter_snapshot(*txn, &counter, &why)) return mp::fail("aspen reader", why);
    ++reads;
  }
  std::fprintf(stderr, "aspen reader: %llu snapshots checked\n", static_cast<unsigned long long>(reads));
  return 0;
}

bool phase_counter(const std::string& peer, long increments) {
  std::string dir = make_dir("counter");
  {
    auto env = open_env(dir);
    if (!env.ok()) return mp::fail(kWho, "create env") == 0;
  }
  const unsigned read_ms = 3000;
  const std::string n = std::to_string(increments);
  mp::Child lmdb_writer = mp::spawn({peer, "counter", dir, n, "L"});
  mp::Child lmdb_reader = mp::spawn({peer, "reader", dir, std::to_string(read_ms)});
  mp::Child aspen_w = mp::fork_child([&](int, int) { return aspen_writer(dir, increments); });
  mp::Child aspen_r = mp::fork_child([&](int, int) { return aspen_reader(dir, read_ms); });
  int rc_lw = mp::wait_for(lmdb_writer.pid, kChildTimeoutMs);
  int rc_aw = mp::wait_for(aspen_w.pid, kChildTimeoutMs);
  int rc_lr = mp::wait_for(lmdb_reader.pid, kChildTimeoutMs);
  int rc_ar = mp::wait_for(aspen_r.pid, kChildTimeoutMs);
  std::string reads;
  mp::read_line(lmdb_reader.out, &reads, 100);
  for (mp::Child* c : {&lmdb_writer, &lmdb_reader, &aspen_w, &aspen_r}) c->close_pipes();
  if (rc_lw || rc_aw || rc_lr || rc_ar) {
    std::fprintf(stderr, "%s: counter phase exits: lmdb writer %d, aspen writer %d, lmdb reader %d, aspen reader %d\n",
                 kWho, rc_lw, rc_aw, rc_lr, rc_ar);
    return false;
  }
  auto env = open_env(dir);
  if (!env.ok()) return mp::fail(kWho, "reopen") == 0;
  auto txn = env->begin_read();
  uint64_t counter = 0;
  std::string why;
  if (!txn.ok() || !mp::check_counter_snapshot(*txn, &counter, &why)) return mp::fail(kWho, "final snapshot: " + why) == 0;
  long by_aspen = 0, by_lmdb = 0, switches = 0;
  char previous = 0;
  for (uint64_t i = 1; i <= counter; ++i) {
    auto tag = txn->get(1, mp::log_key(i));
    if (!tag.ok() || tag->size() != 1) continue;
    if (*tag == "A") ++by_aspen;
    if (*tag == "L") ++by_lmdb;
    if (previous && (*tag)[0] != previous) ++switches;  // the writer mutex changed hands between processes
    previous = (*tag)[0];
  }
  std::fprintf(stderr, "%s: counter = %llu (aspen %ld, liblmdb %ld, %ld hand-overs); liblmdb reader: %s\n", kWho,
               static_cast<unsigned long long>(counter), by_aspen, by_lmdb, switches, reads.c_str());
  txn->abort();
  env->close();
  std::filesystem::remove_all(dir);
  if (counter != static_cast<uint64_t>(2 * increments) || by_aspen != increments || by_lmdb != increments)
    return mp::fail(kWho, "the counter is wrong") == 0;
  if (switches < 4) return mp::fail(kWho, "the writers did not run concurrently (too few hand-overs)") == 0;
  return true;
}

bool phase_writer_death(const std::string& peer) {
  std::string dir = make_dir("death");
  auto env = open_env(dir);
  if (!env.ok() || !mp::increment(*env, 'A').ok()) return mp::fail(kWho, "create env") == 0;
  auto dbi = aspen::Dbi{1};

  // a. A liblmdb writer dies holding the writer mutex: Aspen's next write goes through, without its put.
  mp::Child lmdb_writer = mp::spawn({peer, "hold-writer", dir});
  std::string line;
  if (!mp::read_line(lmdb_writer.out, &line, 20000) || line != "READY")
    return mp::fail(kWho, "liblmdb writer did not start: " + line) == 0;
  kill(lmdb_writer.pid, SIGKILL);
  mp::wait_for(lmdb_writer.pid, 10000);
  lmdb_writer.close_pipes();
  alarm(20);  // a writer mutex that never recovers ends the test with SIGALRM
  {
    auto txn = env->begin_write();
    if (!txn.ok()) return mp::fail(kWho, std::string("begin_write after liblmdb died: ") + aspen::error_message(txn.code())) == 0;
    if (txn->get(dbi, "ghost").code() != aspen::code::kNotFound) return mp::fail(kWho, "liblmdb's dead put is visible") == 0;
    if (!txn->put(dbi, "after_lmdb", "1").ok() || !txn->commit().ok()) return mp::fail(kWho, "commit after liblmdb died") == 0;
  }
  alarm(0);

  // b. An Aspen writer dies holding the writer mutex: liblmdb's next write goes through, without its put.
  mp::Child aspen_w = mp::fork_child([&](int up, int) {
    auto mine = open_env(dir);
    if (!mine.ok()) return 2;
    auto txn = mine->begin_write();
    if (!txn.ok() || !txn->put(dbi, "ghost2", "x").ok()) return 3;
    mp::write_line(up, "READY");
    for (;;) pause();
  });
  if (!mp::read_line(aspen_w.out, &line, 20000) || line != "READY")
    return mp::fail(kWho, "aspen writer did not start") == 0;
  kill(aspen_w.pid, SIGKILL);
  mp::wait_for(aspen_w.pid, 10000);
  aspen_w.close_pipes();
  mp::Child check = mp::spawn({peer, "write-check", dir});
  int rc = mp::wait_for(check.pid, 30000);
  check.close_pipes();
  if (rc != 0) return mp::fail(kWho, "liblmdb's write after the Aspen writer died: exit " + std::to_string(rc)) == 0;
  auto txn = env->begin_read();
  if (!txn.ok() || !txn->get(dbi, "after").ok() || !txn->get(dbi, "after_lmdb").ok() ||
      txn->get(dbi, "ghost2").code() != aspen::code::kNotFound)
    return mp::fail(kWho, "after both deaths the data is wrong") == 0;
  uint64_t counter;
  std::string why;
  if (!mp::check_counter_snapshot(*txn, &counter, &why) || counter != 1) return mp::fail(kWho, why) == 0;
  txn->abort();
  env->close();
  std::filesystem::remove_all(dir);
  std::fprintf(stderr, "%s: writer deaths on both sides recovered\n", kWho);
  return true;
}

// Writes a record in the liblmdb reader's slot that would oust it if only the record were checked.
void forge_expired_record(aspen::env::ReaderTable& table, unsigned slot, uint64_t txnid) {
  auto* s = reinterpret_cast<aspen::format::ReaderSlot*>(table.pin_word(slot));
  s->record.seq = 2;
  s->record.txnid = txnid;
  s->record.pinned_at = 1;
  s->record.max_age_ms = 1;
  s->record.max_lag = 1;
  s->record.reserved = 0;
  std::atomic_thread_fence(std::memory_order_release);
  s->record.magic = aspen::format::kReaderRecordMagic;
}

bool slot_of(aspen::env::Environment& env, pid_t pid, aspen::env::ReaderInfo* out) {
  bool found = false;
  env.reader_list([&](const aspen::env::ReaderInfo& r) {
    if (r.pid == pid && r.txnid != aspen::format::kIdleReader) {
      *out = r;
      found = true;
    }
  });
  return found;
}

// Commits `rounds` write transactions that allocate and free pages, far enough apart in time for the writer's
// reclaim check (Environment::kReclaimIntervalMs) to run in each.
bool churn(aspen::Env& env, int rounds) {
  const std::string value(900, 'c');
  for (int r = 0; r < rounds; ++r) {
    auto txn = env.begin_write();
    if (!txn.ok()) return false;
    for (int i = 0; i < 24; ++i) {
      std::string key = "churn:" + std::to_string(i);
      if (!txn->put(1, key, r % 2 ? value : value.substr(0, 500)).ok()) return false;
    }
    if (!txn->commit().ok()) return false;
    mp::sleep_ms(aspen::env::Environment::kReclaimIntervalMs + 5);
  }
  return true;
}

bool phase_leases(const std::string& peer) {
  std::string dir = make_dir("lease");
  auto env = open_env(dir);
  if (!env.ok() || !churn(*env, 2)) return mp::fail(kWho, "create env") == 0;
  for (int i = 0; i < 3; ++i)
    if (!mp::increment(*env, 'A').ok()) return mp::fail(kWho, "increment") == 0;

  // An Aspen reader with a lease of 1 transaction of lag, in another process.
  mp::Child leased = mp::fork_child([&](int up, int down) {
    auto mine = open_env(dir, /*lease_lag=*/1);
    if (!mine.ok()) return 2;
    auto txn = mine->begin_read();
    uint64_t counter;
    std::string why;
    if (!txn.ok() || !mp::check_counter_snapshot(*txn, &counter, &why)) return 3;
    mp::write_line(up, "READY");
    std::string go;
    if (!mp::read_line(down, &go, 60000)) return 4;
    auto got = txn->get(1, "counter");
    if (got.code() != aspen::code::kOusted) return 5;
    txn->abort();
    auto fresh = mine->begin_read();  // a new transaction works again
    return fresh.ok() && mp::check_counter_snapshot(*fresh, &counter, &why) ? 0 : 6;
  });
  std::string line;
  if (!mp::read_line(leased.out, &line, 20000) || line != "READY") return mp::fail(kWho, "leased reader did not start") == 0;
  mp::Child lmdb_reader = mp::spawn({peer, "hold-reader", dir});
  if (!mp::read_line(lmdb_reader.out, &line, 20000) || line.rfind("READY ", 0) != 0)
    return mp::fail(kWho, "liblmdb reader did not start: " + line) == 0;
  const uint64_t lmdb_txnid = std::strtoull(line.c_str() + 6, nullptr, 10);

  aspen::env::Environment& native = *env->native();
  aspen::env::ReaderInfo lmdb_slot{}, aspen_slot{};
  if (!slot_of(native, lmdb_reader.pid, &lmdb_slot) || lmdb_slot.txnid != lmdb_txnid)
    return mp::fail(kWho, "the liblmdb reader's slot is not in the table") == 0;
  if (!slot_of(native, leased.pid, &aspen_slot)) return mp::fail(kWho, "the leased reader's slot is not in the table") == 0;
  forge_expired_record(native.readers(), lmdb_slot.slot, lmdb_txnid);

  if (!churn(*env, 8)) return mp::fail(kWho, "churn") == 0;
  aspen::env::ReaderInfo after{};
  const bool aspen_ousted = !slot_of(native, leased.pid, &after);
  const bool lmdb_kept = slot_of(native, lmdb_reader.pid, &after) && after.txnid == lmdb_txnid;
  auto health = env->health();
  if (!aspen_ousted) return mp::fail(kWho, "the Aspen reader past its lease was not ousted") == 0;
  if (!lmdb_kept) return mp::fail(kWho, "the liblmdb reader was ousted") == 0;
  if (!health.ok() || health->oldest_pid != lmdb_reader.pid || health->oldest_txnid != lmdb_txnid ||
      health->oldest_leased || health->reader_lag == 0)
    return mp::fail(kWho, "health() does not name the liblmdb reader as the oldest") == 0;
  std::fprintf(stderr, "%s: leased Aspen reader ousted; liblmdb reader kept (lag %llu, %llu pages held back)\n", kWho,
               static_cast<unsigned long long>(health->reader_lag),
               static_cast<unsigned long long>(health->pages_held_back));

  mp::write_line(leased.in, "go");
  int rc_a = mp::wait_for(leased.pid, 20000);
  mp::write_line(lmdb_reader.in, "go");
  bool ok_line = mp::read_line(lmdb_reader.out, &line, 20000) && line == "OK";
  int rc_l = mp::wait_for(lmdb_reader.pid, 20000);
  leased.close_pipes();
  lmdb_reader.close_pipes();
  if (rc_a != 0) return mp::fail(kWho, "leased reader: exit " + std::to_string(rc_a)) == 0;
  if (!ok_line || rc_l != 0) return mp::fail(kWho, "liblmdb reader's snapshot: exit " + std::to_string(rc_l)) == 0;
  env->close();
  std::filesystem::remove_all(dir);
  return true;
}

// An Aspen reader of the grow model, as a forked child: checks snapshots until a line arrives on its command
// pipe, then reports "READS n MAP bytes" on its report pipe.
int aspen_grow_reader(const std::string& dir, int up, int down) {
  auto env = open_env(dir);
  if (!env.ok()) return mp::fail("aspen grow reader", std::string("open: ") + aspen::error_message(env.code()));
  uint64_t reads = 0, last_id = 0, last_count = 0;
  std::string line;
  for (;;) {
    struct pollfd p = {down, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) break;  // the driver asks us to stop
    auto txn = env->begin_read();
    if (!txn.ok()) return mp::fail("aspen grow reader", std::string("begin: ") + aspen::error_message(txn.code()));
    if (txn->id() < last_id) return mp::fail("aspen grow reader", "txnid went back");
    last_id = txn->id();
    uint64_t count = 0;
    std::string why;
    if (!mp::grow_check(*txn, &count, &why)) return mp::fail("aspen grow reader", why);
    if (count < last_count) return mp::fail("aspen grow reader", "count went back");
    last_count = count;
    ++reads;
  }
  {
    // One more snapshot after the stop: the writer is done by now, and the reported map must cover what it
    // wrote last (the loop may have stopped before reading that commit).
    auto txn = env->begin_read();
    uint64_t count = 0;
    std::string why;
    if (!txn.ok() || !mp::grow_check(*txn, &count, &why)) return mp::fail("aspen grow reader", "final read: " + why);
  }
  auto info = env->info();
  mp::write_line(up, "READS " + std::to_string(reads) + " MAP " + std::to_string(info.ok() ? info->map_size : 0));
  return 0;
}

// Stops a grow reader (a line on its stdin / command pipe; not closing it, since other children may hold
// copies) and returns its report line, or "" when it failed.
std::string stop_grow_reader(mp::Child& c, const char* who) {
  mp::write_line(c.in, "stop");
  std::string line;
  bool got = mp::read_line(c.out, &line, kChildTimeoutMs);
  int rc = mp::wait_for(c.pid, kChildTimeoutMs);
  c.close_pipes();
  std::fprintf(stderr, "%s: %s: %s (exit %d)\n", kWho, who, got ? line.c_str() : "no report", rc);
  return got && rc == 0 ? line : std::string();
}

uint64_t field(const std::string& line, const char* name) {
  size_t at = line.find(std::string(name) + " ");
  return at == std::string::npos ? 0 : std::strtoull(line.c_str() + at + std::strlen(name) + 1, nullptr, 10);
}

uint64_t data_file_size(const std::string& dir) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(dir + "/data.mdb", ec);
  return ec ? 0 : size;
}

// 4a. Aspen grows the environment; a liblmdb and an Aspen reader read.
bool phase_aspen_grows(const std::string& peer, uint64_t grow_bytes) {
  std::string dir = make_dir("grow-aspen");
  auto env = open_env(dir);  // no map size
  if (!env.ok() || !mp::grow_batch(*env).ok()) return mp::fail(kWho, "create env") == 0;
  const uint64_t initial_map = env->info()->map_size;
  mp::Child lmdb_reader = mp::spawn({peer, "grow-reader", dir, "0"});
  mp::Child aspen_r = mp::fork_child([&](int up, int down) { return aspen_grow_reader(dir, up, down); });
  uint64_t written = 0;
  while (written < grow_bytes) {
    auto added = mp::grow_batch(*env);
    if (!added.ok()) return mp::fail(kWho, std::string("aspen grow batch: ") + aspen::error_message(added.code())) == 0;
    written += *added;
  }
  const uint64_t final_map = env->info()->map_size;
  const std::string lmdb_line = stop_grow_reader(lmdb_reader, "liblmdb reader while Aspen grows");
  const std::string aspen_line = stop_grow_reader(aspen_r, "Aspen reader while Aspen grows");
  const uint64_t file = data_file_size(dir);
  env->close();
  std::filesystem::remove_all(dir);
  std::fprintf(stderr, "%s: Aspen grew the map from %llu to %llu MiB (data.mdb %llu MiB)\n", kWho,
               static_cast<unsigned long long>(initial_map >> 20), static_cast<unsigned long long>(final_map >> 20),
               static_cast<unsigned long long>(file >> 20));
  if (lmdb_line.empty() || aspen_line.empty()) return false;
  if (field(lmdb_line, "READS") == 0 || field(aspen_line, "READS") == 0) return mp::fail(kWho, "a reader read nothing") == 0;
  if (field(lmdb_line, "RESIZES") == 0) return mp::fail(kWho, "liblmdb never saw MDB_MAP_RESIZED") == 0;
  if (file < 16 * initial_map) return mp::fail(kWho, "the file did not grow well beyond its initial size") == 0;
  return true;
}

// 4b. liblmdb grows the environment (a set 256 MiB map); an Aspen and a liblmdb reader read.
bool phase_lmdb_grows(const std::string& peer, uint64_t grow_bytes) {
  std::string dir = make_dir("grow-lmdb");
  {
    auto env = open_env(dir);  // a fresh file that records a 1 MiB map
    if (!env.ok() || !mp::grow_batch(*env).ok()) return mp::fail(kWho, "create env") == 0;
  }
  const uint64_t initial_file = data_file_size(dir);
  mp::Child aspen_r = mp::fork_child([&](int up, int down) { return aspen_grow_reader(dir, up, down); });
  mp::Child lmdb_reader = mp::spawn({peer, "grow-reader", dir, "0"});
  mp::Child writer = mp::spawn({peer, "grow-writer", dir, std::to_string(uint64_t{256} << 20), std::to_string(grow_bytes)});
  std::string writer_line;
  mp::read_line(writer.out, &writer_line, kChildTimeoutMs);
  const int rc_w = mp::wait_for(writer.pid, kChildTimeoutMs);
  writer.close_pipes();
  const std::string aspen_line = stop_grow_reader(aspen_r, "Aspen reader while liblmdb grows");
  const std::string lmdb_line = stop_grow_reader(lmdb_reader, "liblmdb reader while liblmdb grows");
  const uint64_t file = data_file_size(dir);
  std::fprintf(stderr, "%s: liblmdb writer: %s (exit %d); data.mdb %llu -> %llu MiB\n", kWho, writer_line.c_str(), rc_w,
               static_cast<unsigned long long>(initial_file >> 20), static_cast<unsigned long long>(file >> 20));
  std::filesystem::remove_all(dir);
  if (rc_w != 0 || aspen_line.empty() || lmdb_line.empty()) return false;
  if (field(aspen_line, "READS") == 0 || field(lmdb_line, "READS") == 0) return mp::fail(kWho, "a reader read nothing") == 0;
  if (field(aspen_line, "MAP") < file) return mp::fail(kWho, "the Aspen reader's map does not cover the file") == 0;
  if (file < 16 * initial_file) return mp::fail(kWho, "the file did not grow well beyond its initial size") == 0;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return mp::fail(kWho, "usage: mp_interop PATH_TO_lmdb_peer [INCREMENTS]");
  const std::string peer = argv[1];
  const long increments = argc > 2 ? std::atol(argv[2]) : 300;
  if (!phase_counter(peer, increments)) return 1;
  if (!phase_writer_death(peer)) return 2;
  if (!phase_leases(peer)) return 3;
  const uint64_t grow_bytes = (argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 48) << 20;
  if (!phase_aspen_grows(peer, grow_bytes)) return 4;
  if (!phase_lmdb_grows(peer, grow_bytes)) return 5;
  std::fprintf(stderr, "%s: all phases passed\n", kWho);
  return 0;
}
