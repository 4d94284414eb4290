/* lockfile_probe: the real liblmdb's side of the lock.mdb interop test (tests/interop, run by lockfile_interop).
 *
 * Usage: lockfile_probe DIR PEER_PID PEER_TXNID EXPECTED_DEAD MAX_READERS
 *
 * DIR/lock.mdb was created and is held open by an Aspen process (PEER_PID) through env::ReaderTable. The probe
 * opens the environment with liblmdb, which must join that lock file rather than re-initialise it, and checks:
 *   1. mdb_reader_list shows PEER_PID's slot pinning PEER_TXNID;
 *   2. mdb_reader_check frees exactly EXPECTED_DEAD slots (a dead child's, whose pid lock is gone) and not the
 *      peer's (whose pid lock Aspen holds);
 *   3. me_maxreaders comes from the file Aspen sized;
 * then it opens a read transaction (its own slot, through the shared reader mutex), prints "READY <pid>" and
 * waits for a line on stdin while the peer inspects that slot; finally it commits one write transaction
 * (the shared writer mutex and mti_txnid) and prints "DONE".
 * Exit status 0 on success; otherwise the number of the failed step, with a message on stderr.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct Listing {
  char text[8192];
  size_t used;
};

static int collect(const char* msg, void* ctx) {
  struct Listing* l = (struct Listing*)ctx;
  size_t n = strlen(msg);
  if (l->used + n >= sizeof l->text) return -1;
  memcpy(l->text + l->used, msg, n + 1);
  l->used += n;
  return 0;
}

/* True if the listing has a line "<pid> <thread> <txnid>" for pid with that txnid. */
static int listed(const struct Listing* l, long pid, const char* txnid) {
  const char* line = l->text;
  while (line && *line) {
    long p = 0;
    char thread[32], txn[32];
    if (sscanf(line, "%ld %31s %31s", &p, thread, txn) == 3 && p == pid && strcmp(txn, txnid) == 0) return 1;
    line = strchr(line, '\n');
    if (line) line++;
  }
  return 0;
}

static int fail(int step, const char* what, int rc) {
  fprintf(stderr, "lockfile_probe: step %d: %s: %s\n", step, what, rc ? mdb_strerror(rc) : "mismatch");
  return step;
}

static int check_table(MDB_env* env, long peer, const char* peer_txnid, int expected_dead, unsigned max_readers) {
  struct Listing listing;
  MDB_envinfo info;
  int dead = -1, rc;
  listing.used = 0;
  listing.text[0] = '\0';
  if ((rc = mdb_reader_list(env, collect, &listing)) < 0) return fail(2, "mdb_reader_list", rc);
  if (!listed(&listing, peer, peer_txnid)) {
    fprintf(stderr, "%s", listing.text);
    return fail(2, "peer slot not listed", 0);
  }
  if ((rc = mdb_reader_check(env, &dead)) != 0) return fail(3, "mdb_reader_check", rc);
  if (dead != expected_dead) {
    fprintf(stderr, "dead = %d, expected %d\n", dead, expected_dead);
    return fail(3, "stale readers", 0);
  }
  if ((rc = mdb_env_info(env, &info)) != 0) return fail(4, "mdb_env_info", rc);
  if (info.me_maxreaders != max_readers) return fail(4, "maxreaders", 0);
  return 0;
}

static int write_one(MDB_env* env) {
  MDB_txn* txn;
  MDB_dbi dbi;
  char k[] = "k", v[] = "v";
  MDB_val key, val;
  int rc;
  key.mv_size = 1;
  key.mv_data = k;
  val.mv_size = 1;
  val.mv_data = v;
  rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc) return fail(6, "write mdb_txn_begin", rc);
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) || (rc = mdb_put(txn, dbi, &key, &val, 0))) {
    mdb_txn_abort(txn);
    return fail(6, "put", rc);
  }
  if ((rc = mdb_txn_commit(txn)) != 0) return fail(6, "commit", rc);
  return 0;
}

int main(int argc, char** argv) {
  MDB_env* env;
  MDB_txn* reader;
  char line[64];
  int rc;
  if (argc != 6) {
    fprintf(stderr, "usage: %s DIR PEER_PID PEER_TXNID EXPECTED_DEAD MAX_READERS\n", argv[0]);
    return 64;
  }
  if ((rc = mdb_env_create(&env)) != 0) return fail(1, "mdb_env_create", rc);
  if ((rc = mdb_env_open(env, argv[1], 0, 0644)) != 0) return fail(1, "mdb_env_open", rc);
  rc = check_table(env, atol(argv[2]), argv[3], atoi(argv[4]), (unsigned)atoi(argv[5]));
  if (rc) return rc;
  if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &reader)) != 0) return fail(5, "read mdb_txn_begin", rc);
  printf("READY %ld\n", (long)getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return fail(5, "no go from the peer", 0);
  mdb_txn_abort(reader);
  if ((rc = write_one(env)) != 0) return rc;
  mdb_env_close(env);
  printf("DONE\n");
  fflush(stdout);
  return 0;
}
