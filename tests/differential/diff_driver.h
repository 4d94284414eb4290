/* The differential driver: one seeded, deterministic sequence of LMDB C API calls, each call's return code
 * and returned bytes printed as a trace line, so that the same binary run against the real liblmdb and
 * against Aspen's liblmdb.so.0 (LD_LIBRARY_PATH) must print identical traces. See README.md here.
 *
 * This is a plain lmdb.h client compiled against Debian's /usr/include/lmdb.h and linked to Debian's
 * liblmdb.so.0; it knows nothing of Aspen. Single-threaded. The driver never prints an address, a path, a
 * pid or a time: everything in the trace is a function of the seed and of the library's answers.
 *
 * Files: diff_util.c (PRNG, hashing, trace lines, key and value generation), diff_ops.c (data and database
 * operations), diff_cursor.c (cursor sessions), diff_txn.c (transactions, environment calls and the
 * scheduler that picks the next operation), diff_driver.c (command line, setup, final dump). */
#ifndef ASPEN_DIFF_DRIVER_H
#define ASPEN_DIFF_DRIVER_H

#include <lmdb.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
  kMaxKeySize = 511,   /* LMDB 0.9's key limit */
  kMaxDbs = 12,        /* room for the databases of either table (db_specs) */
  kPoolCapacity = 1024, /* keys remembered per database */
  kReaderSlots = 3,    /* concurrent read-only transactions */
  kMaxDepth = 4,       /* write transaction plus nested children */
  kPrefixCount = 4,    /* shared long key prefixes per run */
  kValuePoolCapacity = 256, /* DUPSORT values remembered per database */
};

/* ---- diff_util.c: PRNG (splitmix64) and FNV-1a ---------------------------------------------------- */
typedef struct Rng {
  uint64_t state;
} Rng;
uint64_t rng_next(Rng *rng);
uint64_t rng_below(Rng *rng, uint64_t n);              /* 0..n-1; 0 if n == 0 */
uint64_t rng_range(Rng *rng, uint64_t lo, uint64_t hi); /* lo..hi inclusive */
int rng_chance(Rng *rng, unsigned per_mille);
uint64_t fnv64(const void *bytes, size_t len);
uint64_t fnv64_mix(uint64_t hash, const void *bytes, size_t len);

/* ---- the databases ---------------------------------------------------------------------------------- */
typedef enum KeyKind { KEY_BYTES, KEY_U64, KEY_U32 } KeyKind;

/* What one database is. The run uses one of two tables (diff_driver.c): the plain one, or with --dupsort
 * the DUPSORT one, whose databases with MDB_DUPSORT get duplicate values (diff_dups.c). */
typedef struct DbSpec {
  const char *label;   /* name in the trace; "main" for the unnamed database */
  const char *name;    /* name given to mdb_dbi_open, NULL for the unnamed database */
  unsigned flags;      /* persistent database flags */
  KeyKind kind;
  int create_at_start; /* created in the first transaction of a fresh run */
  unsigned weight;     /* how often operations pick it */
  size_t value_size;   /* DUPFIXED: the size of every value (0: chosen from the seed); else 0 */
} DbSpec;
/* The table of this run, set once at start-up: db_specs[0] is the unnamed database, db_specs[db_never]
 * the one that is never created. */
extern const DbSpec *db_specs;
extern int db_count;
extern int db_never;
enum { kDbMain = 0 };

typedef enum HandleState {
  HANDLE_CLOSED,  /* no handle (never opened, dropped, closed, or its opening transaction aborted) */
  HANDLE_PENDING, /* opened in the current top-level write transaction, not yet committed */
  HANDLE_OPEN,    /* usable in every transaction begun from now on */
} HandleState;

typedef struct Key {
  size_t len;
  unsigned char bytes[kMaxKeySize + 1]; /* +1: room for the oversize-key test */
} Key;

/* A DUPSORT value (at most kMaxKeySize bytes, like a key). */
typedef struct Value {
  size_t len;
  unsigned char bytes[kMaxKeySize + 1];
} Value;

typedef struct Db {
  const DbSpec *spec;
  MDB_dbi dbi;
  HandleState state;
  Key *pool; /* keys tried on this database, kPoolCapacity at most */
  size_t pool_count;
  Value *values; /* DUPSORT only: values tried on this database, kValuePoolCapacity at most */
  size_t value_count;
  size_t value_size; /* DUPFIXED or INTEGERDUP: the size of its values in this run; else 0 */
} Db;

typedef enum ReaderState { READER_NONE, READER_ACTIVE, READER_RESET } ReaderState;

typedef struct Reader {
  MDB_txn *txn;
  ReaderState state;
  unsigned usable;    /* bit i: db_specs[i] was OPEN when the snapshot was taken and still is */
  MDB_cursor *parked; /* a read-only cursor kept for mdb_cursor_renew, or NULL */
  int parked_db;
} Reader;

/* ---- trace lines -------------------------------------------------------------------------------------
 * "A <step> <op> <fields> => <rc> <outputs>"  API semantics: return codes, keys, data, counts, txn ids.
 * "P <step> <op> <fields>"                    page layout: depth, page counts, last page, sub-db roots.
 * "D <step> <op> <fields>"                    the final dump of every database.
 * "T <step> strerror <code> <text>"           error texts.
 * "X <step> <op> <fields> expect=<a> => <b>"  Aspen-only checks (--aspen-probes): <b> must equal <a>.
 * "H <text>"                                  run header (mode, seed, ops).
 * The runner compares A/D/T lines and P lines separately, to tell semantic from layout differences. */
typedef struct Trace {
  FILE *out;
  unsigned long step;
  char category;
  char op[32];
  char line[4096];
  size_t len;
  char page[1024];
  size_t page_len;
} Trace;

void trace_start(Trace *t, char category, const char *op);
void trace_add(Trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trace_page(Trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trace_bytes(Trace *t, const char *name, const void *bytes, size_t len);
void trace_rc(Trace *t, int rc);
void trace_end(Trace *t);
const char *rc_name(int rc, char *buf, size_t size);

/* ---- the driver ------------------------------------------------------------------------------------- */
typedef struct Options {
  unsigned long long seed;
  unsigned long ops;
  const char *dir;
  unsigned env_flags;
  int verify_existing;
  int copies;          /* write mdb_env_copy2 copies at the end of a fresh run */
  unsigned big_per_mille; /* chance per put of a 1-3 MiB value, in 1/1000 */
  int dupsort;         /* --dupsort: the DUPSORT database table and operations (diff_dups.c) */
  int aspen_probes;    /* --aspen-probes: make the calls only Aspen can answer (X lines, diff_dups.c) */
} Options;

/* The cases of known_differences.txt (kind "avoided") the driver steers around, counted per run and printed
 * as K lines at the end of a --dupsort run: the runner checks each name against the list, and the counts
 * show how often each came up (never a silent skip). The order matches kAvoidedNames in diff_dups.c. */
enum {
  AVOID_LOST_CURSOR,
  AVOID_PREV_UNSET,
  AVOID_FIRST_DUP_EOF,
  AVOID_AFTER_DELETE,
  AVOID_MULTIPLE_SINGLE,
  AVOID_MULTIPLE_EQUAL_SINGLE,
  AVOID_COUNT
};

typedef struct Driver {
  Options opt;
  Rng rng;
  Trace trace;
  MDB_env *env;
  Db dbs[kMaxDbs];
  MDB_txn *writers[kMaxDepth]; /* writers[0] top-level, writers[depth-1] innermost */
  int depth;
  int writer_failed; /* the innermost writer returned MDB_BAD_TXN: end it next */
  /* The innermost writer is failed because its child's commit failed (LMDB's mdb_txn_commit marks the
   * parent MDB_TXN_ERROR then): calls in it answer MDB_BAD_TXN. Only the Aspen-only probes consult it. */
  int writer_failed_by_child;
  unsigned long avoided[AVOID_COUNT]; /* see AVOID_* */
  Reader readers[kReaderSlots];
  Reader *reader; /* the slot the scheduler's reader operations work on */
  unsigned char *value;  /* scratch buffer for generated values */
  size_t value_capacity;
  Key prefixes[kPrefixCount];
  Value dup_value; /* scratch for one generated DUPSORT value */
  /* Cursors on DUPSORT databases that are not positioned (fresh or renewed: CURSOR_UNSET) or whose
   * position LMDB leaves undefined (a failed SET or GET_BOTH: CURSOR_LOST); see diff_dups.c. */
  struct {
    MDB_cursor *cursor;
    int state;
  } cursors[8];
  int cursor_count;
} Driver;

/* diff_util.c: keys and values */
void gen_prefixes(Driver *d);
void gen_key(Driver *d, const Db *db, Key *key, int fresh);
void gen_new_key(Driver *d, const Db *db, Key *key); /* a new random key of the database's kind */
void pool_add(Db *db, const Key *key);
MDB_val gen_value(Driver *d);
MDB_val gen_small_value(Driver *d, size_t max_len);
MDB_val gen_value_sized(Driver *d, size_t len); /* one PRNG draw, whatever the length */
MDB_val key_val(Key *key);
void trace_db(Trace *t, const Db *db);
void trace_item(Driver *d, const Db *db, const MDB_val *key, const MDB_val *data);
void trace_value(Driver *d, const Db *db, const MDB_val *key, const MDB_val *data);
int is_subdb_record(const Db *db, const MDB_val *key, const MDB_val *data);

/* diff_ops.c: one operation each, on the innermost write transaction unless said otherwise */
Db *pick_db(Driver *d, unsigned usable_mask);
unsigned writable_mask(const Driver *d);
void note_rc(Driver *d, int rc);
int traced_put(Driver *d, const Db *db, MDB_txn *txn, MDB_cursor *cursor, Key *key, MDB_val value,
               unsigned flags, const char *op);
void op_put(Driver *d);
void op_get(Driver *d, MDB_txn *txn, unsigned usable_mask);
void op_del(Driver *d);
void op_stat(Driver *d, MDB_txn *txn, unsigned usable_mask);
void op_cmp(Driver *d, MDB_txn *txn, unsigned usable_mask);
void op_bad_size(Driver *d);
void op_invalid_dbi(Driver *d, MDB_txn *txn);
void op_dbi_open(Driver *d);
void op_dbi_flags(Driver *d, MDB_txn *txn, unsigned usable_mask);
void op_drop(Driver *d);
void op_bulk_put(Driver *d);
void op_bulk_append(Driver *d);
void close_handle(Driver *d, int db_index);
void add_key_to_pool_from(Db *db, const MDB_val *key);
int key_successor(Driver *d, const Db *db, const MDB_val *last, Key *key);
void make_append_key(Driver *d, MDB_txn *txn, const Db *db, Key *key);

/* diff_cursor.c */
const char *cursor_op_name(MDB_cursor_op op);
uint64_t hash_item(const Db *db, const MDB_val *k, const MDB_val *v, uint64_t h);
int cursor_get(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op, Key *in_key, MDB_val *in_data,
               MDB_val *out_key, MDB_val *out_data);
void op_cursor_session(Driver *d, MDB_txn *txn, unsigned usable_mask, int writable, Reader *reader);
void op_bulk_delete(Driver *d);
unsigned long walk_database(Driver *d, MDB_txn *txn, int db_index, MDB_dbi dbi, int fill_pool);

/* diff_dups.c: DUPSORT databases (--dupsort). Every function here is a no-op or falls back to the plain
 * behaviour for a database without MDB_DUPSORT, so the plain run's trace does not depend on this file. */
int is_dup_db(const Db *db);
void dup_setup(Driver *d);
void gen_dup_key(Driver *d, const Db *db, Key *key, int fresh);
MDB_val gen_dup_value(Driver *d, Db *db);
void dup_pool_value(Db *db, const MDB_val *value);
void op_dup_put(Driver *d, Db *db);
void op_dup_del(Driver *d, Db *db);
void dup_cursor_step(Driver *d, Db *db, MDB_cursor *c, int writable);
void dup_cursor_put(Driver *d, Db *db, MDB_cursor *c);
void dump_dups(Driver *d, MDB_txn *txn, const Db *view);
void op_dup_burst(Driver *d);
void op_dup_drain(Driver *d);
void op_put_multiple(Driver *d);
void op_dup_bad_input(Driver *d);
void op_dup_fixed_probe(Driver *d);
void op_dcmp(Driver *d, MDB_txn *txn, unsigned usable_mask);
enum { CURSOR_READY = 0, CURSOR_UNSET, CURSOR_LOST };
void cursor_track(Driver *d, MDB_cursor *c, int state);
int dup_delete(Driver *d, const Db *db, MDB_cursor *c, unsigned flags, const char *op);
void dup_cursor_del(Driver *d, Db *db, MDB_cursor *c);
void note_position(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op, int rc);
MDB_cursor_op dup_safe_op(Driver *d, const Db *db, MDB_cursor *c, MDB_cursor_op op);
int dup_reposition(Driver *d, const Db *db, MDB_cursor *c);
void dup_clear_eof(Driver *d, const Db *db, MDB_cursor *c);
void trace_avoided(Driver *d);

/* diff_txn.c */
void step(Driver *d);
void end_all_transactions(Driver *d);
void trace_env_info(Driver *d, const char *op);

#endif /* ASPEN_DIFF_DRIVER_H */
