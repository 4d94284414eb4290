// fuzz_make_seeds DIR: writes the seed corpus of fuzz_open (small data.mdb files of every page kind) into
// DIR/fuzz_open and of fuzz_ops (short random programs) into DIR/fuzz_ops. The committed corpora under
// tests/fuzz/corpus were made by it; rerun it after a format change.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "aspen/aspen.hpp"

namespace {

using namespace aspen;

bool make_db(const std::string& out, const std::function<bool(Env&)>& fill) {
  const std::string dir = out + ".env";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    EnvOptions o;
    o.max_dbs = 4;
    Result<Env> env = Env::open(dir, o);
    if (!env.ok() || !fill(*env)) return false;
  }
  std::filesystem::copy_file(dir + "/data.mdb", out, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove_all(dir);
  return true;
}

bool puts(Env& env, const char* db, unsigned flags, int count, size_t value_size, int dups_per_key = 1) {
  Result<WriteTxn> txn = env.begin_write();
  if (!txn.ok()) return false;
  Result<Dbi> dbi = txn->open_db(db, flags | (db ? unsigned{kCreate} : 0u));
  if (!dbi.ok()) return false;
  for (int i = 0; i < count; ++i) {
    for (int d = 0; d < dups_per_key; ++d) {
      char k[32];
      std::snprintf(k, sizeof k, "key%05d", i);
      std::string v(value_size, static_cast<char>('a' + (i + d) % 26));
      if (dups_per_key > 1) {
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "dup%03d", d);  // fixed width: DUPFIXED values are all one size
        v = prefix + v;
      }
      if (flags & kIntegerKey) {
        uint64_t n = static_cast<uint64_t>(i) * 7;
        if (!txn->put(*dbi, Bytes{reinterpret_cast<const std::byte*>(&n), 8}, bytes_of(v)).ok()) return false;
      } else if (!txn->put(*dbi, std::string_view(k), std::string_view(v)).ok()) {
        return false;
      }
    }
  }
  return txn->commit().ok();
}

bool deletes(Env& env, int from, int to) {
  Result<WriteTxn> txn = env.begin_write();
  if (!txn.ok()) return false;
  Dbi main = *txn->open_db(nullptr);
  for (int i = from; i < to; ++i) {
    char k[32];
    std::snprintf(k, sizeof k, "key%05d", i);
    (void)txn->del(main, std::string_view(k));
  }
  return txn->commit().ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: fuzz_make_seeds DIR\n"), 2;
  const std::string open_dir = std::string(argv[1]) + "/fuzz_open", ops_dir = std::string(argv[1]) + "/fuzz_ops";
  std::filesystem::create_directories(open_dir);
  std::filesystem::create_directories(ops_dir);
  bool ok = make_db(open_dir + "/empty.mdb", [](Env&) { return true; }) &&
            make_db(open_dir + "/few_keys.mdb", [](Env& e) { return puts(e, nullptr, 0, 5, 10); }) &&
            make_db(open_dir + "/branch.mdb", [](Env& e) { return puts(e, nullptr, 0, 120, 40); }) &&
            make_db(open_dir + "/overflow.mdb", [](Env& e) { return puts(e, nullptr, 0, 2, 6000); }) &&
            make_db(open_dir + "/named_dbs.mdb", [](Env& e) {
              return puts(e, "dups", kDupSort, 3, 8, 4) && puts(e, "ints", kIntegerKey, 10, 8) &&
                     puts(e, "fixed", kDupSort | kDupFixed, 2, 8, 20);
            }) &&
            make_db(open_dir + "/dup_subtree.mdb", [](Env& e) { return puts(e, "dups", kDupSort, 1, 30, 300); }) &&
            make_db(open_dir + "/freelist.mdb", [](Env& e) {
              return puts(e, nullptr, 0, 80, 60) && deletes(e, 10, 70) && puts(e, nullptr, 0, 3, 5);
            });
  if (!ok) return std::fprintf(stderr, "fuzz_make_seeds: building a seed failed\n"), 1;
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 24; ++i) {
    std::string program(16 + rng() % (i < 12 ? 64 : 600), '\0');
    for (char& c : program) c = static_cast<char>(rng());
    std::ofstream(ops_dir + "/random_" + std::to_string(i), std::ios::binary) << program;
  }
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
