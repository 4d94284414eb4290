/* diff_driver: the differential driver's command line, environment setup and final dump.
 *
 *   diff_driver --seed N --ops M --dir D [--flags nosync,nometasync,writemap,mapasync,nordahead,nomeminit]
 *               [--verify-existing] [--no-copies] [--big-per-mille K] [--dupsort [--aspen-probes]]
 *
 * Fresh mode (the default) deletes D/data.mdb and D/lock.mdb, creates an environment (map 256 MiB,
 * maxdbs 8, MDB_NOTLS always, MDB_NOSYNC unless --flags says otherwise), runs M seeded operations, dumps
 * every database, writes D/copy (mdb_env_copy2), D/compact (MDB_CP_COMPACT) and D/copyfd.mdb
 * (mdb_env_copyfd2), and closes. --verify-existing opens the environment already in D instead, dumps it,
 * runs M operations from a seed derived from N, and dumps again.
 *
 * The trace goes to stdout (format in diff_driver.h); the library actually loaded (mdb_version() and the
 * file it came from) goes to stderr, so the runner can tell liblmdb from Aspen. Exit 0 after a complete
 * run whatever the library answered, 1 if the environment could not be set up, 2 for a usage error. */
#define _GNU_SOURCE /* dladdr */
#include "diff_driver.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Compiled against Debian's lmdb.h on purpose: a plain liblmdb client. Aspen's header says PATCH 70. */
#if MDB_VERSION_PATCH >= 70
#error "diff_driver must be compiled against Debian's /usr/include/lmdb.h, not Aspen's include/lmdb.h"
#endif

static const DbSpec kPlainDbs[] = {
    {"main", NULL, 0, KEY_BYTES, 1, 10, 0},
    {"plain", "plain", 0, KEY_BYTES, 1, 30, 0},
    {"intkey", "intkey", MDB_INTEGERKEY, KEY_U64, 1, 20, 0},
    {"revkey", "revkey", MDB_REVERSEKEY, KEY_BYTES, 1, 20, 0},
    {"int32", "int32", MDB_INTEGERKEY, KEY_U32, 1, 10, 0},
    {"late", "late", 0, KEY_BYTES, 0, 15, 0},
    {"never", "never", 0, KEY_BYTES, 0, 0, 0},
};

/* --dupsort: every kind of duplicate database, a plain one (duplicate operations on it are errors) and the
 * unnamed one (which holds the records). "fixed" gets a value size chosen from the seed (dup_setup). */
static const DbSpec kDupDbs[] = {
    {"main", NULL, 0, KEY_BYTES, 1, 4, 0},
    {"plain", "plain", 0, KEY_BYTES, 1, 8, 0},
    {"dups", "dups", MDB_DUPSORT, KEY_BYTES, 1, 24, 0},
    {"fixed", "fixed", MDB_DUPSORT | MDB_DUPFIXED, KEY_BYTES, 1, 16, 0},
    {"intdup8", "intdup8", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, KEY_BYTES, 1, 12, 8},
    {"intdup4", "intdup4", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, KEY_BYTES, 1, 10, 4},
    {"revdup", "revdup", MDB_DUPSORT | MDB_REVERSEDUP, KEY_BYTES, 1, 14, 0},
    {"intkeydup", "intkeydup", MDB_DUPSORT | MDB_INTEGERKEY, KEY_U64, 1, 14, 0},
    {"intdupvar", "intdupvar", MDB_DUPSORT | MDB_INTEGERDUP, KEY_BYTES, 1, 6, 8},
    {"never", "never", MDB_DUPSORT, KEY_BYTES, 0, 0, 0},
};

const DbSpec *db_specs = kPlainDbs;
int db_count = (int)(sizeof kPlainDbs / sizeof kPlainDbs[0]);
int db_never = (int)(sizeof kPlainDbs / sizeof kPlainDbs[0]) - 1;

static const size_t kMapSize = 256u << 20;

static void usage(void) {
  fprintf(stderr, "usage: diff_driver --seed N --ops M --dir D [--flags LIST] [--verify-existing]\n"
                  "                   [--no-copies] [--big-per-mille K] [--dupsort [--aspen-probes]]\n"
                  "  LIST: comma-separated nosync,nometasync,writemap,mapasync,nordahead,nomeminit,none\n");
  exit(2);
}

static unsigned parse_flags(const char *list) {
  static const struct {
    const char *name;
    unsigned flag;
  } kNames[] = {{"nosync", MDB_NOSYNC},       {"nometasync", MDB_NOMETASYNC}, {"writemap", MDB_WRITEMAP},
                {"mapasync", MDB_MAPASYNC},   {"nordahead", MDB_NORDAHEAD},   {"nomeminit", MDB_NOMEMINIT},
                {"none", 0}};
  unsigned flags = 0;
  char *copy = strdup(list), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    size_t i = 0;
    while (i < sizeof kNames / sizeof kNames[0] && strcmp(kNames[i].name, tok) != 0)
      i++;
    if (i == sizeof kNames / sizeof kNames[0]) {
      fprintf(stderr, "diff_driver: unknown flag '%s'\n", tok);
      usage();
    }
    flags |= kNames[i].flag;
  }
  free(copy);
  return flags;
}

static Options parse_args(int argc, char **argv) {
  Options opt = {1, 1000, NULL, MDB_NOSYNC, 0, 1, 1, 0, 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--verify-existing") == 0)
      opt.verify_existing = 1;
    else if (strcmp(a, "--no-copies") == 0)
      opt.copies = 0;
    else if (strcmp(a, "--dupsort") == 0)
      opt.dupsort = 1;
    else if (strcmp(a, "--aspen-probes") == 0)
      opt.aspen_probes = 1;
    else if (next == NULL)
      usage();
    else if (strcmp(a, "--seed") == 0)
      opt.seed = strtoull(argv[++i], NULL, 0);
    else if (strcmp(a, "--ops") == 0)
      opt.ops = strtoul(argv[++i], NULL, 0);
    else if (strcmp(a, "--dir") == 0)
      opt.dir = argv[++i];
    else if (strcmp(a, "--flags") == 0)
      opt.env_flags = parse_flags(argv[++i]);
    else if (strcmp(a, "--big-per-mille") == 0)
      opt.big_per_mille = (unsigned)strtoul(argv[++i], NULL, 0);
    else
      usage();
  }
  if (opt.dir == NULL)
    usage();
  return opt;
}

/* ---- files --------------------------------------------------------------------------------------- */

static void path_join(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void remove_file(const char *dir, const char *name) {
  char path[4096];
  path_join(path, sizeof path, dir, name);
  if (unlink(path) != 0 && errno != ENOENT)
    fprintf(stderr, "diff_driver: cannot remove %s: %s\n", path, strerror(errno));
}

/* An empty directory `dir/name` for a copy (only the files LMDB writes there are removed). */
static void fresh_subdir(const char *dir, const char *name, char *out, size_t size) {
  path_join(out, size, dir, name);
  mkdir(out, 0755);
  remove_file(out, "data.mdb");
  remove_file(out, "lock.mdb");
}

static void report_library(void) {
  int major = 0, minor = 0, patch = 0;
  const char *version = mdb_version(&major, &minor, &patch);
  Dl_info info;
  const char *file = dladdr((void *)mdb_version, &info) && info.dli_fname ? info.dli_fname : "?";
  fprintf(stderr, "diff_driver: library: %s (%d.%d.%d)\n", version, major, minor, patch);
  fprintf(stderr, "diff_driver: loaded from: %s\n", file);
}

/* ---- setup ----------------------------------------------------------------------------------------- */

static void trace_setup_rc(Driver *d, const char *op, int rc) {
  trace_start(&d->trace, 'A', op);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
}

static int open_env(Driver *d) {
  int rc = mdb_env_create(&d->env);
  trace_setup_rc(d, "env-create", rc);
  if (rc != 0)
    return rc;
  trace_setup_rc(d, "set-mapsize", mdb_env_set_mapsize(d->env, kMapSize));
  trace_setup_rc(d, "set-maxdbs", mdb_env_set_maxdbs(d->env, d->opt.dupsort ? kMaxDbs : 8));
  trace_setup_rc(d, "set-userctx", mdb_env_set_userctx(d->env, d));
  unsigned flags = d->opt.env_flags | MDB_NOTLS;
  trace_start(&d->trace, 'A', "env-open");
  trace_add(&d->trace, " flags=0x%x", flags);
  rc = mdb_env_open(d->env, d->opt.dir, flags, 0644);
  trace_rc(&d->trace, rc);
  trace_add(&d->trace, " userctx=%s", mdb_env_get_userctx(d->env) == d ? "same" : "other");
  trace_end(&d->trace);
  return rc;
}

/* The first transaction: the unnamed database, the named ones a fresh run creates, and the rest
 * opened without MDB_CREATE (MDB_NOTFOUND unless they exist). */
static int open_databases(Driver *d) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(d->env, NULL, 0, &txn);
  trace_setup_rc(d, "setup-begin", rc);
  if (rc != 0)
    return rc;
  for (int i = 0; i < db_count; i++) {
    Db *db = &d->dbs[i];
    unsigned flags = db->spec->flags;
    if (!d->opt.verify_existing && db->spec->create_at_start)
      flags |= MDB_CREATE;
    trace_start(&d->trace, 'A', "setup-dbi-open");
    trace_add(&d->trace, " db=%s flags=0x%x", db->spec->label, flags);
    rc = mdb_dbi_open(txn, db->spec->name, flags, &db->dbi);
    trace_rc(&d->trace, rc);
    if (rc == 0)
      trace_add(&d->trace, " dbi=%u", db->dbi);
    trace_end(&d->trace);
    db->state = rc == 0 ? HANDLE_PENDING : HANDLE_CLOSED;
  }
  rc = mdb_txn_commit(txn);
  trace_setup_rc(d, "setup-commit", rc);
  for (int i = 0; i < db_count; i++)
    if (d->dbs[i].state == HANDLE_PENDING)
      d->dbs[i].state = rc == 0 ? HANDLE_OPEN : HANDLE_CLOSED;
  return rc;
}

static void trace_error_texts(Driver *d) {
  for (int rc = MDB_KEYEXIST; rc <= MDB_LAST_ERRCODE; rc++) {
    trace_start(&d->trace, 'T', "strerror");
    trace_add(&d->trace, " %d %s", rc, mdb_strerror(rc));
    trace_end(&d->trace);
  }
  trace_start(&d->trace, 'T', "strerror");
  trace_add(&d->trace, " 0 %s", mdb_strerror(0));
  trace_end(&d->trace);
}

/* ---- the dump -------------------------------------------------------------------------------------- */

/* Every database in a fresh read-only transaction: statistics, all items, the reverse walk. Databases
 * without a handle are opened here (and forgotten when the transaction ends). */
static void dump_all(Driver *d, int fill_pools) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn);
  trace_start(&d->trace, 'D', "dump-begin");
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " id=%zu", mdb_txn_id(txn));
  trace_end(&d->trace);
  if (rc != 0)
    return;
  for (int i = 0; i < db_count; i++) {
    Db *db = &d->dbs[i];
    MDB_dbi dbi = db->dbi;
    if (db->state != HANDLE_OPEN) {
      rc = mdb_dbi_open(txn, db->spec->name, 0, &dbi);
      trace_start(&d->trace, 'D', "dump-open");
      trace_db(&d->trace, db);
      trace_rc(&d->trace, rc);
      trace_end(&d->trace);
      if (rc != 0)
        continue;
    }
    MDB_stat st;
    rc = mdb_stat(txn, dbi, &st);
    trace_start(&d->trace, 'D', "dump-stat");
    trace_db(&d->trace, db);
    trace_rc(&d->trace, rc);
    trace_add(&d->trace, " entries=%zu", rc == 0 ? st.ms_entries : 0);
    if (rc == 0)
      trace_page(&d->trace, " db=%s depth=%u branch=%zu leaf=%zu overflow=%zu", db->spec->label, st.ms_depth,
                 st.ms_branch_pages, st.ms_leaf_pages, st.ms_overflow_pages);
    trace_end(&d->trace);
    walk_database(d, txn, i, dbi, fill_pools);
  }
  mdb_txn_abort(txn);
}

static void write_copies(Driver *d) {
  char path[4096];
  fresh_subdir(d->opt.dir, "copy", path, sizeof path);
  trace_setup_rc(d, "env-copy2", mdb_env_copy2(d->env, path, 0));
  fresh_subdir(d->opt.dir, "compact", path, sizeof path);
  trace_setup_rc(d, "env-copy2-compact", mdb_env_copy2(d->env, path, MDB_CP_COMPACT));
  path_join(path, sizeof path, d->opt.dir, "copyfd.mdb");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  trace_setup_rc(d, "env-copyfd2", fd < 0 ? errno : mdb_env_copyfd2(d->env, fd, 0));
  if (fd >= 0)
    close(fd);
}

/* ---- main ------------------------------------------------------------------------------------------ */

static void init_driver(Driver *d, const Options *opt) {
  if (opt->dupsort) {
    db_specs = kDupDbs;
    db_count = (int)(sizeof kDupDbs / sizeof kDupDbs[0]);
    db_never = db_count - 1;
  }
  memset(d, 0, sizeof *d);
  d->opt = *opt;
  d->rng.state = opt->verify_existing ? opt->seed ^ 0x7665726966790000ULL : opt->seed;
  d->trace.out = stdout;
  for (int i = 0; i < db_count; i++) {
    d->dbs[i].spec = &db_specs[i];
    d->dbs[i].pool = calloc(kPoolCapacity, sizeof(Key));
    d->dbs[i].values = calloc(kValuePoolCapacity, sizeof(Value));
    if (d->dbs[i].pool == NULL || d->dbs[i].values == NULL) {
      fprintf(stderr, "diff_driver: out of memory\n");
      exit(3);
    }
  }
  dup_setup(d);
}

int main(int argc, char **argv) {
  static Driver driver;
  Options opt = parse_args(argc, argv);
  Driver *d = &driver;
  init_driver(d, &opt);
  /* DIFF_LINE_BUFFERED=1: every trace line reaches the file before the next call (to see the last call
   * before a crash). */
  if (getenv("DIFF_LINE_BUFFERED") != NULL)
    setvbuf(stdout, NULL, _IOLBF, 1 << 16);
  else
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  report_library();
  if (mkdir(opt.dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "diff_driver: cannot create %s: %s\n", opt.dir, strerror(errno));
    return 1;
  }
  if (!opt.verify_existing) {
    remove_file(opt.dir, "data.mdb");
    remove_file(opt.dir, "lock.mdb");
  }
  printf("H diff_driver v1 mode=%s seed=%llu ops=%lu flags=0x%x big=%u%s\n",
         opt.verify_existing ? "verify-existing" : "fresh", opt.seed, opt.ops, opt.env_flags, opt.big_per_mille,
         opt.dupsort ? " dupsort" : "");
  trace_error_texts(d);
  if (open_env(d) != 0 || open_databases(d) != 0) {
    fflush(stdout);
    fprintf(stderr, "diff_driver: could not set up the environment in %s\n", opt.dir);
    return 1;
  }
  if (opt.verify_existing)
    dump_all(d, 1);
  gen_prefixes(d);
  for (unsigned long i = 1; i <= opt.ops; i++) {
    d->trace.step = i;
    step(d);
  }
  d->trace.step = opt.ops + 1;
  end_all_transactions(d);
  dump_all(d, 0);
  if (opt.dupsort)
    trace_avoided(d);
  if (opt.copies && !opt.verify_existing)
    write_copies(d);
  trace_env_info(d, "final-env-info");
  mdb_env_close(d->env);
  fflush(stdout);
  return 0;
}
