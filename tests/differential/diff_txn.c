/* Transactions, environment calls and the scheduler of the differential driver. The scheduler picks one
 * operation per step from weighted tables that depend on the state: no writer, a writer (possibly with
 * nested children), and up to kReaderSlots read-only transactions that keep their snapshots while the
 * writer commits. See diff_driver.h. */
#include "diff_driver.h"

#include <string.h>

typedef struct Choice {
  unsigned weight;
  void (*run)(Driver *d);
} Choice;

static void run_choice(Driver *d, const Choice *choices, size_t n) {
  unsigned total = 0;
  for (size_t i = 0; i < n; i++)
    total += choices[i].weight;
  uint64_t r = rng_below(&d->rng, total);
  for (size_t i = 0; i < n; i++) {
    if (r < choices[i].weight) {
      choices[i].run(d);
      return;
    }
    r -= choices[i].weight;
  }
}

static MDB_txn *innermost(Driver *d) { return d->writers[d->depth - 1]; }

static unsigned open_mask(const Driver *d) {
  unsigned mask = 0;
  for (int i = 0; i < db_count; i++)
    if (d->dbs[i].state == HANDLE_OPEN)
      mask |= 1u << i;
  return mask;
}

/* ---- the writer and its nested children ----------------------------------------------------------- */

static void begin_writer(Driver *d) {
  MDB_txn *txn = NULL;
  trace_start(&d->trace, 'A', "begin");
  int rc = mdb_txn_begin(d->env, NULL, 0, &txn);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " id=%zu", mdb_txn_id(txn));
  trace_end(&d->trace);
  if (rc == 0) {
    d->writers[0] = txn;
    d->depth = 1;
    d->writer_failed = 0;
    d->writer_failed_by_child = 0;
  }
}

/* After the top-level writer ends: handles it opened survive only a successful commit. */
static void settle_handles(Driver *d, int committed) {
  for (int i = 0; i < db_count; i++)
    if (d->dbs[i].state == HANDLE_PENDING) {
      if (committed)
        d->dbs[i].state = HANDLE_OPEN;
      else
        close_handle(d, i);
    }
}

static void commit_writer(Driver *d) {
  trace_start(&d->trace, 'A', "commit");
  trace_add(&d->trace, " depth=%d", d->depth);
  int rc = mdb_txn_commit(innermost(d));
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  d->depth--;
  d->writer_failed = 0;
  d->writer_failed_by_child = rc == MDB_BAD_TXN && d->depth > 0;
  if (d->depth == 0)
    settle_handles(d, rc == 0);
}

static void abort_writer(Driver *d) {
  trace_start(&d->trace, 'A', "abort");
  trace_add(&d->trace, " depth=%d", d->depth);
  trace_end(&d->trace);
  mdb_txn_abort(innermost(d));
  d->depth--;
  d->writer_failed = 0;
  d->writer_failed_by_child = 0;
  if (d->depth == 0)
    settle_handles(d, 0);
}

/* A nested child of the innermost writer; now and then a read-only one, which LMDB refuses. */
static void begin_child(Driver *d) {
  if (d->depth >= kMaxDepth) {
    commit_writer(d);
    return;
  }
  unsigned flags = rng_chance(&d->rng, 50) ? MDB_RDONLY : 0;
  MDB_txn *txn = NULL;
  trace_start(&d->trace, 'A', "begin-child");
  trace_add(&d->trace, " depth=%d flags=0x%x", d->depth, flags);
  int rc = mdb_txn_begin(d->env, innermost(d), flags, &txn);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " id=%zu", mdb_txn_id(txn));
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc == 0)
    d->writers[d->depth++] = txn;
}

/* A call on a parent while its child is active: MDB_BAD_TXN in LMDB. */
static void use_parent(Driver *d) {
  if (d->depth < 2) {
    op_get(d, innermost(d), writable_mask(d));
    return;
  }
  Key key = {1, {'p'}};
  MDB_val k = key_val(&key), v = {0, NULL};
  trace_start(&d->trace, 'A', "parent-get");
  trace_add(&d->trace, " depth=%d", d->depth - 1);
  int rc = mdb_get(d->writers[d->depth - 2], d->dbs[kDbMain].dbi, &k, &v);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
}

static void writer_txn_info(Driver *d) {
  MDB_txn *txn = innermost(d);
  trace_start(&d->trace, 'A', "txn-info");
  trace_add(&d->trace, " => id=%zu env=%s", mdb_txn_id(txn), mdb_txn_env(txn) == d->env ? "same" : "other");
  trace_end(&d->trace);
}

/* ---- read-only transactions ----------------------------------------------------------------------- */

static void reader_begin(Driver *d) {
  Reader *r = d->reader;
  MDB_txn *txn = NULL;
  trace_start(&d->trace, 'A', "rbegin");
  trace_add(&d->trace, " slot=%d", (int)(r - d->readers));
  int rc = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " id=%zu", mdb_txn_id(txn));
  trace_end(&d->trace);
  if (rc == 0) {
    r->txn = txn;
    r->state = READER_ACTIVE;
    r->usable = open_mask(d);
  }
}

static void reader_end(Driver *d, int commit) {
  Reader *r = d->reader;
  trace_start(&d->trace, 'A', commit ? "rcommit" : "rabort");
  trace_add(&d->trace, " slot=%d", (int)(r - d->readers));
  if (commit)
    trace_rc(&d->trace, mdb_txn_commit(r->txn));
  else
    mdb_txn_abort(r->txn);
  trace_end(&d->trace);
  r->txn = NULL;
  r->state = READER_NONE;
}

static void reader_abort(Driver *d) { reader_end(d, 0); }
static void reader_commit(Driver *d) { reader_end(d, 1); }

static void reader_reset(Driver *d) {
  Reader *r = d->reader;
  trace_start(&d->trace, 'A', "rreset");
  trace_add(&d->trace, " slot=%d", (int)(r - d->readers));
  trace_end(&d->trace);
  mdb_txn_reset(r->txn);
  r->state = READER_RESET;
}

/* Renew a reset reader (the normal case) or an active one (EINVAL in LMDB). */
static void reader_renew(Driver *d) {
  Reader *r = d->reader;
  trace_start(&d->trace, 'A', "rrenew");
  trace_add(&d->trace, " slot=%d", (int)(r - d->readers));
  int rc = mdb_txn_renew(r->txn);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " id=%zu", mdb_txn_id(r->txn));
  trace_end(&d->trace);
  if (rc == 0 && r->state == READER_RESET) {
    r->state = READER_ACTIVE;
    r->usable = open_mask(d);
  }
}

static void reader_get(Driver *d) { op_get(d, d->reader->txn, d->reader->usable); }
static void reader_stat(Driver *d) { op_stat(d, d->reader->txn, d->reader->usable); }
static void reader_cmp(Driver *d) { op_cmp(d, d->reader->txn, d->reader->usable); }
static void reader_flags(Driver *d) { op_dbi_flags(d, d->reader->txn, d->reader->usable); }
static void reader_cursor(Driver *d) {
  op_cursor_session(d, d->reader->txn, d->reader->usable, 0, d->reader);
}

/* A get on a reset reader: misuse that LMDB answers with EINVAL. */
static void reader_get_reset(Driver *d) {
  Key key = {1, {'r'}};
  MDB_val k = key_val(&key), v = {0, NULL};
  trace_start(&d->trace, 'A', "reset-get");
  trace_rc(&d->trace, mdb_get(d->reader->txn, d->dbs[kDbMain].dbi, &k, &v));
  trace_end(&d->trace);
}

/* Writes through a read-only transaction: EACCES. */
static void reader_put(Driver *d) {
  Db *db = pick_db(d, d->reader->usable);
  Key key;
  gen_key(d, db, &key, 0);
  traced_put(d, db, d->reader->txn, NULL, &key, gen_small_value(d, 8), 0, "rput");
}

/* Database handles in a reader: a missing database, with and without MDB_CREATE (EACCES), and an
 * already open one (its handle again). */
static void reader_dbi_open(Driver *d) {
  Reader *r = d->reader;
  Db *db = rng_chance(&d->rng, 500) ? &d->dbs[db_never] : pick_db(d, r->usable & ~1u);
  unsigned flags = db->spec->flags | (rng_chance(&d->rng, 300) ? MDB_CREATE : 0);
  if (db->spec->name == NULL)
    db = &d->dbs[db_never];
  MDB_dbi dbi = 0;
  trace_start(&d->trace, 'A', "rdbi-open");
  trace_add(&d->trace, " name=%s flags=0x%x", db->spec->name, flags);
  int rc = mdb_dbi_open(r->txn, db->spec->name, flags, &dbi);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " dbi=%u", dbi);
  trace_end(&d->trace);
}

/* The free list (FREE_DBI, handle 0), readable through a read-only cursor: pure page layout. */
static void reader_freelist(Driver *d) {
  MDB_txn *txn = d->reader->txn;
  MDB_stat st;
  MDB_cursor *c;
  MDB_val k, v;
  trace_start(&d->trace, 'A', "freelist");
  int rc = mdb_stat(txn, 0, &st);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_page(&d->trace, " entries=%zu depth=%u branch=%zu leaf=%zu overflow=%zu", st.ms_entries, st.ms_depth,
               st.ms_branch_pages, st.ms_leaf_pages, st.ms_overflow_pages);
  if (rc == 0 && (rc = mdb_cursor_open(txn, 0, &c)) == 0) {
    uint64_t h = fnv64(NULL, 0);
    unsigned long n = 0;
    while ((rc = mdb_cursor_get(c, &k, &v, n ? MDB_NEXT : MDB_FIRST)) == 0 && ++n) {
      h = fnv64_mix(h, k.mv_data, k.mv_size);
      h = fnv64_mix(h, v.mv_data, v.mv_size);
    }
    mdb_cursor_close(c);
    char buf[32];
    trace_page(&d->trace, " records=%lu hash=%016llx last=%s", n, (unsigned long long)h, rc_name(rc, buf, sizeof buf));
  }
  trace_end(&d->trace);
}

static void reader_step(Driver *d) {
  static const Choice kNone[] = {{1, reader_begin}};
  static const Choice kActive[] = {{300, reader_get},    {300, reader_cursor}, {60, reader_stat},
                                   {20, reader_freelist}, {100, reader_reset}, {60, reader_abort},
                                   {40, reader_commit},   {10, reader_renew},  {10, reader_put},
                                   {20, reader_dbi_open}, {20, reader_cmp},    {20, reader_flags}};
  static const Choice kReset[] = {{600, reader_renew}, {300, reader_abort}, {100, reader_get_reset}};
  d->reader = &d->readers[rng_below(&d->rng, kReaderSlots)];
  switch (d->reader->state) {
  case READER_NONE: run_choice(d, kNone, 1); break;
  case READER_ACTIVE: run_choice(d, kActive, sizeof kActive / sizeof kActive[0]); break;
  case READER_RESET: run_choice(d, kReset, sizeof kReset / sizeof kReset[0]); break;
  }
}

/* ---- environment calls ---------------------------------------------------------------------------- */

void trace_env_info(Driver *d, const char *op) {
  MDB_envinfo info;
  trace_start(&d->trace, 'A', op);
  int rc = mdb_env_info(d->env, &info);
  trace_rc(&d->trace, rc);
  if (rc == 0) {
    trace_add(&d->trace, " mapsize=%zu last_txnid=%zu maxreaders=%u numreaders=%u fixed=%d", info.me_mapsize,
              info.me_last_txnid, info.me_maxreaders, info.me_numreaders, info.me_mapaddr != NULL);
    trace_page(&d->trace, " last_pgno=%zu", info.me_last_pgno);
  }
  trace_end(&d->trace);
}

static void env_info(Driver *d) { trace_env_info(d, "env-info"); }

static void env_stat(Driver *d) {
  MDB_stat st;
  trace_start(&d->trace, 'A', "env-stat");
  int rc = mdb_env_stat(d->env, &st);
  trace_rc(&d->trace, rc);
  if (rc == 0) {
    trace_add(&d->trace, " entries=%zu psize=%u", st.ms_entries, st.ms_psize);
    trace_page(&d->trace, " depth=%u branch=%zu leaf=%zu overflow=%zu", st.ms_depth, st.ms_branch_pages,
               st.ms_leaf_pages, st.ms_overflow_pages);
  }
  trace_end(&d->trace);
}

static void env_settings(Driver *d) {
  unsigned flags = 0, readers = 0;
  const char *path = NULL;
  mdb_filehandle_t fd = -1;
  int rc1 = mdb_env_get_flags(d->env, &flags);
  int rc2 = mdb_env_get_maxreaders(d->env, &readers);
  int rc3 = mdb_env_get_path(d->env, &path);
  int rc4 = mdb_env_get_fd(d->env, &fd);
  trace_start(&d->trace, 'A', "env-settings");
  trace_add(&d->trace, " => flags=0x%x/%d maxreaders=%u/%d path=%s/%d fd=%s/%d maxkey=%d", flags, rc1, readers,
            rc2, path != NULL && strcmp(path, d->opt.dir) == 0 ? "same" : "other", rc3, fd >= 0 ? "valid" : "none",
            rc4, mdb_env_get_maxkeysize(d->env));
  trace_end(&d->trace);
}

static int count_reader_line(const char *msg, void *ctx) {
  char (*snapshots)[256] = ctx;
  const char *last = strrchr(msg, ' ');
  if (strstr(msg, "pid") != NULL || last == NULL)
    return 0; /* the heading, or "(no active readers)" */
  size_t used = strlen(*snapshots);
  snprintf(*snapshots + used, sizeof *snapshots - used, "%.*s,", (int)strcspn(last + 1, "\n"), last + 1);
  return 0;
}

/* The reader table: which snapshots are held (pids and thread ids are left out). */
static void env_readers(Driver *d) {
  char snapshots[256] = "";
  int dead = -1;
  int rc = mdb_reader_list(d->env, count_reader_line, &snapshots);
  int rc2 = mdb_reader_check(d->env, &dead);
  trace_start(&d->trace, 'A', "readers");
  trace_add(&d->trace, " => list=%d [%s] check=%d dead=%d", rc, snapshots, rc2, dead);
  trace_end(&d->trace);
}

static void env_sync(Driver *d) {
  trace_start(&d->trace, 'A', "env-sync");
  trace_rc(&d->trace, mdb_env_sync(d->env, 1));
  trace_end(&d->trace);
}

/* Run-time flags: the changeable ones that do not slow the run down, and a fixed one (EINVAL). */
static void env_set_flags(Driver *d) {
  static const unsigned kFlags[] = {MDB_NOMETASYNC, MDB_NOMEMINIT, MDB_WRITEMAP};
  unsigned flag = kFlags[rng_below(&d->rng, 3)];
  int onoff = rng_chance(&d->rng, 500);
  unsigned flags = 0;
  trace_start(&d->trace, 'A', "env-set-flags");
  trace_add(&d->trace, " flag=0x%x on=%d", flag, onoff);
  trace_rc(&d->trace, mdb_env_set_flags(d->env, flag, onoff));
  mdb_env_get_flags(d->env, &flags);
  trace_add(&d->trace, " flags=0x%x", flags);
  trace_end(&d->trace);
}

static void env_step(Driver *d) {
  static const Choice kEnv[] = {{300, env_info},    {200, env_stat}, {100, env_settings},
                                {120, env_readers}, {40, env_sync},  {80, env_set_flags}};
  run_choice(d, kEnv, sizeof kEnv / sizeof kEnv[0]);
}

/* Only with no transaction in this process: LMDB requires it and does not check for readers. */
static void env_set_mapsize(Driver *d) {
  for (int i = 0; i < kReaderSlots; i++)
    if (d->readers[i].state != READER_NONE) {
      env_info(d);
      return;
    }
  MDB_envinfo info;
  mdb_env_info(d->env, &info);
  size_t size = info.me_mapsize + (size_t)rng_range(&d->rng, 1, 4) * (16u << 20);
  trace_start(&d->trace, 'A', "set-mapsize");
  trace_add(&d->trace, " size=%zu", size);
  trace_rc(&d->trace, mdb_env_set_mapsize(d->env, size));
  trace_end(&d->trace);
  env_info(d);
}

/* mdb_dbi_close of an open named handle, between writers. */
static void close_dbi(Driver *d) {
  unsigned mask = open_mask(d) & ~1u;
  if (mask == 0)
    return;
  Db *db = pick_db(d, mask);
  trace_start(&d->trace, 'A', "dbi-close");
  trace_db(&d->trace, db);
  trace_end(&d->trace);
  mdb_dbi_close(d->env, db->dbi);
  close_handle(d, (int)(db - d->dbs));
}

/* ---- the scheduler --------------------------------------------------------------------------------- */

static void w_get(Driver *d) { op_get(d, innermost(d), writable_mask(d)); }
static void w_stat(Driver *d) { op_stat(d, innermost(d), writable_mask(d)); }
static void w_cmp(Driver *d) { op_cmp(d, innermost(d), writable_mask(d)); }
static void w_flags(Driver *d) { op_dbi_flags(d, innermost(d), writable_mask(d)); }
static void w_cursor(Driver *d) { op_cursor_session(d, innermost(d), writable_mask(d), 1, NULL); }
static void w_invalid_dbi(Driver *d) { op_invalid_dbi(d, innermost(d)); }
static void w_dbi_open(Driver *d) {
  if (d->depth == 1)
    op_dbi_open(d);
  else
    op_put(d);
}

static void w_dcmp(Driver *d) { op_dcmp(d, innermost(d), writable_mask(d)); }

static void writer_step(Driver *d) {
  static const Choice kWriter[] = {
      {260, op_put},         {120, w_get},          {80, op_del},          {120, w_cursor},
      {25, w_stat},          {10, w_cmp},           {8, w_flags},          {55, commit_writer},
      {15, abort_writer},    {25, begin_child},     {70, reader_step},     {6, op_drop},
      {15, w_dbi_open},      {15, env_step},        {15, op_bad_size},     {5, w_invalid_dbi},
      {8, op_bulk_put},      {5, op_bulk_append},   {6, op_bulk_delete},   {5, use_parent},
      {5, writer_txn_info}};
  /* --dupsort: the same, with the operations of diff_dups.c (op_put and op_del turn to their DUPSORT
   * forms on a DUPSORT database). */
  static const Choice kWriterDup[] = {
      {220, op_put},         {90, w_get},           {70, op_del},          {150, w_cursor},
      {25, w_stat},          {5, w_cmp},            {5, w_flags},          {50, commit_writer},
      {15, abort_writer},    {25, begin_child},     {60, reader_step},     {5, op_drop},
      {10, w_dbi_open},      {10, env_step},        {8, op_bad_size},      {3, w_invalid_dbi},
      {5, op_bulk_put},      {3, op_bulk_append},   {5, op_bulk_delete},   {4, use_parent},
      {3, writer_txn_info},  {30, op_dup_burst},    {20, op_dup_drain},    {15, op_put_multiple},
      {10, op_dup_bad_input}, {5, op_dup_fixed_probe}, {10, w_dcmp}};
  if (d->opt.dupsort)
    run_choice(d, kWriterDup, sizeof kWriterDup / sizeof kWriterDup[0]);
  else
    run_choice(d, kWriter, sizeof kWriter / sizeof kWriter[0]);
}

static void idle_step(Driver *d) {
  static const Choice kIdle[] = {
      {600, begin_writer}, {250, reader_step}, {80, env_step}, {5, env_set_mapsize}, {10, close_dbi}};
  run_choice(d, kIdle, sizeof kIdle / sizeof kIdle[0]);
}

void step(Driver *d) {
  if (d->depth > 0 && d->writer_failed) { /* a failed writer can only end */
    if (rng_chance(&d->rng, 500))
      commit_writer(d);
    else
      abort_writer(d);
    return;
  }
  if (d->depth > 0)
    writer_step(d);
  else
    idle_step(d);
}

/* Commits the writers (innermost first), ends the readers and closes parked cursors. */
void end_all_transactions(Driver *d) {
  while (d->depth > 0)
    commit_writer(d);
  for (int i = 0; i < kReaderSlots; i++) {
    d->reader = &d->readers[i];
    if (d->reader->state != READER_NONE)
      reader_abort(d);
    if (d->reader->parked != NULL) {
      mdb_cursor_close(d->reader->parked);
      d->reader->parked = NULL;
    }
  }
}
