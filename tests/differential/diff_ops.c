/* Data and database operations of the differential driver: put, get, del, stat, compare, database
 * handles, drop, bulk loads, and deliberate misuse that LMDB answers with a defined error. Each function
 * is one scheduler operation and traces every library call it makes. See diff_driver.h. */
#include "diff_driver.h"

#include <string.h>

static MDB_txn *innermost(Driver *d) { return d->writers[d->depth - 1]; }

unsigned writable_mask(const Driver *d) {
  unsigned mask = 0;
  for (int i = 0; i < db_count; i++)
    if (d->dbs[i].state != HANDLE_CLOSED)
      mask |= 1u << i;
  return mask;
}

/* A database among those in `usable_mask`, weighted by DbSpec.weight; the unnamed one if none. */
Db *pick_db(Driver *d, unsigned usable_mask) {
  unsigned total = 0;
  for (int i = 0; i < db_count; i++)
    if (usable_mask & (1u << i))
      total += db_specs[i].weight;
  uint64_t r = rng_below(&d->rng, total);
  for (int i = 0; i < db_count; i++) {
    if (!(usable_mask & (1u << i)))
      continue;
    if (r < db_specs[i].weight)
      return &d->dbs[i];
    r -= db_specs[i].weight;
  }
  return &d->dbs[kDbMain];
}

/* An MDB_BAD_TXN answer means the innermost writer failed earlier: the scheduler ends it next. */
void note_rc(Driver *d, int rc) {
  if (rc == MDB_BAD_TXN && d->depth > 0)
    d->writer_failed = 1;
}

void close_handle(Driver *d, int db_index) {
  d->dbs[db_index].state = HANDLE_CLOSED;
  for (int i = 0; i < kReaderSlots; i++) {
    Reader *r = &d->readers[i];
    r->usable &= ~(1u << db_index);
    if (r->parked != NULL && r->parked_db == db_index) {
      mdb_cursor_close(r->parked);
      r->parked = NULL;
    }
  }
}

/* ---- keys that sort after the last one, for MDB_APPEND -------------------------------------------- */

static int successor_bytes(Driver *d, const MDB_val *last, Key *key, int reverse) {
  const unsigned char *p = last->mv_data;
  size_t n = last->mv_size;
  if (n < kMaxKeySize) { /* a longer key with the last key as its (reverse: trailing) part */
    unsigned char extra = (unsigned char)rng_next(&d->rng);
    memcpy(key->bytes + (reverse ? 1 : 0), p, n);
    key->bytes[reverse ? 0 : n] = extra;
    key->len = n + 1;
    return 1;
  }
  for (size_t k = 0; k < n; k++) { /* bump the least significant byte that is not 0xff */
    size_t at = reverse ? k : n - 1 - k;
    if (p[at] == 0xff)
      continue;
    size_t from = reverse ? at : 0, len = reverse ? n - at : at + 1;
    memcpy(key->bytes, p + from, len);
    key->bytes[reverse ? 0 : len - 1]++;
    key->len = len;
    return 1;
  }
  return 0;
}

int key_successor(Driver *d, const Db *db, const MDB_val *last, Key *key) {
  if (db->spec->kind == KEY_BYTES)
    return successor_bytes(d, last, key, (db->spec->flags & MDB_REVERSEKEY) != 0);
  uint64_t v = 0, step = rng_range(&d->rng, 1, 1000);
  memcpy(&v, last->mv_data, last->mv_size);
  uint64_t max = last->mv_size == 4 ? 0xffffffffULL : ~0ULL;
  if (v > max - step)
    return 0;
  v += step;
  memcpy(key->bytes, &v, last->mv_size);
  key->len = last->mv_size;
  return 1;
}

/* Replaces `key` by one that sorts after the last key of `db` (read through a traced probe cursor). If
 * the database is empty, `key` already qualifies. */
void make_append_key(Driver *d, MDB_txn *txn, const Db *db, Key *key) {
  MDB_cursor *cursor;
  MDB_val k = {0, NULL}, v = {0, NULL};
  trace_start(&d->trace, 'A', "append-probe");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_open(txn, db->dbi, &cursor);
  if (rc == 0) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST);
    mdb_cursor_close(cursor);
  }
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_item(d, db, &k, &v);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc == 0)
    key_successor(d, db, &k, key);
}

/* ---- put, get, del ------------------------------------------------------------------------------- */

static unsigned pick_put_flags(Driver *d) {
  static const unsigned kOdd[] = {MDB_NOOVERWRITE | MDB_RESERVE, MDB_APPEND | MDB_NOOVERWRITE, MDB_NODUPDATA,
                                  MDB_APPENDDUP, MDB_CURRENT, MDB_MULTIPLE, 0x8};
  uint64_t r = rng_below(&d->rng, 100);
  if (r < 55)
    return 0;
  if (r < 72)
    return MDB_NOOVERWRITE;
  if (r < 82)
    return MDB_RESERVE;
  if (r < 94)
    return MDB_APPEND;
  return kOdd[rng_below(&d->rng, sizeof kOdd / sizeof kOdd[0])];
}

/* One mdb_put (or, with `cursor`, mdb_cursor_put) of `key`/`value`, filling the space on MDB_RESERVE. */
int traced_put(Driver *d, const Db *db, MDB_txn *txn, MDB_cursor *cursor, Key *key, MDB_val value,
               unsigned flags, const char *op) {
  MDB_val k = key_val(key), data = value;
  trace_start(&d->trace, 'A', op);
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  trace_bytes(&d->trace, "v", value.mv_data, value.mv_size);
  trace_add(&d->trace, " flags=0x%x", flags);
  int rc = cursor ? mdb_cursor_put(cursor, &k, &data, flags) : mdb_put(txn, db->dbi, &k, &data, flags);
  trace_rc(&d->trace, rc);
  if (rc == 0 && (flags & MDB_RESERVE)) {
    trace_add(&d->trace, " reserved=%zu", data.mv_size);
    if (data.mv_size == value.mv_size && value.mv_size > 0)
      memcpy(data.mv_data, value.mv_data, value.mv_size);
  }
  if (rc == MDB_KEYEXIST && is_subdb_record(db, &k, &data))
    trace_value(d, db, &k, &data); /* a database's record: its page numbers are layout (a P line) */
  else if (rc == MDB_KEYEXIST)
    trace_bytes(&d->trace, "old", data.mv_data, data.mv_size);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (cursor != NULL && is_dup_db(db) && (rc == 0 || rc == MDB_KEYEXIST))
    cursor_track(d, cursor, CURSOR_READY); /* the put positioned it */
  return rc;
}

void op_put(Driver *d) {
  MDB_txn *txn = innermost(d);
  Db *db = pick_db(d, writable_mask(d));
  if (is_dup_db(db)) {
    op_dup_put(d, db);
    return;
  }
  unsigned flags = pick_put_flags(d);
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 400));
  if ((flags & MDB_APPEND) && rng_chance(&d->rng, 700))
    make_append_key(d, txn, db, &key);
  pool_add(db, &key);
  traced_put(d, db, txn, NULL, &key, gen_value(d), flags, "put");
}

void op_get(Driver *d, MDB_txn *txn, unsigned usable_mask) {
  Db *db = pick_db(d, usable_mask);
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 150));
  MDB_val k = key_val(&key), data = {0, NULL};
  trace_start(&d->trace, 'A', "get");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  int rc = mdb_get(txn, db->dbi, &k, &data);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_value(d, db, &k, &data);
  trace_end(&d->trace);
  note_rc(d, rc);
}

void op_del(Driver *d) {
  Db *db = pick_db(d, writable_mask(d));
  if (is_dup_db(db)) {
    op_dup_del(d, db);
    return;
  }
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 150));
  MDB_val k = key_val(&key), data = {0, NULL};
  int with_data = rng_chance(&d->rng, 200);
  if (with_data)
    data = gen_small_value(d, 32);
  trace_start(&d->trace, 'A', "del");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  if (with_data)
    trace_bytes(&d->trace, "v", data.mv_data, data.mv_size);
  int rc = mdb_del(innermost(d), db->dbi, &k, with_data ? &data : NULL);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
}

/* ---- statistics, comparison, flags ------------------------------------------------------------- */

void op_stat(Driver *d, MDB_txn *txn, unsigned usable_mask) {
  Db *db = pick_db(d, usable_mask);
  MDB_stat st;
  trace_start(&d->trace, 'A', "stat");
  trace_db(&d->trace, db);
  int rc = mdb_stat(txn, db->dbi, &st);
  trace_rc(&d->trace, rc);
  if (rc == 0) {
    trace_add(&d->trace, " entries=%zu psize=%u", st.ms_entries, st.ms_psize);
    trace_page(&d->trace, " db=%s depth=%u branch=%zu leaf=%zu overflow=%zu", db->spec->label, st.ms_depth,
               st.ms_branch_pages, st.ms_leaf_pages, st.ms_overflow_pages);
  }
  trace_end(&d->trace);
  note_rc(d, rc);
}

void op_cmp(Driver *d, MDB_txn *txn, unsigned usable_mask) {
  Db *db = pick_db(d, usable_mask);
  Key a, b;
  gen_key(d, db, &a, 0);
  gen_key(d, db, &b, rng_chance(&d->rng, 500));
  if (db->spec->kind != KEY_BYTES)
    b.len = a.len; /* integer keys of one database all have one size */
  MDB_val va = key_val(&a), vb = key_val(&b);
  int c = mdb_cmp(txn, db->dbi, &va, &vb);
  trace_start(&d->trace, 'A', "cmp");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "a", va.mv_data, va.mv_size);
  trace_bytes(&d->trace, "b", vb.mv_data, vb.mv_size);
  trace_add(&d->trace, " => %d", c < 0 ? -1 : c > 0 ? 1 : 0);
  trace_end(&d->trace);
}

void op_dbi_flags(Driver *d, MDB_txn *txn, unsigned usable_mask) {
  Db *db = pick_db(d, usable_mask);
  unsigned flags = 0;
  trace_start(&d->trace, 'A', "dbi-flags");
  trace_db(&d->trace, db);
  int rc = mdb_dbi_flags(txn, db->dbi, &flags);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " flags=0x%x", flags);
  trace_end(&d->trace);
}

/* ---- misuse with a defined answer ---------------------------------------------------------------- */

/* Empty keys, keys one byte over the limit, and long keys looked up. */
void op_bad_size(Driver *d) {
  MDB_txn *txn = innermost(d);
  Db *db = pick_db(d, writable_mask(d));
  Key key;
  uint64_t what = rng_below(&d->rng, db->spec->kind == KEY_BYTES ? 6 : 4);
  key.len = (what == 1 || what >= 4) ? kMaxKeySize + 1 : 0;
  memset(key.bytes, 'k', sizeof key.bytes);
  MDB_val k = key_val(&key), data = gen_small_value(d, 8);
  static const char *const kOps[] = {"put", "put", "get", "del", "get", "del"};
  trace_start(&d->trace, 'A', "bad-size");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " call=%s klen=%zu", kOps[what], key.len);
  int rc = what <= 1 ? mdb_put(txn, db->dbi, &k, &data, 0)
           : (what == 2 || what == 4) ? mdb_get(txn, db->dbi, &k, &data)
                                      : mdb_del(txn, db->dbi, &k, NULL);
  trace_rc(&d->trace, rc);
  if (rc == 0 && (what == 2 || what == 4))
    trace_bytes(&d->trace, "v", data.mv_data, data.mv_size);
  trace_end(&d->trace);
  note_rc(d, rc);
}

/* Handles that are not user databases: a number never opened, and FREE_DBI (0). */
void op_invalid_dbi(Driver *d, MDB_txn *txn) {
  MDB_dbi dbi = rng_chance(&d->rng, 500) ? 77 : 0;
  Key key = {1, {'x'}};
  MDB_val k = key_val(&key), data = {0, NULL};
  MDB_cursor *cursor = NULL;
  uint64_t what = rng_below(&d->rng, 4);
  static const char *const kOps[] = {"get", "put", "cursor-open", "drop"};
  trace_start(&d->trace, 'A', "invalid-dbi");
  trace_add(&d->trace, " dbi=%u call=%s", dbi, kOps[what]);
  int rc = what == 0   ? mdb_get(txn, dbi, &k, &data)
           : what == 1 ? mdb_put(txn, dbi, &k, &data, 0)
           : what == 2 ? mdb_cursor_open(txn, dbi, &cursor)
                       : mdb_drop(txn, dbi, 0);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  if (rc == 0 && cursor != NULL)
    mdb_cursor_close(cursor);
}

/* ---- database handles ---------------------------------------------------------------------------- */

/* In the top-level writer: open a named database, with or without MDB_CREATE. */
void op_dbi_open(Driver *d) {
  int index = (int)rng_range(&d->rng, 1, db_count - 1);
  Db *db = &d->dbs[index];
  unsigned flags = db->spec->flags;
  if (db->state == HANDLE_CLOSED) {
    if (rng_chance(&d->rng, index == db_never ? 0 : db->spec->create_at_start ? 700 : 300))
      flags |= MDB_CREATE;
  } else if (rng_chance(&d->rng, 300)) {
    flags |= MDB_CREATE;
  }
  if (index != db_never && rng_chance(&d->rng, 100))
    flags &= MDB_CREATE; /* no persistent flags: the stored ones apply */
  MDB_dbi dbi = 0;
  trace_start(&d->trace, 'A', "dbi-open");
  trace_add(&d->trace, " name=%s flags=0x%x", db->spec->name, flags);
  int rc = mdb_dbi_open(innermost(d), db->spec->name, flags, &dbi);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " dbi=%u", dbi);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc == 0 && db->state == HANDLE_CLOSED) {
    db->dbi = dbi;
    db->state = HANDLE_PENDING;
  }
}

/* Empty a named database, or (top-level writer only) delete it, which closes its handle at once. */
void op_drop(Driver *d) {
  unsigned mask = writable_mask(d) & ~1u;
  if (mask == 0)
    return;
  Db *db = pick_db(d, mask);
  int del = d->depth == 1 && rng_chance(&d->rng, 400);
  trace_start(&d->trace, 'A', "drop");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " del=%d", del);
  int rc = mdb_drop(innermost(d), db->dbi, del);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc == 0 && del)
    close_handle(d, (int)(db - d->dbs));
}

/* ---- bulk loads: many keys in one transaction, to grow trees several levels deep ------------------- */

void op_bulk_put(Driver *d) {
  MDB_txn *txn = innermost(d);
  Db *db = pick_db(d, writable_mask(d));
  unsigned long n = (unsigned long)rng_range(&d->rng, 20, 300);
  for (unsigned long i = 0; i < n; i++) {
    Key key;
    gen_key(d, db, &key, 1);
    pool_add(db, &key);
    MDB_val value = is_dup_db(db)                ? gen_dup_value(d, db)
                    : rng_chance(&d->rng, 900) ? gen_small_value(d, 64)
                                               : gen_small_value(d, 3000);
    int rc = traced_put(d, db, txn, NULL, &key, value, 0, "bulk-put");
    if (rc != 0)
      return;
  }
}

void op_bulk_append(Driver *d) {
  MDB_txn *txn = innermost(d);
  Db *db = pick_db(d, writable_mask(d));
  Key key;
  gen_key(d, db, &key, 1);
  make_append_key(d, txn, db, &key);
  unsigned long n = (unsigned long)rng_range(&d->rng, 20, 400);
  for (unsigned long i = 0; i < n; i++) {
    pool_add(db, &key);
    MDB_val value = is_dup_db(db)                ? gen_dup_value(d, db)
                    : rng_chance(&d->rng, 950) ? gen_small_value(d, 100)
                                               : gen_value(d);
    int rc = traced_put(d, db, txn, NULL, &key, value, MDB_APPEND, "bulk-append");
    MDB_val last = key_val(&key);
    Key next;
    if (rc != 0 || !key_successor(d, db, &last, &next))
      return;
    key = next;
  }
}
