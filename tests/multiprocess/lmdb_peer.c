/* lmdb_peer: the real liblmdb's side of the multi-process tests (tests/multiprocess, driven by mp_interop).
 *
 * Built against Debian's /usr/include/lmdb.h and -llmdb, never against Aspen's liblmdb.so.0 (it refuses to
 * run if mdb_version() names Aspen). Every command opens DIR with liblmdb, a 256 MiB map, MDB_NOSYNC.
 *
 *   lmdb_peer counter DIR N TAG   N write transactions, each: counter += 1, mirror = counter, and a log
 *                                 entry "log:<counter, 16 hex digits>" = TAG (one byte). Exit 0.
 *   lmdb_peer reader DIR MS       read transactions for MS milliseconds; each checks that its snapshot is
 *                                 consistent: counter == mirror == number of log entries, every log entry's
 *                                 key is log:<1..counter> in order, txnids never go back. Prints "READS n".
 *   lmdb_peer hold-writer DIR     begins a write transaction, puts "ghost", prints "READY", sleeps (to be
 *                                 killed holding the writer mutex).
 *   lmdb_peer write-check DIR     one write transaction (alarm: 20 s): "ghost2" must be absent; puts
 *                                 after=1 and commits.
 *   lmdb_peer hold-reader DIR     begins a read transaction, prints "READY <txnid> <counter>", waits for a
 *                                 line on stdin, then checks the snapshot still reads the same and is
 *                                 consistent (its pages were not reused under it).
 * The growth commands (grow model, see grow_check below) open DIR with the map size MAP (0: none set, the
 * file's own) and do what a liblmdb user does when another process grew the map: on MDB_MAP_RESIZED from
 * mdb_txn_begin, mdb_env_set_mapsize(env, 0) and begin again.
 *   lmdb_peer grow-writer DIR MAP BYTES    commits batches of grow entries until they hold BYTES of values.
 *   lmdb_peer grow-reader DIR MAP          checks grow snapshots until a line arrives on stdin, then prints
 *                                          "READS n RESIZES r MAP bytes".
 * Exit status 0 on success; otherwise a small number naming the failed step, with a message on stderr.
 */
#include <lmdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/select.h>
#include <unistd.h>

static int fail(int step, const char* what, int rc) {
  fprintf(stderr, "lmdb_peer[%d]: step %d: %s: %s\n", (int)getpid(), step, what, rc ? mdb_strerror(rc) : "mismatch");
  return step;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static MDB_val text(const char* s) {
  MDB_val v;
  v.mv_size = strlen(s);
  v.mv_data = (void*)s;
  return v;
}

static int open_env_map(const char* dir, MDB_env** env, size_t map_size) {
  int rc = mdb_env_create(env);
  if (rc == 0 && map_size) rc = mdb_env_set_mapsize(*env, map_size);
  if (rc == 0) rc = mdb_env_open(*env, dir, MDB_NOSYNC, 0644); /* durability is not what is tested */
  return rc;
}

static int open_env(const char* dir, MDB_env** env) { return open_env_map(dir, env, (size_t)256 << 20); }

/* Reads a u64 stored at `key`; 0 when absent. */
static int get_u64(MDB_txn* txn, MDB_dbi dbi, const char* key, uint64_t* out) {
  MDB_val k = text(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) {
    *out = 0;
    return 0;
  }
  if (rc == 0 && v.mv_size != sizeof(uint64_t)) return MDB_CORRUPTED;
  if (rc == 0) memcpy(out, v.mv_data, sizeof *out);
  return rc;
}

static int put_u64(MDB_txn* txn, MDB_dbi dbi, const char* key, uint64_t value) {
  MDB_val k = text(key), v;
  v.mv_size = sizeof value;
  v.mv_data = &value;
  return mdb_put(txn, dbi, &k, &v, 0);
}

static int increment(MDB_env* env, char tag) {
  MDB_txn* txn;
  MDB_dbi dbi;
  uint64_t counter;
  char key[32];
  MDB_val k, v;
  int rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc) return rc;
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0 && (rc = get_u64(txn, dbi, "counter", &counter)) == 0) {
    counter++;
    snprintf(key, sizeof key, "log:%016llx", (unsigned long long)counter);
    k = text(key);
    v.mv_size = 1;
    v.mv_data = &tag;
    if ((rc = put_u64(txn, dbi, "counter", counter)) == 0 && (rc = put_u64(txn, dbi, "mirror", counter)) == 0)
      rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
  }
  if (rc) {
    mdb_txn_abort(txn);
    return rc;
  }
  return mdb_txn_commit(txn);
}

static int run_counter(MDB_env* env, long n, char tag) {
  long i;
  int rc;
  for (i = 0; i < n; i++) {
    if ((rc = increment(env, tag)) != 0) return fail(10, "increment", rc);
    if (rand() % 4 == 0) usleep((useconds_t)(rand() % 2000));
  }
  return 0;
}

/* Checks one snapshot: counter == mirror == number of log entries, keys log:1..counter in order. */
static int check_snapshot(MDB_txn* txn, MDB_dbi dbi, uint64_t* counter_out) {
  uint64_t counter, mirror, seen = 0;
  MDB_cursor* cur;
  MDB_val k = text("log:"), v;
  char expect[32];
  int rc = get_u64(txn, dbi, "counter", &counter);
  if (rc == 0) rc = get_u64(txn, dbi, "mirror", &mirror);
  if (rc) return fail(20, "get counter", rc);
  if (counter != mirror) return fail(21, "counter != mirror (torn transaction)", 0);
  if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0) return fail(22, "cursor", rc);
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, "log:", 4) == 0) {
    seen++;
    snprintf(expect, sizeof expect, "log:%016llx", (unsigned long long)seen);
    if (k.mv_size != strlen(expect) || memcmp(k.mv_data, expect, k.mv_size) != 0 || v.mv_size != 1) {
      mdb_cursor_close(cur);
      return fail(23, "log entries out of order", 0);
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND) return fail(24, "cursor walk", rc);
  if (seen != counter) return fail(25, "log entries != counter (torn transaction)", 0);
  *counter_out = counter;
  return 0;
}

static int run_reader(MDB_env* env, long ms) {
  uint64_t end = now_ms() + (uint64_t)ms, last_txnid = 0, reads = 0, counter;
  MDB_txn* txn;
  MDB_dbi dbi;
  int rc;
  while (now_ms() < end) {
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) return fail(30, "begin read", rc);
    if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) return fail(31, "dbi", rc);
    if (mdb_txn_id(txn) < last_txnid) return fail(32, "txnid went back", 0);
    last_txnid = mdb_txn_id(txn);
    if ((rc = check_snapshot(txn, dbi, &counter)) != 0) return rc;
    mdb_txn_abort(txn);
    reads++;
  }
  printf("READS %llu\n", (unsigned long long)reads);
  return 0;
}

static int run_hold_writer(MDB_env* env) {
  MDB_txn* txn;
  MDB_dbi dbi;
  int rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc) return fail(40, "begin write", rc);
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 || (rc = put_u64(txn, dbi, "ghost", 1)) != 0)
    return fail(41, "put ghost", rc);
  printf("READY\n");
  fflush(stdout);
  for (;;) pause();
}

static int run_write_check(MDB_env* env) {
  MDB_txn* txn;
  MDB_dbi dbi;
  MDB_val k = text("ghost2"), v;
  int rc;
  alarm(20); /* a writer mutex that never recovers kills us with SIGALRM */
  if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0) return fail(50, "begin write", rc);
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) return fail(51, "dbi", rc);
  rc = mdb_get(txn, dbi, &k, &v);
  if (rc != MDB_NOTFOUND) return fail(52, "the dead writer's put is visible", rc);
  if ((rc = put_u64(txn, dbi, "after", 1)) != 0) return fail(53, "put", rc);
  if ((rc = mdb_txn_commit(txn)) != 0) return fail(54, "commit", rc);
  return 0;
}

static int run_hold_reader(MDB_env* env) {
  MDB_txn* txn;
  MDB_dbi dbi;
  uint64_t before, after;
  char line[64];
  int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  if (rc) return fail(60, "begin read", rc);
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) return fail(61, "dbi", rc);
  if ((rc = check_snapshot(txn, dbi, &before)) != 0) return rc;
  printf("READY %llu %llu\n", (unsigned long long)mdb_txn_id(txn), (unsigned long long)before);
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return fail(62, "stdin closed", 0);
  if ((rc = check_snapshot(txn, dbi, &after)) != 0) return rc;
  if (after != before) return fail(63, "the snapshot changed under the reader", 0);
  mdb_txn_abort(txn);
  printf("OK\n");
  return 0;
}

/* --- the grow model: "g:<n, 16 hex digits>" = grow_value(n) for n = 1..count, and "count". Every snapshot
 * has entries == count + 1, g:count present and right, g:count+1 absent. Its twin for Aspen is in
 * grow_model.hpp. */
static size_t grow_size(uint64_t n) { return n % 16 == 0 ? 5000 + (size_t)(n % 3000) : 100 + (size_t)(n * 37 % 1900); }
static unsigned char grow_byte(uint64_t n, size_t i) { return (unsigned char)(n * 131 + i * 7); }

static int grow_check_entry(MDB_txn* txn, MDB_dbi dbi, uint64_t n) {
  char key[32];
  MDB_val k, v;
  size_t i;
  int rc;
  snprintf(key, sizeof key, "g:%016llx", (unsigned long long)n);
  k = text(key);
  if ((rc = mdb_get(txn, dbi, &k, &v)) != 0) return fail(70, "get grow entry", rc);
  if (v.mv_size != grow_size(n)) return fail(71, "grow entry size", 0);
  for (i = 0; i < v.mv_size; i++)
    if (((unsigned char*)v.mv_data)[i] != grow_byte(n, i)) return fail(72, "grow entry bytes", 0);
  return 0;
}

static int grow_check(MDB_txn* txn, MDB_dbi dbi) {
  uint64_t count;
  MDB_stat st;
  char key[32];
  MDB_val k, v;
  int rc = get_u64(txn, dbi, "count", &count);
  if (rc) return fail(73, "get count", rc);
  if ((rc = mdb_stat(txn, dbi, &st)) != 0) return fail(74, "stat", rc);
  if (st.ms_entries != (count ? count + 1 : 0)) return fail(75, "entries != count + 1", 0);
  if (count == 0) return 0;
  if ((rc = grow_check_entry(txn, dbi, count)) != 0 || (rc = grow_check_entry(txn, dbi, 1 + (uint64_t)rand() % count)) != 0)
    return rc;
  snprintf(key, sizeof key, "g:%016llx", (unsigned long long)(count + 1));
  k = text(key);
  if ((rc = mdb_get(txn, dbi, &k, &v)) != MDB_NOTFOUND) return fail(76, "an entry past count", rc);
  return 0;
}

/* mdb_txn_begin as a liblmdb user writes it when other processes may grow the map. */
static int begin_adopting(MDB_env* env, unsigned flags, MDB_txn** txn, long* resizes) {
  int rc = mdb_txn_begin(env, NULL, flags, txn);
  while (rc == MDB_MAP_RESIZED) {
    ++*resizes;
    if ((rc = mdb_env_set_mapsize(env, 0)) != 0) return rc;
    rc = mdb_txn_begin(env, NULL, flags, txn);
  }
  return rc;
}

static int grow_batch(MDB_env* env, uint64_t* count, uint64_t* bytes, long* resizes) {
  MDB_txn* txn;
  MDB_dbi dbi;
  unsigned char value[8192];
  char key[32];
  MDB_val k, v;
  int i, rc = begin_adopting(env, 0, &txn, resizes);
  size_t b;
  uint64_t n = *count, added = 0;
  if (rc) return rc;
  if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0) rc = get_u64(txn, dbi, "count", &n);
  for (i = 0; rc == 0 && i < 100; i++) {
    ++n;
    for (b = 0; b < grow_size(n); b++) value[b] = grow_byte(n, b);
    snprintf(key, sizeof key, "g:%016llx", (unsigned long long)n);
    k = text(key);
    v.mv_size = grow_size(n);
    v.mv_data = value;
    rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
    added += v.mv_size;
  }
  if (rc == 0) rc = put_u64(txn, dbi, "count", n);
  if (rc) {
    mdb_txn_abort(txn);
    return rc;
  }
  if ((rc = mdb_txn_commit(txn)) == 0) {
    *count = n;
    *bytes += added;
  }
  return rc;
}

static int run_grow_writer(MDB_env* env, uint64_t target) {
  uint64_t count = 0, bytes = 0;
  long resizes = 0;
  int rc;
  while (bytes < target)
    if ((rc = grow_batch(env, &count, &bytes, &resizes)) != 0) return fail(80, "grow batch", rc);
  printf("COUNT %llu RESIZES %ld\n", (unsigned long long)count, resizes);
  return 0;
}

/* A line on stdin (or its end) asks to stop. */
static int stop_requested(void) {
  struct timeval tv = {0, 0};
  fd_set fds;
  FD_ZERO(&fds);
  FD_SET(0, &fds);
  return select(1, &fds, NULL, NULL, &tv) > 0;
}

static int run_grow_reader(MDB_env* env) {
  uint64_t reads = 0, last_txnid = 0;
  long resizes = 0;
  MDB_txn* txn;
  MDB_dbi dbi;
  MDB_envinfo info;
  int rc;
  while (!stop_requested()) {
    if ((rc = begin_adopting(env, MDB_RDONLY, &txn, &resizes)) != 0) return fail(90, "begin read", rc);
    if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) return fail(91, "dbi", rc);
    if (mdb_txn_id(txn) < last_txnid) return fail(92, "txnid went back", 0);
    last_txnid = mdb_txn_id(txn);
    if ((rc = grow_check(txn, dbi)) != 0) return rc;
    mdb_txn_abort(txn);
    reads++;
  }
  mdb_env_info(env, &info);
  printf("READS %llu RESIZES %ld MAP %llu\n", (unsigned long long)reads, resizes, (unsigned long long)info.me_mapsize);
  return 0;
}

int main(int argc, char** argv) {
  MDB_env* env;
  int rc = 0;
  const char* cmd = argc > 2 ? argv[1] : "";
  if (argc < 3) {
    fprintf(stderr, "usage: lmdb_peer COMMAND DIR [ARGS]\n");
    return 2;
  }
  if (strstr(mdb_version(NULL, NULL, NULL), "Aspen")) return fail(1, "linked to Aspen, not liblmdb", 0);
  srand((unsigned)getpid());
  if (strncmp(cmd, "grow-", 5) == 0) {
    if (argc < 4 || (rc = open_env_map(argv[2], &env, (size_t)strtoull(argv[3], NULL, 10))) != 0) return fail(3, "open", rc);
    if (strcmp(cmd, "grow-writer") == 0 && argc == 5) rc = run_grow_writer(env, strtoull(argv[4], NULL, 10));
    else if (strcmp(cmd, "grow-reader") == 0 && argc == 4) rc = run_grow_reader(env);
    else rc = fail(2, "unknown command", 0);
    mdb_env_close(env);
    return rc;
  }
  if ((rc = open_env(argv[2], &env)) != 0) return fail(3, "open", rc);
  if (strcmp(cmd, "counter") == 0 && argc == 5) rc = run_counter(env, atol(argv[3]), argv[4][0]);
  else if (strcmp(cmd, "reader") == 0 && argc == 4) rc = run_reader(env, atol(argv[3]));
  else if (strcmp(cmd, "hold-writer") == 0) rc = run_hold_writer(env);
  else if (strcmp(cmd, "write-check") == 0) rc = run_write_check(env);
  else if (strcmp(cmd, "hold-reader") == 0) rc = run_hold_reader(env);
  else rc = fail(2, "unknown command", 0);
  mdb_env_close(env);
  return rc;
}
