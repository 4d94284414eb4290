/* hello_lmdb: the smallest C program using the LMDB API of an installed Aspen (examples/installed/).
 *
 *   usage: hello_lmdb ENV_DIR      (the directory must exist)
 *
 * Written against lmdb.h alone, as any LMDB program is: writes one record, reads it back, and prints the
 * version of the library that was loaded, which names Aspen when Aspen's liblmdb.so.0 is the one in use.
 * Exit status 0 when the record reads back as written. */
#include <stdio.h>
#include <string.h>

#include "lmdb.h"

static int fail(const char* what, int rc) {
  fprintf(stderr, "hello_lmdb: %s: %s\n", what, mdb_strerror(rc));
  return 1;
}

int main(int argc, char** argv) {
  MDB_env* env;
  MDB_txn* txn;
  MDB_dbi dbi;
  MDB_val key = {5, "hello"}, value = {5, "world"}, found;
  int rc;
  if (argc != 2) return fputs("usage: hello_lmdb ENV_DIR\n", stderr), 1;
  if ((rc = mdb_env_create(&env)) != 0) return fail("mdb_env_create", rc);
  if ((rc = mdb_env_open(env, argv[1], 0, 0644)) != 0) return fail("mdb_env_open", rc);
  if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0) return fail("mdb_txn_begin", rc);
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) return fail("mdb_dbi_open", rc);
  if ((rc = mdb_put(txn, dbi, &key, &value, 0)) != 0) return fail("mdb_put", rc);
  if ((rc = mdb_txn_commit(txn)) != 0) return fail("mdb_txn_commit", rc);
  if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) return fail("mdb_txn_begin", rc);
  if ((rc = mdb_get(txn, dbi, &key, &found)) != 0) return fail("mdb_get", rc);
  printf("hello -> %.*s\n%s\n", (int)found.mv_size, (const char*)found.mv_data, mdb_version(NULL, NULL, NULL));
  rc = found.mv_size == 5 && memcmp(found.mv_data, "world", 5) == 0 ? 0 : 1;
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return rc;
}
