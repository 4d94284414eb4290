/* Cursor operations of the differential driver: sessions of moves, walks, puts and deletes through one
 * cursor, bulk deletes, and the full walk used by the final dump. A write cursor is always closed before
 * its transaction ends and no other write happens while it is open, so the trace never depends on how a
 * library repositions a second cursor after someone else's write. See diff_driver.h. */
#include "diff_driver.h"

#include <string.h>

const char *cursor_op_name(MDB_cursor_op op) {
  static const char *const kNames[] = {
      "FIRST",     "FIRST_DUP",  "GET_BOTH",      "GET_BOTH_RANGE", "GET_CURRENT", "GET_MULTIPLE", "LAST",
      "LAST_DUP",  "NEXT",       "NEXT_DUP",      "NEXT_MULTIPLE",  "NEXT_NODUP",  "PREV",         "PREV_DUP",
      "PREV_NODUP", "SET",       "SET_KEY",       "SET_RANGE",      "PREV_MULTIPLE"};
  return (unsigned)op < sizeof kNames / sizeof kNames[0] ? kNames[op] : "INVALID";
}

/* Folds one item into a walk hash. A sub-database record of the unnamed database contributes only its
 * flags and entry count: its page numbers are layout, compared through P lines elsewhere. */
uint64_t hash_item(const Db *db, const MDB_val *k, const MDB_val *v, uint64_t h) {
  h = fnv64_mix(h, &k->mv_size, sizeof k->mv_size);
  h = fnv64_mix(h, k->mv_data, k->mv_size);
  if (is_subdb_record(db, k, v)) {
    const unsigned char *p = v->mv_data;
    h = fnv64_mix(h, p + 4, 2);
    return fnv64_mix(h, p + 32, 8);
  }
  h = fnv64_mix(h, &v->mv_size, sizeof v->mv_size);
  return fnv64_mix(h, v->mv_data, v->mv_size);
}

/* One traced mdb_cursor_get. `in_key`/`in_data` are inputs for the SET and GET_BOTH families. */
int cursor_get(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op, Key *in_key, MDB_val *in_data,
                      MDB_val *out_key, MDB_val *out_data) {
  MDB_val k = {0, NULL}, v = {0, NULL};
  if (in_key != NULL)
    k = key_val(in_key);
  if (in_data != NULL)
    v = *in_data;
  op = dup_safe_op(d, db, c, op);
  trace_start(&d->trace, 'A', "cget");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " op=%s", cursor_op_name(op));
  if (in_key != NULL)
    trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  if (in_data != NULL)
    trace_bytes(&d->trace, "v", v.mv_data, v.mv_size);
  const void *key_buffer = k.mv_data;
  int rc = mdb_cursor_get(c, &k, &v, op);
  note_position(d, db, c, op, rc);
  trace_rc(&d->trace, rc);
  if (rc == 0) {
    if (in_key != NULL) /* MDB_SET leaves the caller's key in place; the others point into the map */
      trace_add(&d->trace, " kbuf=%s", k.mv_data == key_buffer ? "caller" : "db");
    trace_item(d, db, &k, &v);
  }
  trace_end(&d->trace);
  note_rc(d, rc);
  if (out_key != NULL)
    *out_key = k;
  if (out_data != NULL)
    *out_data = v;
  if (rc == 0 && (op == MDB_FIRST_DUP || op == MDB_LAST_DUP))
    dup_clear_eof(d, db, c);
  return rc;
}

static void cursor_move(Driver *d, const Db *db, MDB_cursor *c) {
  static const MDB_cursor_op kMoves[] = {MDB_FIRST,      MDB_LAST,        MDB_NEXT,        MDB_NEXT,
                                         MDB_NEXT,       MDB_PREV,        MDB_PREV,        MDB_NEXT_NODUP,
                                         MDB_PREV_NODUP, MDB_GET_CURRENT, MDB_GET_CURRENT, MDB_SET,
                                         MDB_SET_KEY,    MDB_SET_RANGE,   MDB_SET_RANGE};
  MDB_cursor_op op = kMoves[rng_below(&d->rng, sizeof kMoves / sizeof kMoves[0])];
  Key key;
  int needs_key = op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE;
  if (needs_key)
    gen_key(d, db, &key, rng_chance(&d->rng, 100));
  cursor_get(d, db, c, op, needs_key ? &key : NULL, NULL, NULL, NULL);
}

/* Up to `limit` steps in one direction, traced as a count and a hash of everything seen. */
static void cursor_walk(Driver *d, const Db *db, MDB_cursor *c) {
  int forward = rng_chance(&d->rng, 500), restart = rng_chance(&d->rng, 500);
  unsigned long limit = rng_chance(&d->rng, 50) ? 1000000ul : (unsigned long)rng_range(&d->rng, 1, 64);
  MDB_cursor_op next = forward ? MDB_NEXT : MDB_PREV;
  MDB_cursor_op op = dup_safe_op(d, db, c, restart ? (forward ? MDB_FIRST : MDB_LAST) : next);
  MDB_val k, v;
  uint64_t h = fnv64(NULL, 0);
  unsigned long n = 0;
  int rc;
  while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
    note_position(d, db, c, op, rc);
    h = hash_item(db, &k, &v, h);
    op = next;
    if (++n >= limit)
      break;
  }
  char buf[32];
  trace_start(&d->trace, 'A', "walk");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " start=%s dir=%s limit=%lu => n=%lu hash=%016llx last=%s", restart ? "end" : "here",
            forward ? "next" : "prev", limit, n, (unsigned long long)h, rc_name(rc, buf, sizeof buf));
  trace_end(&d->trace);
  note_rc(d, rc);
}

/* Operations a non-DUPSORT database answers with an error or a quirk, an invalid operation number, and
 * mdb_cursor_count. */
static void cursor_odd(Driver *d, const Db *db, MDB_cursor *c) {
  static const MDB_cursor_op kOdd[] = {MDB_FIRST_DUP,      MDB_LAST_DUP,      MDB_NEXT_DUP,
                                       MDB_PREV_DUP,       MDB_GET_BOTH,      MDB_GET_BOTH_RANGE,
                                       MDB_GET_MULTIPLE,   MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE,
                                       (MDB_cursor_op)19,  (MDB_cursor_op)31, MDB_SET};
  uint64_t pick = rng_below(&d->rng, sizeof kOdd / sizeof kOdd[0] + 1);
  if (pick == sizeof kOdd / sizeof kOdd[0]) {
    size_t count = 0;
    trace_start(&d->trace, 'A', "ccount");
    trace_db(&d->trace, db);
    int rc = mdb_cursor_count(c, &count);
    trace_rc(&d->trace, rc);
    if (rc == 0)
      trace_add(&d->trace, " count=%zu", count);
    trace_end(&d->trace);
    note_rc(d, rc);
    return;
  }
  MDB_cursor_op op = kOdd[pick];
  Key key;
  gen_key(d, db, &key, 0);
  if (op == MDB_SET)
    key.len = 0; /* an empty key: MDB_BAD_VALSIZE */
  MDB_val data = gen_small_value(d, 16);
  int with_key = op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE || op == MDB_SET;
  cursor_get(d, db, c, op, with_key ? &key : NULL, with_key ? &data : NULL, NULL, NULL);
}

static void cursor_ids(Driver *d, const Db *db, MDB_cursor *c, MDB_txn *txn) {
  trace_start(&d->trace, 'A', "cursor-ids");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " => dbi=%s txn=%s", mdb_cursor_dbi(c) == db->dbi ? "same" : "other",
            mdb_cursor_txn(c) == txn ? "same" : "other");
  trace_end(&d->trace);
}

/* MDB_CURRENT: replace the data under the cursor, with the key it reports, often with data of the
 * same size (the in-place path). Only after a successful GET_CURRENT: LMDB does not check the position. */
static void cursor_put_current(Driver *d, const Db *db, MDB_cursor *c) {
  MDB_val k, v;
  if (cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) != 0)
    return;
  Key key;
  key.len = k.mv_size;
  memcpy(key.bytes, k.mv_data, k.mv_size);
  MDB_val value = rng_chance(&d->rng, 400) ? gen_value_sized(d, v.mv_size) : gen_value(d);
  traced_put(d, db, NULL, c, &key, value, MDB_CURRENT, "cput");
}

/* MDB_MULTIPLE takes an array of two MDB_val; without MDB_DUPFIXED the answer is MDB_INCOMPATIBLE. */
static void cursor_put_multiple(Driver *d, const Db *db, MDB_cursor *c) {
  unsigned char items[16] = {0};
  Key key;
  gen_key(d, db, &key, 0);
  MDB_val k = key_val(&key), data[2] = {{4, items}, {4, NULL}};
  trace_start(&d->trace, 'A', "cput-multiple");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_put(c, &k, data, MDB_MULTIPLE);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
}

static void cursor_put(Driver *d, Db *db, MDB_cursor *c) {
  if (is_dup_db(db)) {
    dup_cursor_put(d, db, c);
    return;
  }
  uint64_t r = rng_below(&d->rng, 100);
  if (r < 30) {
    cursor_put_current(d, db, c);
    return;
  }
  if (r < 32) {
    cursor_put_multiple(d, db, c);
    return;
  }
  unsigned flags = r < 70 ? 0 : r < 85 ? MDB_NOOVERWRITE : r < 95 ? MDB_RESERVE : MDB_APPEND;
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 400));
  pool_add(db, &key);
  traced_put(d, db, NULL, c, &key, gen_value(d), flags, "cput");
}

/* Deletes the item under the cursor, then looks where the cursor stands. In the unnamed database an
 * item that names a database is usually left alone: deleting it fails and poisons the transaction. */
static void cursor_del(Driver *d, Db *db, MDB_cursor *c) {
  if (is_dup_db(db)) {
    dup_cursor_del(d, db, c);
    return;
  }
  if (db->spec->name == NULL) {
    MDB_val k, v;
    if (cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) == 0 && is_subdb_record(db, &k, &v) &&
        !rng_chance(&d->rng, 100))
      return;
  }
  unsigned flags = rng_chance(&d->rng, 30) ? MDB_NODUPDATA : 0;
  trace_start(&d->trace, 'A', "cdel");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " flags=0x%x", flags);
  int rc = mdb_cursor_del(c, flags);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  uint64_t then = rng_below(&d->rng, 100);
  MDB_cursor_op op = then < 40 ? MDB_GET_CURRENT : then < 70 ? MDB_NEXT : then < 85 ? MDB_PREV : MDB_FIRST;
  if (rc == 0 && then < 85)
    cursor_get(d, db, c, op, NULL, NULL, NULL, NULL);
}

static void cursor_step(Driver *d, Db *db, MDB_cursor *c, MDB_txn *txn, int writable) {
  if (dup_reposition(d, db, c))
    return;
  if (is_dup_db(db) && rng_chance(&d->rng, 600)) {
    dup_cursor_step(d, db, c, writable);
    return;
  }
  uint64_t r = rng_below(&d->rng, 1000);
  if (r < 600)
    cursor_move(d, db, c);
  else if (r < 660)
    cursor_walk(d, db, c);
  else if (r < 690 && is_dup_db(db))
    dup_cursor_step(d, db, c, writable); /* the odd operations are for plain databases */
  else if (r < 690)
    cursor_odd(d, db, c);
  else if (r < 700)
    cursor_ids(d, db, c, txn);
  else if (!writable && r >= 720)
    cursor_move(d, db, c);
  else if (r < (writable ? 850u : 710u))
    cursor_put(d, db, c); /* EACCES in a read-only transaction */
  else
    cursor_del(d, db, c);
}

/* Opens a cursor (or, in a reader, renews the reader's parked one), runs a few steps, then closes it or
 * parks it in the reader for a later mdb_cursor_renew. */
void op_cursor_session(Driver *d, MDB_txn *txn, unsigned usable_mask, int writable, Reader *reader) {
  MDB_cursor *c = NULL;
  Db *db;
  int rc;
  if (reader != NULL && reader->parked != NULL && (usable_mask & (1u << reader->parked_db)) &&
      rng_chance(&d->rng, 600)) {
    db = &d->dbs[reader->parked_db];
    c = reader->parked;
    reader->parked = NULL;
    trace_start(&d->trace, 'A', "cursor-renew");
    rc = mdb_cursor_renew(txn, c);
  } else {
    db = pick_db(d, usable_mask);
    trace_start(&d->trace, 'A', "cursor-open");
    rc = mdb_cursor_open(txn, db->dbi, &c);
  }
  trace_db(&d->trace, db);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (c != NULL)
    cursor_track(d, c, CURSOR_UNSET);
  if (rc != 0) {
    if (c != NULL && reader != NULL)
      mdb_cursor_close(c); /* a renew that failed: the cursor is still ours */
    return;
  }
  unsigned long n = (unsigned long)rng_range(&d->rng, 1, 24);
  for (unsigned long i = 0; i < n; i++)
    cursor_step(d, db, c, txn, writable);
  if (reader != NULL && reader->parked == NULL && rng_chance(&d->rng, 300)) {
    reader->parked = c;
    reader->parked_db = (int)(db - d->dbs);
  } else {
    mdb_cursor_close(c);
  }
}

/* Many consecutive cursor deletes from a point in a named database: exercises rebalancing and merges. */
void op_bulk_delete(Driver *d) {
  unsigned mask = writable_mask(d) & ~1u;
  if (mask == 0)
    return;
  Db *db = pick_db(d, mask);
  MDB_cursor *c;
  MDB_txn *txn = d->writers[d->depth - 1];
  trace_start(&d->trace, 'A', "cursor-open");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_open(txn, db->dbi, &c);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc != 0)
    return;
  cursor_track(d, c, CURSOR_UNSET);
  Key key;
  gen_key(d, db, &key, 0);
  int from_first = rng_chance(&d->rng, 300);
  rc = cursor_get(d, db, c, from_first ? MDB_FIRST : MDB_SET_RANGE, from_first ? NULL : &key, NULL, NULL, NULL);
  unsigned long n = (unsigned long)rng_range(&d->rng, 5, 300);
  for (unsigned long i = 0; rc == 0 && i < n; i++) {
    if (is_dup_db(db)) {
      rc = dup_delete(d, db, c, 0, "bulk-del");
      if (rc == 0 && dup_reposition(d, db, c))
        break; /* deleted the last item */
      continue;
    }
    trace_start(&d->trace, 'A', "bulk-del");
    trace_db(&d->trace, db);
    rc = mdb_cursor_del(c, 0);
    trace_rc(&d->trace, rc);
    trace_end(&d->trace);
    note_rc(d, rc);
  }
  if (!dup_reposition(d, db, c)) {
    cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, NULL, NULL);
    cursor_get(d, db, c, MDB_NEXT, NULL, NULL, NULL, NULL);
  }
  mdb_cursor_close(c);
}

/* The final dump of one database: every item in order as a D line, then the reverse walk as a count and
 * a hash. With `fill_pool`, the keys seen become the database's key pool (--verify-existing). */
unsigned long walk_database(Driver *d, MDB_txn *txn, int db_index, MDB_dbi dbi, int fill_pool) {
  Db view = d->dbs[db_index];
  view.dbi = dbi;
  MDB_cursor *c;
  char buf[32];
  int rc = mdb_cursor_open(txn, dbi, &c);
  if (rc != 0) {
    trace_start(&d->trace, 'D', "dump-cursor");
    trace_db(&d->trace, &view);
    trace_rc(&d->trace, rc);
    trace_end(&d->trace);
    return 0;
  }
  MDB_val k, v;
  unsigned long n = 0, back = 0;
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++) {
    trace_start(&d->trace, 'D', "item");
    trace_db(&d->trace, &view);
    trace_item(d, &view, &k, &v);
    trace_end(&d->trace);
    if (fill_pool) {
      add_key_to_pool_from(&d->dbs[db_index], &k);
      dup_pool_value(&d->dbs[db_index], &v);
    }
  }
  trace_start(&d->trace, 'D', "dump-end");
  trace_db(&d->trace, &view);
  trace_add(&d->trace, " n=%lu last=%s", n, rc_name(rc, buf, sizeof buf));
  trace_end(&d->trace);
  uint64_t h = fnv64(NULL, 0);
  for (rc = mdb_cursor_get(c, &k, &v, MDB_LAST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV), back++)
    h = hash_item(&view, &k, &v, h);
  trace_start(&d->trace, 'D', "dump-reverse");
  trace_db(&d->trace, &view);
  trace_add(&d->trace, " n=%lu hash=%016llx last=%s", back, (unsigned long long)h, rc_name(rc, buf, sizeof buf));
  trace_end(&d->trace);
  mdb_cursor_close(c);
  dump_dups(d, txn, &view);
  return n;
}
