// read_with_liblmdb (tests/crash). See lmdb_reader.hpp. Built against Debian's <lmdb.h> and -llmdb only.
#include "lmdb_reader.hpp"

#include <lmdb.h>

#include <cstring>
#include <memory>

namespace aspen::crash {
namespace {

std::string failed(const char* step, int rc) { return std::string("liblmdb ") + step + ": " + mdb_strerror(rc); }

std::string read_db(MDB_txn* txn, const LmdbDbSpec& db, LmdbContents* out) {
  MDB_dbi dbi;
  int rc = mdb_dbi_open(txn, db.name, db.flags, &dbi);
  if (rc != 0) return failed("mdb_dbi_open", rc);
  MDB_cursor* cursor;
  if ((rc = mdb_cursor_open(txn, dbi, &cursor)) != 0) return failed("mdb_cursor_open", rc);
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> closer(cursor, mdb_cursor_close);
  auto& keys = (*out)[db.label];
  MDB_val key, value;
  for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    std::string k(static_cast<const char*>(key.mv_data), key.mv_size);
    if (!db.name && (k.empty() || k[0] != 'm')) continue;
    keys[k].insert(std::string(static_cast<const char*>(value.mv_data), value.mv_size));
  }
  return rc == MDB_NOTFOUND ? "" : failed("mdb_cursor_get", rc);
}

}  // namespace

std::string read_with_liblmdb(const std::string& dir, const std::vector<LmdbDbSpec>& dbs, LmdbContents* out) {
  if (std::strstr(mdb_version(nullptr, nullptr, nullptr), "Aspen")) return "linked to Aspen's lmdb, not liblmdb";
  MDB_env* env;
  int rc = mdb_env_create(&env);
  if (rc != 0) return failed("mdb_env_create", rc);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> closer(env, mdb_env_close);
  if ((rc = mdb_env_set_maxdbs(env, 8)) != 0) return failed("mdb_env_set_maxdbs", rc);
  if ((rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644)) != 0) return failed("mdb_env_open", rc);
  MDB_txn* txn;
  if ((rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) != 0) return failed("mdb_txn_begin", rc);
  std::unique_ptr<MDB_txn, void (*)(MDB_txn*)> aborter(txn, mdb_txn_abort);
  out->clear();
  for (const LmdbDbSpec& db : dbs)
    if (std::string why = read_db(txn, db, out); !why.empty()) return why + " (" + db.label + ")";
  return "";
}

}  // namespace aspen::crash
