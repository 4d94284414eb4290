/* DUPSORT databases in the differential driver (--dupsort): keys with many values, so that duplicates
 * live first in a sub-page inside the leaf node, then (past node_max) in a sub-database, and shrink again
 * as they are deleted; every duplicate cursor operation; MDB_MULTIPLE puts; the errors LMDB defines for
 * bad duplicate input. See diff_driver.h and README.md ("DUPSORT").
 *
 * Keys: a database keeps few keys (gen_dup_key mostly reuses its pool), so their values pile up. Values:
 * 1..511 bytes (lmdb.h: DUPSORT data sizes are bound like key sizes; an empty value, which liblmdb takes
 * unchecked, is dropped when its key gets a second value and crashes a later MDB_APPENDDUP, so it is not
 * generated), a fixed size for DUPFIXED databases, native integers for INTEGERDUP; a pool of values
 * already used makes GET_BOTH, NODUPDATA and deletes with data hit.
 *
 * Every call the library answers is traced. Calls whose outcome liblmdb 0.9.24 leaves undefined, or that
 * damage its memory, are not made; each such case has a name in known_differences.txt and a comment here
 * (cursor states after failed positioning and deletes, PREV on an unpositioned cursor, MDB_CURRENT with a
 * value of another size, MDB_RESERVE, empty values, MDB_MULTIPLE with a first value equal to the single
 * existing one). The wrong-size DUPFIXED put is checked on Aspen's side alone, as X lines that carry
 * their expected answer (op_dup_fixed_probe). */
#include "diff_driver.h"

#include <stdlib.h>
#include <string.h>

static MDB_txn *innermost(Driver *d) { return d->writers[d->depth - 1]; }

int is_dup_db(const Db *db) { return (db->spec->flags & MDB_DUPSORT) != 0; }
static int is_fixed(const Db *db) { return (db->spec->flags & MDB_DUPFIXED) != 0; }
static int is_intdup(const Db *db) { return (db->spec->flags & MDB_INTEGERDUP) != 0; }

/* The databases of `mask` that are DUPSORT (and, with `fixed`, DUPFIXED). */
static unsigned dup_mask(const Driver *d, unsigned mask, int fixed) {
  unsigned out = 0;
  for (int i = 0; i < db_count; i++)
    if ((mask & (1u << i)) && is_dup_db(&d->dbs[i]) && (!fixed || is_fixed(&d->dbs[i])))
      out |= 1u << i;
  return out;
}

/* The value size of each DUPFIXED database: the spec's, or one chosen from the seed (the same in the
 * --verify-existing run of that seed), from 1 byte to LMDB's 511. */
void dup_setup(Driver *d) {
  static const size_t kSizes[] = {1, 2, 3, 5, 8, 12, 16, 31, 64, 100, 255, 400, 511};
  for (int i = 0; i < db_count; i++) {
    Db *db = &d->dbs[i];
    db->value_size = db->spec->value_size;
    if (is_fixed(db) && db->value_size == 0)
      db->value_size = kSizes[d->opt.seed % (sizeof kSizes / sizeof kSizes[0])];
  }
}

static MDB_val value_val(Value *v) {
  MDB_val m = {v->len, v->bytes};
  return m;
}

/* ---- cursor states the driver keeps away from ---------------------------------------------------------
 *
 * Four cursor states have no defined answer in liblmdb 0.9.24 for a DUPSORT database; the driver never
 * asks a question in them, and lists them in known_differences.txt ("avoided" entries):
 *   - lost-cursor: after a failed SET, SET_KEY, SET_RANGE, GET_BOTH or GET_BOTH_RANGE liblmdb leaves the
 *     stack at the insertion point (possibly one past the last node) and the sub-cursor stale; a following
 *     NEXT_DUP, GET_CURRENT, count or delete reads a node past the end of the page or a freed sub-page
 *     (garbage, or 'indx < numkeys' in mdb_node_del). lmdb.h gives such a cursor no position (every 0.9
 *     release behaves so). The driver marks it CURSOR_LOST and moves it to FIRST or LAST before its next
 *     step (dup_reposition).
 *   - prev-unset: MDB_PREV/PREV_DUP/PREV_NODUP on an unpositioned cursor: 0.9.24's mdb_cursor_prev runs
 *     mdb_cursor_last, steps one past the last node and reads that node's flags (no `ki < NUMKEYS` guard;
 *     the guard is in the 0.9.28 and later sources), following a stale pointer in the page's free space.
 *     Done right this is the last item, so for a CURSOR_UNSET cursor the driver issues MDB_LAST
 *     (dup_safe_op).
 *   - first-dup-eof (ITS#9723 "clear C_EOF on cursor with MDB_FIRST_DUP", 0.9.30): 0.9.24's FIRST_DUP
 *     and LAST_DUP leave the cursor's end-of-data flag set (after MDB_LAST, say), so a following NEXT or
 *     NEXT_DUP answers MDB_NOTFOUND on the last node of a page although duplicates follow. After every
 *     successful FIRST_DUP or LAST_DUP the driver puts the cursor on the same item again with GET_BOTH,
 *     which clears the flag in every version (dup_clear_eof): the later releases' state.
 *   - after-delete (ITS#9376 "fix repeated DUPSORT cursor deletes", 0.9.27, refixed by ITS#9461 in
 *     0.9.29): after mdb_cursor_del 0.9.24 may leave the cursor and its sub-cursor on a stale or garbage
 *     node (past the end when the last item of a page went), so even GET_CURRENT may answer another key
 *     or a value of 16 KB, and the next delete, LAST_DUP, GET_MULTIPLE or PREV crashes. So a delete
 *     through a DUPSORT cursor is always dup_delete: GET_CURRENT names the item first, then the delete,
 *     then the cursor is put on the deleted item's successor by absolute operations (GET_BOTH_RANGE of
 *     the item, else SET_RANGE and NEXT_NODUP), which every version answers alike. Aspen's own position
 *     after a DUPSORT delete is covered by the unit tests (tests/unit/tree/). */
static int cursor_slot(const Driver *d, const MDB_cursor *c) {
  for (int i = 0; i < d->cursor_count; i++)
    if (d->cursors[i].cursor == c)
      return i;
  return -1;
}

static int cursor_state(const Driver *d, const MDB_cursor *c) {
  int i = cursor_slot(d, c);
  return i < 0 ? CURSOR_READY : d->cursors[i].state;
}

void cursor_track(Driver *d, MDB_cursor *c, int state) {
  int i = cursor_slot(d, c);
  if (i < 0 && state == CURSOR_READY)
    return;
  if (i >= 0 && state == CURSOR_READY) {
    d->cursors[i] = d->cursors[--d->cursor_count];
    return;
  }
  if (i < 0) {
    if (d->cursor_count == (int)(sizeof d->cursors / sizeof d->cursors[0]))
      d->cursor_count--; /* cursors are few: an entry of a closed cursor goes */
    i = d->cursor_count++;
    d->cursors[i].cursor = c;
  }
  d->cursors[i].state = state;
}

static int is_set_op(MDB_cursor_op op) {
  return op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE || op == MDB_GET_BOTH ||
         op == MDB_GET_BOTH_RANGE;
}

void note_position(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op, int rc) {
  if (!is_dup_db(db))
    return;
  if (is_set_op(op))
    cursor_track(d, c, rc == 0 ? CURSOR_READY : CURSOR_LOST);
  else if (rc == 0)
    cursor_track(d, c, CURSOR_READY);
}

MDB_cursor_op dup_safe_op(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op) {
  if (is_dup_db(db) && cursor_state(d, c) == CURSOR_UNSET &&
      (op == MDB_PREV || op == MDB_PREV_DUP || op == MDB_PREV_NODUP)) {
    d->avoided[AVOID_PREV_UNSET]++;
    return MDB_LAST;
  }
  return op;
}

/* The successor of the deleted item `k`/`v` by absolute operations: the next duplicate of `k`, else the
 * first of the next key (else the cursor is lost past the end). */
static void reposition_after_delete(Driver *d, const Db *db, MDB_cursor *c, Key *k, Value *v, unsigned flags) {
  MDB_val vv = value_val(v), found;
  if (!(flags & MDB_NODUPDATA) && cursor_get(d, db, c, MDB_GET_BOTH_RANGE, k, &vv, NULL, NULL) == 0)
    return;
  if (cursor_get(d, db, c, MDB_SET_RANGE, k, NULL, &found, NULL) == 0 && found.mv_size == k->len &&
      memcmp(found.mv_data, k->bytes, k->len) == 0)
    cursor_get(d, db, c, MDB_NEXT_NODUP, NULL, NULL, NULL, NULL);
}

int dup_delete(Driver *d, const Db *db, MDB_cursor *c, unsigned flags, const char *op) {
  MDB_val k, v;
  Key key;
  Value value;
  int captured = cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) == 0;
  if (captured) {
    key.len = k.mv_size <= kMaxKeySize ? k.mv_size : kMaxKeySize;
    memcpy(key.bytes, k.mv_data, key.len);
    value.len = v.mv_size <= kMaxKeySize ? v.mv_size : kMaxKeySize;
    memcpy(value.bytes, v.mv_data, value.len);
  }
  trace_start(&d->trace, 'A', op);
  trace_db(&d->trace, db);
  trace_add(&d->trace, " flags=0x%x", flags);
  int rc = mdb_cursor_del(c, flags);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc == 0 && captured) {
    d->avoided[AVOID_AFTER_DELETE]++;
    reposition_after_delete(d, db, c, &key, &value, flags);
  }
  return rc;
}

/* FIRST_DUP and LAST_DUP do not return the key of a key with duplicates: GET_CURRENT names the item. */
void dup_clear_eof(Driver *d, const Db *db, MDB_cursor *c) {
  MDB_val k, v;
  if (!is_dup_db(db) || cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) != 0 || k.mv_size == 0 ||
      k.mv_size > kMaxKeySize || v.mv_size > kMaxKeySize)
    return;
  Key key;
  Value value;
  key.len = k.mv_size;
  memcpy(key.bytes, k.mv_data, key.len);
  value.len = v.mv_size;
  memcpy(value.bytes, v.mv_data, value.len);
  MDB_val vv = value_val(&value);
  d->avoided[AVOID_FIRST_DUP_EOF]++;
  cursor_get(d, db, c, MDB_GET_BOTH, &key, &vv, NULL, NULL);
}

/* If `c` is lost: a traced FIRST or LAST instead of the step the caller was about to take; returns 1. */
int dup_reposition(Driver *d, const Db *db, MDB_cursor *c) {
  if (!is_dup_db(db) || cursor_state(d, c) != CURSOR_LOST)
    return 0;
  d->avoided[AVOID_LOST_CURSOR]++;
  MDB_cursor_op op = rng_chance(&d->rng, 500) ? MDB_FIRST : MDB_LAST;
  if (cursor_get(d, db, c, op, NULL, NULL, NULL, NULL) != 0)
    cursor_track(d, c, CURSOR_UNSET); /* an empty database: nothing to be lost in */
  return 1;
}

/* ---- keys and values ------------------------------------------------------------------------------- */

static void pool_add_unique(Db *db, const Key *key) {
  for (size_t i = 0; i < db->pool_count; i++)
    if (db->pool[i].len == key->len && memcmp(db->pool[i].bytes, key->bytes, key->len) == 0)
      return;
  pool_add(db, key);
}

/* Few keys: usually one of the database's first keys, sometimes a new one. */
void gen_dup_key(Driver *d, const Db *db, Key *key, int fresh) {
  if (db->pool_count == 0 || rng_chance(&d->rng, fresh ? 300 : 60)) {
    gen_new_key(d, db, key);
    return;
  }
  size_t n = db->pool_count;
  if (n > 8 && rng_chance(&d->rng, 600))
    n = 8;
  *key = db->pool[rng_below(&d->rng, n)];
}

void dup_pool_value(Db *db, const MDB_val *value) {
  if (!is_dup_db(db) || value->mv_size > kMaxKeySize)
    return;
  for (size_t i = 0; i < db->value_count; i++)
    if (db->values[i].len == value->mv_size && memcmp(db->values[i].bytes, value->mv_data, value->mv_size) == 0)
      return;
  size_t at = db->value_count < kValuePoolCapacity ? db->value_count++
                                                   : fnv64(value->mv_data, value->mv_size) % kValuePoolCapacity;
  db->values[at].len = value->mv_size;
  memcpy(db->values[at].bytes, value->mv_data, value->mv_size);
}

static size_t pick_value_length(Rng *r) {
  uint64_t b = rng_below(r, 1000);
  return b < 300   ? (size_t)rng_range(r, 1, 8)
         : b < 600 ? (size_t)rng_range(r, 9, 64)
         : b < 850 ? (size_t)rng_range(r, 65, 300)
         : b < 960 ? (size_t)rng_range(r, 301, 510)
                   : kMaxKeySize;
}

static uint64_t pick_integer(Rng *r, size_t size) {
  uint64_t b = rng_below(r, 100);
  uint64_t v = b < 60 ? rng_below(r, 300) : b < 90 ? rng_below(r, 1ULL << 32) : rng_next(r);
  return size == 4 ? (uint32_t)v : v;
}

/* A value of `len` bytes (ignored for integer and fixed-size databases), into d->dup_value. */
static MDB_val make_value(Driver *d, const Db *db, size_t len) {
  Value *out = &d->dup_value;
  if (is_intdup(db)) {
    uint64_t v = pick_integer(&d->rng, db->value_size);
    out->len = db->value_size;
    if (out->len == 4) {
      uint32_t u = (uint32_t)v;
      memcpy(out->bytes, &u, 4);
    } else {
      memcpy(out->bytes, &v, 8);
    }
    return value_val(out);
  }
  out->len = db->value_size ? db->value_size : len > 0 ? len : 1;
  int narrow = rng_chance(&d->rng, 500);
  for (size_t i = 0; i < out->len; i++)
    out->bytes[i] = narrow ? (unsigned char)('a' + rng_below(&d->rng, 3)) : (unsigned char)rng_next(&d->rng);
  return value_val(out);
}

/* A value for `db`: often one used before, otherwise new. */
MDB_val gen_dup_value(Driver *d, Db *db) {
  if (db->value_count > 0 && rng_chance(&d->rng, 250)) {
    d->dup_value = db->values[rng_below(&d->rng, db->value_count)];
    return value_val(&d->dup_value);
  }
  return make_value(d, db, pick_value_length(&d->rng));
}

/* A value that sorts after `last` in the duplicate order of `db`; 0 if there is none. */
static int value_successor(Driver *d, const Db *db, const MDB_val *last, Value *out) {
  size_t n = last->mv_size < kMaxKeySize ? last->mv_size : kMaxKeySize;
  if (is_intdup(db)) {
    uint64_t v = 0, step = rng_range(&d->rng, 1, 40);
    uint64_t max = db->value_size == 4 ? 0xffffffffULL : ~0ULL;
    memcpy(&v, last->mv_data, n < 8 ? n : 8);
    if (v > max - step)
      return 0;
    v += step;
    memcpy(out->bytes, &v, db->value_size);
    out->len = db->value_size;
    return 1;
  }
  int reverse = (db->spec->flags & MDB_REVERSEDUP) != 0;
  memcpy(out->bytes + (reverse && n < kMaxKeySize && !db->value_size ? 1 : 0), last->mv_data, n);
  out->len = n;
  if (!db->value_size && n < kMaxKeySize) { /* one byte longer, the last value as its prefix (suffix) */
    out->bytes[reverse ? 0 : n] = (unsigned char)rng_next(&d->rng);
    out->len = n + 1;
    return 1;
  }
  for (size_t k = 0; k < n; k++) { /* bump the least significant byte that is not 0xff */
    size_t at = reverse ? k : n - 1 - k;
    if (out->bytes[at] != 0xff) {
      out->bytes[at]++;
      return 1;
    }
  }
  return 0;
}

/* For MDB_APPENDDUP: a value after the key's last duplicate, read through a traced probe cursor. */
static MDB_val appenddup_value(Driver *d, MDB_txn *txn, const Db *db, Key *key, MDB_val fallback) {
  MDB_cursor *c = NULL;
  MDB_val k = key_val(key), v = {0, NULL};
  trace_start(&d->trace, 'A', "appenddup-probe");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  int rc = mdb_cursor_open(txn, db->dbi, &c);
  int opened = rc == 0;
  if (rc == 0) {
    rc = mdb_cursor_get(c, &k, &v, MDB_SET);
    if (rc == 0)
      rc = mdb_cursor_get(c, &k, &v, MDB_LAST_DUP);
  }
  trace_rc(&d->trace, rc);
  Value next;
  int made = rc == 0 && value_successor(d, db, &v, &next);
  if (rc == 0)
    trace_bytes(&d->trace, "last", v.mv_data, v.mv_size);
  if (opened)
    mdb_cursor_close(c);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (!made)
    return fallback;
  d->dup_value = next;
  return value_val(&d->dup_value);
}

/* ---- put and del ------------------------------------------------------------------------------------ */

/* Flags for mdb_put on a DUPSORT database. MDB_RESERVE is left out ("must not be specified" with
 * DUPSORT, and liblmdb does not check); MDB_CURRENT and MDB_MULTIPLE are EINVAL through mdb_put. */
static unsigned pick_dup_flags(Driver *d) {
  static const unsigned kOdd[] = {MDB_CURRENT, MDB_MULTIPLE, MDB_NODUPDATA | MDB_NOOVERWRITE,
                                  MDB_APPEND | MDB_APPENDDUP, MDB_NODUPDATA | MDB_APPENDDUP};
  uint64_t r = rng_below(&d->rng, 100);
  return r < 45   ? 0
         : r < 65 ? MDB_NODUPDATA
         : r < 75 ? MDB_NOOVERWRITE
         : r < 88 ? MDB_APPENDDUP
         : r < 94 ? MDB_APPEND
                  : kOdd[rng_below(&d->rng, sizeof kOdd / sizeof kOdd[0])];
}

/* One put of a key and value chosen for `flags` (appendable key or value half of the time). */
static void dup_put_with(Driver *d, Db *db, MDB_txn *txn, MDB_cursor *c, unsigned flags, const char *op) {
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 150));
  if ((flags & MDB_APPEND) && rng_chance(&d->rng, 700))
    make_append_key(d, txn, db, &key);
  pool_add_unique(db, &key);
  MDB_val value = gen_dup_value(d, db);
  if ((flags & MDB_APPENDDUP) && rng_chance(&d->rng, 700))
    value = appenddup_value(d, txn, db, &key, value);
  dup_pool_value(db, &value);
  traced_put(d, db, txn, c, &key, value, flags, op);
}

void op_dup_put(Driver *d, Db *db) { dup_put_with(d, db, innermost(d), NULL, pick_dup_flags(d), "put"); }

/* mdb_del of one duplicate (data given: usually a value used before) or of all of a key's. */
void op_dup_del(Driver *d, Db *db) {
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 100));
  int with_data = rng_chance(&d->rng, 650);
  MDB_val k = key_val(&key), data = {0, NULL};
  if (with_data)
    data = gen_dup_value(d, db);
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

/* ---- cursor steps ---------------------------------------------------------------------------------- */

static void traced_count(Driver *d, const Db *db, MDB_cursor *c, size_t *out) {
  size_t count = 0;
  trace_start(&d->trace, 'A', "ccount");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_count(c, &count);
  trace_rc(&d->trace, rc);
  if (rc == 0)
    trace_add(&d->trace, " count=%zu", count);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (out != NULL)
    *out = rc == 0 ? count : 0;
}

/* "multiple-single" in known_differences.txt: when a cursor moves from a key with duplicates to a key with
 * one value (NEXT, NEXT_NODUP, PREV, SET...), liblmdb (every 0.9 release) leaves the sub-cursor on the
 * previous key's duplicates, and GET_MULTIPLE / PREV_MULTIPLE then return a block of that other key (or
 * of a page since freed). Aspen answers as for a key without duplicates (no block). The driver asks for
 * blocks only where the key has two or more values (a traced mdb_cursor_count first). */
static int multiple_ok(Driver *d, const Db *db, MDB_cursor *c) {
  size_t count = 0;
  traced_count(d, db, c, &count);
  if (count < 2)
    d->avoided[AVOID_MULTIPLE_SINGLE]++;
  return count >= 2;
}

/* A value near `v` for GET_BOTH_RANGE: the same, cut, grown or bumped (same size for fixed sizes). */
static MDB_val nudge_value(Driver *d, const Db *db, const MDB_val *v) {
  Value *out = &d->dup_value;
  size_t n = v->mv_size <= kMaxKeySize ? v->mv_size : kMaxKeySize;
  memcpy(out->bytes, v->mv_data, n);
  out->len = n;
  uint64_t how = rng_below(&d->rng, 4);
  if (how == 1 && n > 1 && !db->value_size)
    out->len--;
  else if (how == 2 && n < kMaxKeySize && !db->value_size)
    out->bytes[out->len++] = (unsigned char)rng_next(&d->rng);
  else if (how == 3 && n > 0)
    out->bytes[rng_below(&d->rng, n)] += rng_chance(&d->rng, 500) ? 1 : 255;
  return value_val(out);
}

/* GET_BOTH / GET_BOTH_RANGE on the item under the cursor (possibly nudged), or on a key and a value
 * from the pools. */
static void dup_get_both(Driver *d, Db *db, MDB_cursor *c, MDB_cursor_op op) {
  Key key;
  MDB_val k, v, value;
  if (rng_chance(&d->rng, 500) && cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) == 0) {
    key.len = k.mv_size;
    memcpy(key.bytes, k.mv_data, k.mv_size);
    value = rng_chance(&d->rng, 400) ? nudge_value(d, db, &v) : v;
    d->dup_value.len = value.mv_size <= kMaxKeySize ? value.mv_size : kMaxKeySize;
    memmove(d->dup_value.bytes, value.mv_data, d->dup_value.len);
    value = value_val(&d->dup_value);
  } else {
    gen_key(d, db, &key, 0);
    value = gen_dup_value(d, db);
  }
  cursor_get(d, db, c, op, &key, &value, NULL, NULL);
}

static void dup_move(Driver *d, Db *db, MDB_cursor *c) {
  static const MDB_cursor_op kMoves[] = {
      MDB_FIRST_DUP,     MDB_LAST_DUP,      MDB_NEXT_DUP,      MDB_NEXT_DUP,   MDB_NEXT_DUP,    MDB_PREV_DUP,
      MDB_PREV_DUP,      MDB_NEXT_NODUP,    MDB_NEXT_NODUP,    MDB_PREV_NODUP, MDB_PREV_NODUP,  MDB_GET_BOTH,
      MDB_GET_BOTH,      MDB_GET_BOTH_RANGE, MDB_GET_BOTH_RANGE, MDB_GET_MULTIPLE, MDB_GET_MULTIPLE,
      MDB_NEXT_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE, MDB_NEXT,      MDB_PREV,        MDB_FIRST,
      MDB_LAST,          MDB_SET,           MDB_SET_KEY,       MDB_SET_RANGE,  MDB_GET_CURRENT};
  MDB_cursor_op op = kMoves[rng_below(&d->rng, sizeof kMoves / sizeof kMoves[0])];
  if (op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE) {
    dup_get_both(d, db, c, op);
    return;
  }
  if ((op == MDB_GET_MULTIPLE || op == MDB_PREV_MULTIPLE) && is_fixed(db) && !multiple_ok(d, db, c))
    return;
  Key key;
  int needs_key = op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE;
  if (needs_key)
    gen_key(d, db, &key, rng_chance(&d->rng, 100));
  cursor_get(d, db, c, op, needs_key ? &key : NULL, NULL, NULL, NULL);
}

static int is_multiple(MDB_cursor_op op) {
  return op == MDB_GET_MULTIPLE || op == MDB_NEXT_MULTIPLE || op == MDB_PREV_MULTIPLE;
}

/* A walk: an optional start operation, then one step repeated, traced as a count and a hash. The
 * *_MULTIPLE operations return no key (GET_MULTIPLE) or the same key; only their blocks are hashed. */
static void dup_walk(Driver *d, Db *db, MDB_cursor *c) {
  static const MDB_cursor_op kWalks[][2] = {
      {MDB_GET_CURRENT, MDB_NEXT_DUP},     {MDB_GET_CURRENT, MDB_PREV_DUP},  {MDB_GET_CURRENT, MDB_NEXT_NODUP},
      {MDB_GET_CURRENT, MDB_PREV_NODUP},   {MDB_FIRST, MDB_NEXT_NODUP},      {MDB_LAST, MDB_PREV_NODUP},
      {MDB_FIRST_DUP, MDB_NEXT_DUP},       {MDB_LAST_DUP, MDB_PREV_DUP},     {MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE},
      {MDB_GET_CURRENT, MDB_NEXT_MULTIPLE}, {MDB_LAST_DUP, MDB_PREV_MULTIPLE}, {MDB_GET_CURRENT, MDB_NEXT},
      {MDB_GET_CURRENT, MDB_PREV}};
  size_t w = rng_below(&d->rng, sizeof kWalks / sizeof kWalks[0]);
  unsigned long limit = rng_chance(&d->rng, 100) ? 1000000ul : (unsigned long)rng_range(&d->rng, 1, 40);
  MDB_cursor_op op = kWalks[w][0];
  if ((op == MDB_GET_MULTIPLE || kWalks[w][1] == MDB_PREV_MULTIPLE) && is_fixed(db) && !multiple_ok(d, db, c))
    return; /* "multiple-single", see multiple_ok */
  MDB_val k = {0, NULL}, v = {0, NULL};
  uint64_t h = fnv64(NULL, 0);
  unsigned long n = 0;
  int rc;
  while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
    note_position(d, db, c, op, rc);
    if (n == 0 && (op == MDB_FIRST_DUP || op == MDB_LAST_DUP))
      dup_clear_eof(d, db, c); /* ITS#9723, see above */
    if (is_multiple(op))
      h = fnv64_mix(fnv64_mix(h, &v.mv_size, sizeof v.mv_size), v.mv_data, v.mv_size);
    else
      h = hash_item(db, &k, &v, h);
    op = kWalks[w][1];
    if (++n >= limit)
      break;
  }
  char buf[32];
  trace_start(&d->trace, 'A', "dwalk");
  trace_db(&d->trace, db);
  trace_add(&d->trace, " start=%s step=%s limit=%lu => n=%lu hash=%016llx last=%s", cursor_op_name(kWalks[w][0]),
            cursor_op_name(kWalks[w][1]), limit, n, (unsigned long long)h, rc_name(rc, buf, sizeof buf));
  trace_end(&d->trace);
  note_rc(d, rc);
}

/* MDB_CURRENT on the item under the cursor with a value that sorts into the same place: the same
 * bytes, or, for a key with one value, other bytes of the same size. (A value of another size is left
 * out: on a one-item sub-page liblmdb 0.9.24 overwrites memory, fixed in 0.9.31, ITS#8447.) */
static void dup_put_current(Driver *d, Db *db, MDB_cursor *c) {
  MDB_val k, v;
  if (cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, &k, &v) != 0)
    return;
  Key key;
  key.len = k.mv_size;
  memcpy(key.bytes, k.mv_data, k.mv_size);
  Value same;
  same.len = v.mv_size <= kMaxKeySize ? v.mv_size : kMaxKeySize;
  memcpy(same.bytes, v.mv_data, same.len);
  size_t count = 0;
  traced_count(d, db, c, &count);
  MDB_val value = value_val(&same);
  if (count == 1 && rng_chance(&d->rng, 500))
    value = make_value(d, db, same.len);
  if (value.mv_size != same.len)
    value = value_val(&same); /* an integer database whose value has an odd size */
  traced_put(d, db, NULL, c, &key, value, MDB_CURRENT, "cput");
}

/* "multiple-equal-single" in known_differences.txt: when the key holds a single value and the next value
 * of an MDB_MULTIPLE put equals it, liblmdb (every 0.9 release) overwrites it and returns MDB_SUCCESS at
 * once, the rest unstored (data[1] counts only what went before). That happens for the first value if the
 * key holds exactly it, and for the second if the key was absent and the first two are equal. Aspen
 * stores them all, as the API says. The driver reads the key's values (a traced probe) and changes the
 * first (or second) value so that the case does not arise; unit tests cover Aspen's answer. */
static void avoid_multiple_stop(Driver *d, const Db *db, MDB_txn *txn, Key *key, unsigned char *buf, size_t n) {
  size_t size = db->value_size, count = 0;
  MDB_cursor *c;
  MDB_val k = key_val(key), v = {0, NULL};
  trace_start(&d->trace, 'A', "multiple-probe");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_open(txn, db->dbi, &c);
  if (rc == 0) {
    rc = mdb_cursor_get(c, &k, &v, MDB_SET);
    if (rc == 0)
      rc = mdb_cursor_count(c, &count);
    mdb_cursor_close(c);
  }
  trace_rc(&d->trace, rc);
  if (rc == 0) {
    trace_add(&d->trace, " count=%zu", count);
    trace_bytes(&d->trace, "first", v.mv_data, v.mv_size);
  }
  trace_end(&d->trace);
  unsigned char *clash = NULL;
  if (rc == 0 && count == 1 && v.mv_size == size && memcmp(buf, v.mv_data, size) == 0)
    clash = buf;
  else if (rc == MDB_NOTFOUND && n > 1 && memcmp(buf, buf + size, size) == 0)
    clash = buf + size;
  if (clash != NULL) { /* flip the last byte: a value different from the one it equals */
    d->avoided[AVOID_MULTIPLE_EQUAL_SINGLE]++;
    clash[size - 1] ^= 0x80;
    if (size <= sizeof(uint64_t) && is_intdup(db) && size == 4)
      clash[size - 1] ^= 0x80, clash[0] ^= 1; /* keep small integers small */
  }
}

/* MDB_MULTIPLE: `n` values of the database's size in one call, sorted or not. */
static void put_multiple(Driver *d, Db *db, MDB_cursor *c, Key *key) {
  size_t size = db->value_size;
  size_t n = rng_chance(&d->rng, 20)    ? 0
             : rng_chance(&d->rng, 700) ? (size_t)rng_range(&d->rng, 1, 40)
                                        : (size_t)rng_range(&d->rng, 41, 600);
  unsigned char *buf = calloc(n + 1, size);
  int sorted = rng_chance(&d->rng, 500);
  MDB_val first = gen_dup_value(d, db);
  memcpy(buf, first.mv_data, first.mv_size < size ? first.mv_size : size);
  for (size_t i = 1; i < n; i++) {
    MDB_val prev = {size, buf + (i - 1) * size};
    Value next;
    if (!sorted || !value_successor(d, db, &prev, &next)) {
      MDB_val v = gen_dup_value(d, db);
      memcpy(next.bytes, v.mv_data, size);
    }
    memcpy(buf + i * size, next.bytes, size);
  }
  uint64_t r = rng_below(&d->rng, 100);
  unsigned flags = r < 60 ? 0 : r < 80 ? MDB_NODUPDATA : r < 95 ? MDB_APPENDDUP : MDB_NOOVERWRITE;
  avoid_multiple_stop(d, db, mdb_cursor_txn(c), key, buf, n);
  MDB_val k = key_val(key), data[2] = {{size, buf}, {n, NULL}};
  trace_start(&d->trace, 'A', "cput-multiple");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", k.mv_data, k.mv_size);
  trace_add(&d->trace, " n=%zu size=%zu sorted=%d", n, size, sorted);
  trace_bytes(&d->trace, "values", buf, n * size);
  trace_add(&d->trace, " flags=0x%x", flags);
  int rc = mdb_cursor_put(c, &k, data, MDB_MULTIPLE | flags);
  trace_rc(&d->trace, rc);
  trace_add(&d->trace, " stored=%zu", data[1].mv_size);
  if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE)) /* the key exists: data[0] is its value */
    trace_bytes(&d->trace, "old", data[0].mv_data, data[0].mv_size);
  else
    trace_add(&d->trace, " at=%td", ((unsigned char *)data[0].mv_data - buf) / (ptrdiff_t)size);
  trace_end(&d->trace);
  note_rc(d, rc);
  free(buf);
}

void dup_cursor_put(Driver *d, Db *db, MDB_cursor *c) {
  uint64_t r = rng_below(&d->rng, 100);
  if (r < 25) {
    dup_put_current(d, db, c);
    return;
  }
  if (r < 35 && is_fixed(db)) {
    Key key;
    gen_key(d, db, &key, rng_chance(&d->rng, 200));
    pool_add_unique(db, &key);
    put_multiple(d, db, c, &key);
    return;
  }
  r = rng_below(&d->rng, 100);
  unsigned flags = r < 40   ? 0
                   : r < 60 ? MDB_NODUPDATA
                   : r < 70 ? MDB_NOOVERWRITE
                   : r < 90 ? MDB_APPENDDUP
                   : r < 95 ? MDB_APPEND
                            : MDB_APPEND | MDB_APPENDDUP;
  dup_put_with(d, db, mdb_cursor_txn(c), c, flags, "cput");
}

/* mdb_cursor_del of one duplicate or (MDB_NODUPDATA) of all of the key's, then a look around. */
void dup_cursor_del(Driver *d, Db *db, MDB_cursor *c) {
  unsigned flags = rng_chance(&d->rng, 300) ? MDB_NODUPDATA : 0;
  int rc = dup_delete(d, db, c, flags, "cdel");
  static const MDB_cursor_op kThen[] = {MDB_GET_CURRENT, MDB_GET_CURRENT, MDB_NEXT,       MDB_NEXT_DUP,
                                        MDB_NEXT_DUP,    MDB_PREV,        MDB_NEXT_NODUP, MDB_PREV_DUP,
                                        MDB_LAST_DUP,    MDB_FIRST_DUP,   MDB_GET_MULTIPLE};
  uint64_t then = rng_below(&d->rng, sizeof kThen / sizeof kThen[0] + 1);
  if (rc != 0 || dup_reposition(d, db, c))
    return;
  if (then == sizeof kThen / sizeof kThen[0])
    traced_count(d, db, c, NULL);
  else if (kThen[then] != MDB_GET_MULTIPLE || !is_fixed(db) || multiple_ok(d, db, c))
    cursor_get(d, db, c, kThen[then], NULL, NULL, NULL, NULL);
}

void dup_cursor_step(Driver *d, Db *db, MDB_cursor *c, int writable) {
  uint64_t r = rng_below(&d->rng, 1000);
  if (r < 450 || (!writable && r >= 640))
    dup_move(d, db, c);
  else if (r < 600)
    dup_walk(d, db, c);
  else if (r < 640)
    traced_count(d, db, c, NULL);
  else if (r < 820)
    dup_cursor_put(d, db, c);
  else
    dup_cursor_del(d, db, c);
}

/* ---- scheduler operations ---------------------------------------------------------------------------- */

static MDB_cursor *open_traced_cursor(Driver *d, const Db *db, MDB_txn *txn) {
  MDB_cursor *c = NULL;
  trace_start(&d->trace, 'A', "cursor-open");
  trace_db(&d->trace, db);
  int rc = mdb_cursor_open(txn, db->dbi, &c);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
  note_rc(d, rc);
  if (rc != 0)
    return NULL;
  cursor_track(d, c, CURSOR_UNSET);
  return c;
}

/* Values of one length class for a burst: tiny values make long sub-pages, big ones promote early. */
static size_t burst_length(Driver *d, unsigned cls) {
  static const size_t kLow[] = {1, 1, 9, 65, 301}, kHigh[] = {kMaxKeySize, 8, 64, 300, kMaxKeySize};
  return cls == 0 ? pick_value_length(&d->rng) : (size_t)rng_range(&d->rng, kLow[cls], kHigh[cls]);
}

/* Many values under one key in one go: sub-page growth, promotion to a sub-database, LEAF2 splits. */
void op_dup_burst(Driver *d) {
  Db *db = pick_db(d, dup_mask(d, writable_mask(d), 0));
  if (!is_dup_db(db))
    return;
  MDB_txn *txn = innermost(d);
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 200));
  pool_add_unique(db, &key);
  unsigned long n = rng_chance(&d->rng, 700) ? (unsigned long)rng_range(&d->rng, 10, 60)
                                             : (unsigned long)rng_range(&d->rng, 61, 400);
  unsigned cls = (unsigned)rng_below(&d->rng, 5);
  uint64_t mode = rng_below(&d->rng, 4); /* 0, 1: flags 0; 2: MDB_NODUPDATA; 3: ascending MDB_APPENDDUP */
  MDB_cursor *c = rng_chance(&d->rng, 500) ? open_traced_cursor(d, db, txn) : NULL;
  for (unsigned long i = 0; i < n; i++) {
    MDB_val value = make_value(d, db, burst_length(d, cls));
    if (mode == 3)
      value = appenddup_value(d, txn, db, &key, value);
    dup_pool_value(db, &value);
    int rc = traced_put(d, db, txn, c, &key, value, mode == 3 ? MDB_APPENDDUP : mode == 2 ? MDB_NODUPDATA : 0,
                        "burst-put");
    if (rc != 0 && rc != MDB_KEYEXIST)
      break;
  }
  if (c == NULL)
    c = open_traced_cursor(d, db, txn);
  if (c == NULL)
    return;
  if (cursor_get(d, db, c, MDB_SET, &key, NULL, NULL, NULL) == 0)
    traced_count(d, db, c, NULL);
  mdb_cursor_close(c);
}

/* Deletes through one cursor, mostly consecutive duplicates of one key (then the next keys): sub-pages
 * shrink, sub-database pages merge and empty out, nodes go. */
void op_dup_drain(Driver *d) {
  Db *db = pick_db(d, dup_mask(d, writable_mask(d), 0));
  if (!is_dup_db(db))
    return;
  MDB_cursor *c = open_traced_cursor(d, db, innermost(d));
  if (c == NULL)
    return;
  Key key;
  gen_key(d, db, &key, 0);
  int rc = rng_chance(&d->rng, 700) ? cursor_get(d, db, c, MDB_SET, &key, NULL, NULL, NULL) : 1;
  if (rc != 0) {
    MDB_val value = gen_dup_value(d, db);
    rc = cursor_get(d, db, c, MDB_GET_BOTH_RANGE, &key, &value, NULL, NULL);
  }
  unsigned long n = (unsigned long)rng_range(&d->rng, 1, 300);
  for (unsigned long i = 0; rc == 0 && i < n; i++) {
    uint64_t a = rng_below(&d->rng, 1000);
    if (a < 820 || a >= 960) {
      unsigned flags = a >= 960 && a < 975 ? MDB_NODUPDATA : 0;
      rc = dup_delete(d, db, c, flags, "drain-del");
      if (rc == 0)
        rc = dup_reposition(d, db, c) ? 1 : 0; /* deleted the last item: the drain ends */
    } else if (a < 900) {
      rc = cursor_get(d, db, c, MDB_NEXT_DUP, NULL, NULL, NULL, NULL);
      if (rc == MDB_NOTFOUND)
        rc = cursor_get(d, db, c, MDB_NEXT, NULL, NULL, NULL, NULL);
    } else if (a < 940) {
      traced_count(d, db, c, NULL);
    } else {
      rc = cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, NULL, NULL);
    }
  }
  if (!dup_reposition(d, db, c)) {
    cursor_get(d, db, c, MDB_GET_CURRENT, NULL, NULL, NULL, NULL);
    cursor_get(d, db, c, MDB_NEXT_DUP, NULL, NULL, NULL, NULL);
    cursor_get(d, db, c, MDB_NEXT, NULL, NULL, NULL, NULL);
  }
  mdb_cursor_close(c);
}

/* MDB_MULTIPLE through a fresh cursor on a DUPFIXED database, then the key's count. */
void op_put_multiple(Driver *d) {
  Db *db = pick_db(d, dup_mask(d, writable_mask(d), 1));
  if (!is_fixed(db))
    return;
  MDB_cursor *c = open_traced_cursor(d, db, innermost(d));
  if (c == NULL)
    return;
  Key key;
  gen_key(d, db, &key, rng_chance(&d->rng, 200));
  pool_add_unique(db, &key);
  put_multiple(d, db, c, &key);
  if (cursor_get(d, db, c, MDB_SET, &key, NULL, NULL, NULL) == 0)
    traced_count(d, db, c, NULL);
  mdb_cursor_close(c);
}

/* The bad input LMDB answers with a defined error: a value over 511 bytes in a DUPSORT database
 * (MDB_BAD_VALSIZE), the *_MULTIPLE operations and MDB_MULTIPLE without DUPFIXED (MDB_INCOMPATIBLE),
 * MULTIPLE reads without a data argument (EINVAL), duplicate operations on a plain database. */
void op_dup_bad_input(Driver *d) {
  unsigned mask = writable_mask(d);
  uint64_t what = rng_below(&d->rng, 5);
  Db *db = pick_db(d, what == 4 ? (mask & ~dup_mask(d, mask, 0)) : dup_mask(d, mask, 0));
  MDB_txn *txn = innermost(d);
  Key key;
  gen_key(d, db, &key, 0);
  if (what == 0) {
    size_t len = rng_chance(&d->rng, 500) ? kMaxKeySize + 1 : (size_t)rng_range(&d->rng, 513, 3000);
    MDB_val big = gen_value_sized(d, len);
    traced_put(d, db, txn, NULL, &key, big, rng_chance(&d->rng, 500) ? 0 : MDB_NODUPDATA, "put-oversize");
    return;
  }
  MDB_cursor *c = open_traced_cursor(d, db, txn);
  if (c == NULL)
    return;
  cursor_get(d, db, c, MDB_SET, &key, NULL, NULL, NULL);
  dup_reposition(d, db, c);
  if (what == 1) {
    static const MDB_cursor_op kOps[] = {MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE};
    MDB_cursor_op op = kOps[rng_below(&d->rng, 3)];
    if (is_fixed(db)) { /* no data argument: EINVAL */
      MDB_val k = {0, NULL};
      trace_start(&d->trace, 'A', "cget-nodata");
      trace_db(&d->trace, db);
      trace_add(&d->trace, " op=%s", cursor_op_name(op));
      trace_rc(&d->trace, mdb_cursor_get(c, &k, NULL, op));
      trace_end(&d->trace);
    } else {
      cursor_get(d, db, c, op, NULL, NULL, NULL, NULL);
    }
  } else if (what == 2 && !is_fixed(db)) {
    unsigned char items[16] = {0};
    MDB_val k = key_val(&key), data[2] = {{4, items}, {4, NULL}};
    trace_start(&d->trace, 'A', "cput-multiple-nofixed");
    trace_db(&d->trace, db);
    int rc = mdb_cursor_put(c, &k, data, MDB_MULTIPLE);
    trace_rc(&d->trace, rc);
    trace_add(&d->trace, " stored=%zu", data[1].mv_size);
    trace_end(&d->trace);
    note_rc(d, rc);
  } else if (what == 3 || what == 2) {
    MDB_val big = gen_value_sized(d, kMaxKeySize + 1);
    traced_put(d, db, NULL, c, &key, big, 0, "cput-oversize");
  } else {
    static const MDB_cursor_op kDupOps[] = {MDB_FIRST_DUP,    MDB_LAST_DUP,      MDB_NEXT_DUP,     MDB_PREV_DUP,
                                            MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE};
    if (rng_chance(&d->rng, 300))
      traced_count(d, db, c, NULL);
    else
      cursor_get(d, db, c, kDupOps[rng_below(&d->rng, sizeof kDupOps / sizeof kDupOps[0])], NULL, NULL, NULL,
                 NULL);
  }
  mdb_cursor_close(c);
}

/* An X line: an Aspen-only check of a call whose answer liblmdb 0.9.24 cannot give without damaging its
 * memory. `expect` is the answer Aspen must give; the runner checks that the line's answer equals it. */
static void trace_expect(Driver *d, const char *expect, int rc) {
  trace_add(&d->trace, " known=dupfixed-size expect=%s", expect);
  trace_rc(&d->trace, rc);
  trace_end(&d->trace);
}

/* The key's duplicate count in `txn` (0 when the key is absent), as an X line. */
static size_t probe_count(Driver *d, const Db *db, MDB_txn *txn, Key *key, const char *expect) {
  MDB_cursor *c;
  MDB_val k = key_val(key), v;
  size_t count = 0;
  int rc = mdb_cursor_open(txn, db->dbi, &c);
  if (rc == 0) {
    rc = mdb_cursor_get(c, &k, &v, MDB_SET);
    if (rc == 0)
      rc = mdb_cursor_count(c, &count);
    mdb_cursor_close(c);
  }
  trace_start(&d->trace, 'X', "probe-count");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", key->bytes, key->len);
  trace_add(&d->trace, " count=%zu", count);
  trace_expect(d, expect, rc == MDB_NOTFOUND ? 0 : rc);
  return count;
}

/* A value of the wrong size for a DUPFIXED key that has values ("dupfixed-size" in known_differences.txt).
 * LMDB 0.9 does not check it: it truncates or over-reads the value into the key's fixed-size slots, and
 * 0.9.24 writes past a page buffer on the heap (valgrind: memmove 18 bytes after a 4096-byte block), so
 * even a nested transaction aborted at once leaves liblmdb's heap damaged. The right answer is
 * MDB_BAD_VALSIZE with nothing changed (lmdb.h: "wrong DUPFIXED size"). So the values are drawn on both
 * sides, but only with --aspen-probes (the runner gives it to Aspen's side alone) are the calls made, in a
 * nested transaction that is then aborted, traced as X lines that carry their expected answer. */
void op_dup_fixed_probe(Driver *d) {
  Db *db = pick_db(d, dup_mask(d, writable_mask(d), 1));
  if (!is_fixed(db) || d->depth >= kMaxDepth || db->pool_count == 0)
    return;
  static unsigned char wrong[2 * kMaxKeySize + 2];
  Key key = db->pool[rng_below(&d->rng, db->pool_count)];
  size_t size = db->value_size, len;
  do
    len = (size_t)rng_range(&d->rng, 1, size < 16 ? 24 : size + 8 > kMaxKeySize ? kMaxKeySize : size + 8);
  while (len == size);
  memset(wrong, 0, sizeof wrong);
  MDB_val v = gen_dup_value(d, db);
  memcpy(wrong, v.mv_data, v.mv_size < len ? v.mv_size : len);
  /* a writer failed by its child's commit refuses a child (MDB_BAD_TXN, as liblmdb answers on the A lines);
   * a dropped "fixed" database may have been created again without DUPFIXED (or DUPSORT) */
  unsigned flags = 0;
  if (!d->opt.aspen_probes || d->writer_failed_by_child ||
      mdb_dbi_flags(innermost(d), db->dbi, &flags) != 0 || !(flags & MDB_DUPFIXED))
    return;
  MDB_txn *child = NULL;
  trace_start(&d->trace, 'X', "probe-begin");
  int rc = mdb_txn_begin(d->env, innermost(d), 0, &child);
  trace_expect(d, d->opt.env_flags & MDB_WRITEMAP ? "EINVAL" : "OK", rc);
  if (rc != 0)
    return;
  size_t before = probe_count(d, db, child, &key, "OK");
  MDB_val kv = key_val(&key), value = {len, wrong};
  trace_start(&d->trace, 'X', "put-wrongsize");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "k", key.bytes, key.len);
  trace_bytes(&d->trace, "v", wrong, len);
  trace_add(&d->trace, " size=%zu", size);
  /* a key without values takes a value of any size (it is the first); one with values refuses it */
  trace_expect(d, before > 0 ? "BAD_VALSIZE" : "OK", mdb_put(child, db->dbi, &kv, &value, 0));
  char expect[32];
  snprintf(expect, sizeof expect, "OK count=%zu", before > 0 ? before : 1);
  trace_start(&d->trace, 'X', "probe-after");
  trace_db(&d->trace, db);
  MDB_cursor *c;
  size_t count = 0;
  rc = mdb_cursor_open(child, db->dbi, &c);
  if (rc == 0) {
    MDB_val k = key_val(&key), got;
    rc = mdb_cursor_get(c, &k, &got, MDB_SET);
    if (rc == 0)
      rc = mdb_cursor_count(c, &count);
    mdb_cursor_close(c);
  }
  trace_add(&d->trace, " known=dupfixed-size expect=%s", expect);
  trace_rc(&d->trace, rc);
  trace_add(&d->trace, " count=%zu", count);
  trace_end(&d->trace);
  mdb_txn_abort(child);
}

/* mdb_dcmp: the duplicate order (only on a database that is DUPSORT now: liblmdb has no order otherwise). */
void op_dcmp(Driver *d, MDB_txn *txn, unsigned usable_mask) {
  Db *db = pick_db(d, dup_mask(d, usable_mask, 0));
  unsigned flags = 0;
  if (!is_dup_db(db) || mdb_dbi_flags(txn, db->dbi, &flags) != 0 || !(flags & MDB_DUPSORT))
    return;
  Value a;
  MDB_val va = gen_dup_value(d, db);
  a.len = va.mv_size;
  memcpy(a.bytes, va.mv_data, a.len);
  MDB_val vb = rng_chance(&d->rng, 300) ? value_val(&a) : rng_chance(&d->rng, 500) ? nudge_value(d, db, &va)
                                                                                     : gen_dup_value(d, db);
  if (is_intdup(db) && vb.mv_size != a.len)
    vb = value_val(&a);
  va = value_val(&a);
  int cmp = mdb_dcmp(txn, db->dbi, &va, &vb);
  trace_start(&d->trace, 'A', "dcmp");
  trace_db(&d->trace, db);
  trace_bytes(&d->trace, "a", va.mv_data, va.mv_size);
  trace_bytes(&d->trace, "b", vb.mv_data, vb.mv_size);
  trace_add(&d->trace, " => %d", cmp < 0 ? -1 : cmp > 0 ? 1 : 0);
  trace_end(&d->trace);
}

/* ---- the final dump ---------------------------------------------------------------------------------- */

/* Per key: the count and the first and last duplicates (NEXT_NODUP order), then the keys backwards
 * (PREV_NODUP lands on each key's last duplicate); for DUPFIXED every key's blocks forwards
 * (GET_MULTIPLE, NEXT_MULTIPLE) and backwards (LAST_DUP, GET_MULTIPLE, PREV_MULTIPLE). */
static void dump_keys(Driver *d, MDB_cursor *c, const Db *view) {
  MDB_val k, v, f, l;
  uint64_t h = fnv64(NULL, 0), back = fnv64(NULL, 0);
  unsigned long n = 0, nback = 0;
  int rc;
  char buf[32], buf2[32];
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP), n++) {
    size_t count = 0;
    int rc2 = mdb_cursor_count(c, &count);
    h = fnv64_mix(fnv64_mix(h, &rc2, sizeof rc2), &count, sizeof count);
    if (mdb_cursor_get(c, &k, &f, MDB_FIRST_DUP) == 0 && mdb_cursor_get(c, &k, &l, MDB_LAST_DUP) == 0)
      h = hash_item(view, &k, &l, hash_item(view, &k, &f, h));
  }
  int rc_back;
  for (rc_back = mdb_cursor_get(c, &k, &v, MDB_LAST); rc_back == 0;
       rc_back = mdb_cursor_get(c, &k, &v, MDB_PREV_NODUP), nback++)
    back = hash_item(view, &k, &v, back);
  trace_start(&d->trace, 'D', "dump-keys");
  trace_db(&d->trace, view);
  trace_add(&d->trace, " n=%lu hash=%016llx last=%s back=%lu hash=%016llx last=%s", n, (unsigned long long)h,
            rc_name(rc, buf, sizeof buf), nback, (unsigned long long)back, rc_name(rc_back, buf2, sizeof buf2));
  trace_end(&d->trace);
}

static uint64_t hash_block(uint64_t h, const MDB_val *v) {
  return fnv64_mix(fnv64_mix(h, &v->mv_size, sizeof v->mv_size), v->mv_data, v->mv_size);
}

static void dump_blocks(Driver *d, MDB_cursor *c, const Db *view) {
  MDB_val k, v;
  uint64_t h = fnv64(NULL, 0);
  unsigned long blocks = 0, keys = 0;
  int rc;
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP), keys++) {
    size_t count = 0;
    if (mdb_cursor_count(c, &count) != 0 || count < 2) {
      d->avoided[AVOID_MULTIPLE_SINGLE]++;
      continue; /* "multiple-single", see multiple_ok */
    }
    int rc2 = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
    for (; rc2 == 0; rc2 = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE), blocks++)
      h = hash_block(h, &v);
    h = fnv64_mix(h, &rc2, sizeof rc2);
    if ((rc2 = mdb_cursor_get(c, &k, &v, MDB_LAST_DUP)) == 0)
      rc2 = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
    for (; rc2 == 0; rc2 = mdb_cursor_get(c, &k, &v, MDB_PREV_MULTIPLE), blocks++)
      h = hash_block(h, &v);
    h = fnv64_mix(h, &rc2, sizeof rc2);
  }
  char buf[32];
  trace_start(&d->trace, 'D', "dump-multiple");
  trace_db(&d->trace, view);
  trace_add(&d->trace, " keys=%lu blocks=%lu hash=%016llx last=%s", keys, blocks, (unsigned long long)h,
            rc_name(rc, buf, sizeof buf));
  trace_end(&d->trace);
}

void dump_dups(Driver *d, MDB_txn *txn, const Db *view) {
  unsigned flags = 0;
  MDB_cursor *c;
  if (!is_dup_db(view) || mdb_dbi_flags(txn, view->dbi, &flags) != 0 || !(flags & MDB_DUPSORT) ||
      mdb_cursor_open(txn, view->dbi, &c) != 0)
    return;
  dump_keys(d, c, view);
  if (flags & MDB_DUPFIXED)
    dump_blocks(d, c, view);
  mdb_cursor_close(c);
}

/* ---- the steered-around cases ------------------------------------------------------------------------- */

static const char *const kAvoidedNames[AVOID_COUNT] = {"lost-cursor",     "prev-unset",     "first-dup-eof",
                                                       "after-delete",    "multiple-single", "multiple-equal-single"};

/* One K line per case of known_differences.txt the run steered around, with its count. */
void trace_avoided(Driver *d) {
  for (int i = 0; i < AVOID_COUNT; i++) {
    trace_start(&d->trace, 'K', "avoided");
    trace_add(&d->trace, " known=%s count=%lu", kAvoidedNames[i], d->avoided[i]);
    trace_end(&d->trace);
  }
}
