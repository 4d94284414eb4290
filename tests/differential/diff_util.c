/* The differential driver's tools: the PRNG, hashing, trace lines, and generation of keys and values.
 * Everything is deterministic in the seed. See diff_driver.h. */
#include "diff_driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: splitmix64 ---------------------------------------------------------------------------- */

uint64_t rng_next(Rng *rng) {
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rng_below(Rng *rng, uint64_t n) { return n == 0 ? 0 : rng_next(rng) % n; }

uint64_t rng_range(Rng *rng, uint64_t lo, uint64_t hi) { return lo + rng_below(rng, hi - lo + 1); }

int rng_chance(Rng *rng, unsigned per_mille) { return rng_below(rng, 1000) < per_mille; }

/* ---- FNV-1a 64 ------------------------------------------------------------------------------------ */

uint64_t fnv64_mix(uint64_t hash, const void *bytes, size_t len) {
  const unsigned char *p = bytes;
  for (size_t i = 0; i < len; i++) {
    hash ^= p[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t fnv64(const void *bytes, size_t len) { return fnv64_mix(0xcbf29ce484222325ULL, bytes, len); }

/* ---- trace lines ---------------------------------------------------------------------------------- */

static void append(char *buf, size_t *len, size_t cap, const char *fmt, va_list ap) {
  if (*len >= cap - 1)
    return;
  int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  if (n > 0)
    *len = (*len + (size_t)n < cap - 1) ? *len + (size_t)n : cap - 1;
}

void trace_start(Trace *t, char category, const char *op) {
  t->category = category;
  snprintf(t->op, sizeof t->op, "%s", op);
  t->len = 0;
  t->page_len = 0;
  t->line[0] = '\0';
  t->page[0] = '\0';
}

void trace_add(Trace *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  append(t->line, &t->len, sizeof t->line, fmt, ap);
  va_end(ap);
}

void trace_page(Trace *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  append(t->page, &t->page_len, sizeof t->page, fmt, ap);
  va_end(ap);
}

/* Short byte strings are printed in hex, long ones as length and FNV-1a hash. */
void trace_bytes(Trace *t, const char *name, const void *bytes, size_t len) {
  if (len <= 16) {
    const unsigned char *p = bytes;
    trace_add(t, " %s=%zu:", name, len);
    for (size_t i = 0; i < len; i++)
      trace_add(t, "%02x", p[i]);
  } else {
    trace_add(t, " %s=%zu:#%016llx", name, len, (unsigned long long)fnv64(bytes, len));
  }
}

const char *rc_name(int rc, char *buf, size_t size) {
  static const char *const kMdbNames[] = {
      "KEYEXIST",     "NOTFOUND",     "PAGE_NOTFOUND", "CORRUPTED",  "PANIC",      "VERSION_MISMATCH",
      "INVALID",      "MAP_FULL",     "DBS_FULL",      "READERS_FULL", "TLS_FULL", "TXN_FULL",
      "CURSOR_FULL",  "PAGE_FULL",    "MAP_RESIZED",   "INCOMPATIBLE", "BAD_RSLOT", "BAD_TXN",
      "BAD_VALSIZE",  "BAD_DBI"};
  if (rc == 0)
    return "OK";
  if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
    return kMdbNames[rc - MDB_KEYEXIST];
  switch (rc) {
  case EINVAL: return "EINVAL";
  case EACCES: return "EACCES";
  case ENOMEM: return "ENOMEM";
  case ENOSPC: return "ENOSPC";
  case EIO: return "EIO";
  case ENOENT: return "ENOENT";
  case EAGAIN: return "EAGAIN";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case EPERM: return "EPERM";
  default: snprintf(buf, size, "rc%d", rc); return buf;
  }
}

void trace_rc(Trace *t, int rc) {
  char buf[32];
  trace_add(t, " => %s", rc_name(rc, buf, sizeof buf));
}

void trace_end(Trace *t) {
  fprintf(t->out, "%c %lu %s%s\n", t->category, t->step, t->op, t->line);
  if (t->page_len > 0)
    fprintf(t->out, "P %lu %s%s\n", t->step, t->op, t->page);
  t->len = 0;
  t->page_len = 0;
}

void trace_db(Trace *t, const Db *db) { trace_add(t, " db=%s", db->spec->label); }

/* A sub-database record of the unnamed database (LMDB's 48-byte MDB_db): flags and entries are
 * semantic, the tree shape (depth, page counts, root page) is layout and goes to the P line. */
int is_subdb_record(const Db *db, const MDB_val *key, const MDB_val *data) {
  if (db->spec->name != NULL || data->mv_size != 48)
    return 0;
  for (int i = 1; i < db_count; i++) {
    const char *name = db_specs[i].name;
    if (strlen(name) == key->mv_size && memcmp(name, key->mv_data, key->mv_size) == 0)
      return 1;
  }
  return 0;
}

static int trace_subdb_record(Driver *d, const Db *db, const MDB_val *key, const MDB_val *data) {
  if (!is_subdb_record(db, key, data))
    return 0;
  const unsigned char *p = data->mv_data;
  uint32_t pad;
  uint16_t flags, depth;
  uint64_t branch, leaf, overflow, entries, root;
  memcpy(&pad, p, 4);
  memcpy(&flags, p + 4, 2);
  memcpy(&depth, p + 6, 2);
  memcpy(&branch, p + 8, 8);
  memcpy(&leaf, p + 16, 8);
  memcpy(&overflow, p + 24, 8);
  memcpy(&entries, p + 32, 8);
  memcpy(&root, p + 40, 8);
  trace_add(&d->trace, " v=subdb{flags=0x%x,entries=%llu}", flags, (unsigned long long)entries);
  trace_page(&d->trace, " subdb=%.*s pad=%u depth=%u branch=%llu leaf=%llu overflow=%llu root=%lld",
             (int)key->mv_size, (const char *)key->mv_data, pad, depth, (unsigned long long)branch,
             (unsigned long long)leaf, (unsigned long long)overflow, (long long)root);
  return 1;
}

void trace_value(Driver *d, const Db *db, const MDB_val *key, const MDB_val *data) {
  if (trace_subdb_record(d, db, key, data))
    return;
  trace_bytes(&d->trace, "v", data->mv_data, data->mv_size);
}

void trace_item(Driver *d, const Db *db, const MDB_val *key, const MDB_val *data) {
  trace_bytes(&d->trace, "k", key->mv_data, key->mv_size);
  trace_value(d, db, key, data);
}

/* ---- keys ------------------------------------------------------------------------------------------ */

static void fill_random(Rng *rng, unsigned char *p, size_t len, int narrow) {
  for (size_t i = 0; i < len; i++)
    p[i] = narrow ? (unsigned char)('a' + rng_below(rng, 4)) : (unsigned char)rng_next(rng);
}

/* A few long prefixes shared by many keys, so that keys differ only deep inside. */
void gen_prefixes(Driver *d) {
  for (int i = 0; i < kPrefixCount; i++) {
    Key *p = &d->prefixes[i];
    p->len = (size_t)rng_range(&d->rng, 64, 400);
    fill_random(&d->rng, p->bytes, p->len, i % 2);
  }
}

static size_t pick_key_length(Rng *rng) {
  uint64_t r = rng_below(rng, 100);
  if (r < 40)
    return (size_t)rng_range(rng, 1, 8);
  if (r < 70)
    return (size_t)rng_range(rng, 9, 32);
  if (r < 90)
    return (size_t)rng_range(rng, 33, 200);
  return rng_chance(rng, 300) ? kMaxKeySize : (size_t)rng_range(rng, 201, kMaxKeySize);
}

static void gen_byte_key(Driver *d, Key *key) {
  int narrow = rng_chance(&d->rng, 500);
  if (rng_chance(&d->rng, 250)) {
    const Key *prefix = &d->prefixes[rng_below(&d->rng, kPrefixCount)];
    size_t room = kMaxKeySize - prefix->len;
    size_t tail = rng_chance(&d->rng, 800) ? (size_t)rng_range(&d->rng, 0, 16) : (size_t)rng_range(&d->rng, 0, room);
    memcpy(key->bytes, prefix->bytes, prefix->len);
    fill_random(&d->rng, key->bytes + prefix->len, tail, narrow);
    key->len = prefix->len + tail;
    return;
  }
  key->len = pick_key_length(&d->rng);
  fill_random(&d->rng, key->bytes, key->len, narrow);
}

static void gen_int_key(Driver *d, Key *key, KeyKind kind) {
  uint64_t r = rng_below(&d->rng, 100);
  uint64_t v = r < 60 ? rng_below(&d->rng, 5000) : r < 90 ? rng_below(&d->rng, 1ULL << 32) : rng_next(&d->rng);
  if (kind == KEY_U32) {
    unsigned int u = (unsigned int)v;
    memcpy(key->bytes, &u, sizeof u);
    key->len = sizeof u;
  } else {
    size_t u = (size_t)v;
    memcpy(key->bytes, &u, sizeof u);
    key->len = sizeof u;
  }
}

/* A key next to a known one: the same key with its last byte or value nudged, or cut or grown. */
static void mutate_key(Driver *d, Key *key, KeyKind kind) {
  if (kind != KEY_BYTES) {
    uint64_t v = 0;
    memcpy(&v, key->bytes, key->len);
    v += rng_chance(&d->rng, 500) ? 1 : (uint64_t)-1;
    memcpy(key->bytes, &v, key->len);
    return;
  }
  uint64_t how = rng_below(&d->rng, 3);
  if (how == 0 && key->len > 1)
    key->len--;
  else if (how == 1 && key->len < kMaxKeySize)
    key->bytes[key->len++] = (unsigned char)rng_next(&d->rng);
  else
    key->bytes[key->len - 1] += rng_chance(&d->rng, 500) ? 1 : 255;
}

/* A key for `db`: usually one tried before (so that gets and deletes hit), sometimes a neighbour of
 * one, otherwise new (always new if `fresh`). In the unnamed database a key that is not fresh is now and
 * then a database name: writing it fails, or, once the database is deleted, takes the name for good. */
void gen_key(Driver *d, const Db *db, Key *key, int fresh) {
  if (is_dup_db(db)) {
    gen_dup_key(d, db, key, fresh);
    return;
  }
  KeyKind kind = db->spec->kind;
  if (!fresh && db->pool_count > 0 && rng_chance(&d->rng, 800)) {
    *key = db->pool[rng_below(&d->rng, db->pool_count)];
    if (rng_chance(&d->rng, 150))
      mutate_key(d, key, kind);
    return;
  }
  if (!fresh && db->spec->name == NULL && rng_chance(&d->rng, 3)) {
    const char *name = db_specs[rng_range(&d->rng, 1, db_count - 1)].name;
    key->len = strlen(name);
    memcpy(key->bytes, name, key->len);
    return;
  }
  gen_new_key(d, db, key);
}

void gen_new_key(Driver *d, const Db *db, Key *key) {
  if (db->spec->kind == KEY_BYTES)
    gen_byte_key(d, key);
  else
    gen_int_key(d, key, db->spec->kind);
}

void pool_add(Db *db, const Key *key) {
  if (db->pool_count < kPoolCapacity) {
    db->pool[db->pool_count++] = *key;
    return;
  }
  /* Replace a slot chosen by the key itself, so that no PRNG draw depends on the pool's history. */
  db->pool[fnv64(key->bytes, key->len) % kPoolCapacity] = *key;
}

void add_key_to_pool_from(Db *db, const MDB_val *key) {
  Key k;
  if (key->mv_size == 0 || key->mv_size > kMaxKeySize)
    return;
  const Key *last = db->pool_count > 0 ? &db->pool[db->pool_count - 1] : NULL;
  if (last != NULL && last->len == key->mv_size && memcmp(last->bytes, key->mv_data, key->mv_size) == 0)
    return; /* the same key again: the next duplicate of a DUPSORT key */
  k.len = key->mv_size;
  memcpy(k.bytes, key->mv_data, k.len);
  pool_add(db, &k);
}

MDB_val key_val(Key *key) {
  MDB_val v = {key->len, key->bytes};
  return v;
}

/* ---- values ---------------------------------------------------------------------------------------- */

static void ensure_capacity(Driver *d, size_t len) {
  if (len <= d->value_capacity)
    return;
  d->value = realloc(d->value, len);
  if (d->value == NULL) {
    fprintf(stderr, "diff_driver: out of memory\n");
    exit(3);
  }
  d->value_capacity = len;
}

MDB_val gen_value_sized(Driver *d, size_t len) {
  ensure_capacity(d, len + 8);
  Rng fill = {rng_next(&d->rng)};
  for (size_t i = 0; i < len; i += 8) {
    uint64_t word = rng_next(&fill);
    memcpy(d->value + i, &word, 8);
  }
  MDB_val v = {len, d->value};
  return v;
}

/* Value sizes: mostly small, some near and past the overflow threshold (about 2 KiB on 4 KiB pages),
 * a few of several pages, and rarely (opt.big_per_mille) 1 to 3 MiB. */
MDB_val gen_value(Driver *d) {
  Rng *r = &d->rng;
  if (rng_chance(r, d->opt.big_per_mille))
    return gen_value_sized(d, (size_t)rng_range(r, 1u << 20, 3u << 20));
  uint64_t bucket = rng_below(r, 1000);
  size_t len = bucket < 300   ? (size_t)rng_range(r, 0, 16)
               : bucket < 600 ? (size_t)rng_range(r, 17, 256)
               : bucket < 800 ? (size_t)rng_range(r, 257, 1500)
               : bucket < 900 ? (size_t)rng_range(r, 1501, 2200)
               : bucket < 975 ? (size_t)rng_range(r, 2201, 12000)
                              : (size_t)rng_range(r, 12001, 40000);
  return gen_value_sized(d, len);
}

MDB_val gen_small_value(Driver *d, size_t max_len) { return gen_value_sized(d, (size_t)rng_range(&d->rng, 0, max_len)); }
