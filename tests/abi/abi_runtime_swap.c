/* abi_runtime_swap: a plain LMDB 0.9 client, compiled against Debian's /usr/include/lmdb.h and linked to Debian's
 * liblmdb.so.0, that exercises the whole C API. ctest runs it twice: with LD_LIBRARY_PATH pointing at Aspen's
 * build (`--expect aspen`: the drop-in must behave as LMDB) and as-is (`--expect lmdb`: proves that every
 * expectation below is what the real liblmdb answers). The library actually loaded is checked through
 * mdb_version() (and, by run_with_library.sh, through ldd).
 *
 * Covers: version and strerror texts; environment setup, flags, path, fd, user context, stat, info, sync, copy
 * (plain, compacting, to a descriptor); read and write transactions, reset/renew, nested transactions; named
 * databases, dbi flags, stat, drop, close; put/get/del with NOOVERWRITE, RESERVE, APPEND; cursors in read and
 * write transactions, renew, CURRENT puts, deletes; mdb_cmp/mdb_dcmp; the reader table text; and misuse: NULL
 * handles and outputs, invalid handles and flags, answered with EINVAL (or LMDB's code) instead of a crash.
 * Exit status 0 = every check passed. */
#define _GNU_SOURCE
#include <lmdb.h>

#if MDB_VERSION_PATCH >= 70
#error "abi_runtime_swap must be compiled against Debian's /usr/include/lmdb.h, not Aspen's include/lmdb.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
static int checks;

#define CHECK(cond)                                                                                 \
  do {                                                                                              \
    checks++;                                                                                       \
    if (!(cond)) {                                                                                  \
      fprintf(stderr, "abi_runtime_swap:%d: FAILED: %s\n", __LINE__, #cond);                        \
      failures++;                                                                                   \
    }                                                                                               \
  } while (0)

/* Checks an LMDB return code against the expected one, printing both names on a mismatch. */
#define CHECK_RC(expr, expected)                                                                    \
  do {                                                                                              \
    int rc_ = (expr);                                                                               \
    checks++;                                                                                       \
    if (rc_ != (expected)) {                                                                        \
      fprintf(stderr, "abi_runtime_swap:%d: FAILED: %s = %d (%s), expected %d (%s)\n", __LINE__, #expr, \
              rc_, mdb_strerror(rc_), (expected), mdb_strerror(expected));                          \
      failures++;                                                                                   \
    }                                                                                               \
  } while (0)

/* A setup step that later checks depend on: stop at once if it fails. */
#define MUST(expr)                                                                                  \
  do {                                                                                              \
    int rc_ = (expr);                                                                               \
    if (rc_ != 0) {                                                                                 \
      fprintf(stderr, "abi_runtime_swap:%d: FATAL: %s = %s\n", __LINE__, #expr, mdb_strerror(rc_)); \
      exit(1);                                                                                      \
    }                                                                                               \
  } while (0)

static char g_dir[1024];

static MDB_val val(const char *s) {
  MDB_val v = {strlen(s), (void *)s};
  return v;
}

static int val_is(const MDB_val *v, const char *s) {
  return v->mv_size == strlen(s) && memcmp(v->mv_data, s, v->mv_size) == 0;
}

static void path_in(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", g_dir, name); }

static void make_dir(const char *name, char *out, size_t size) {
  path_in(out, size, name);
  mkdir(out, 0755);
}

/* ---- library ----------------------------------------------------------------------------------- */

static void test_version(const char *expect) {
  int major = -1, minor = -1, patch = -1;
  const char *version = mdb_version(&major, &minor, &patch);
  CHECK(version != NULL);
  CHECK(mdb_version(NULL, NULL, NULL) == version);
  CHECK(major == 0 && minor == 9);
  CHECK(strncmp(version, "LMDB 0.9.", 9) == 0);
  const int is_aspen = strstr(version, "Aspen") != NULL;
  if (strcmp(expect, "aspen") == 0) {
    CHECK(is_aspen);
    CHECK(patch == 70);
  } else {
    CHECK(!is_aspen);
  }
  printf("abi_runtime_swap: library: %s\n", version);
}

static void test_strerror(void) {
  CHECK(strcmp(mdb_strerror(0), "Successful return: 0") == 0);
  CHECK(strcmp(mdb_strerror(MDB_KEYEXIST), "MDB_KEYEXIST: Key/data pair already exists") == 0);
  CHECK(strcmp(mdb_strerror(MDB_NOTFOUND), "MDB_NOTFOUND: No matching key/data pair found") == 0);
  CHECK(strcmp(mdb_strerror(MDB_MAP_FULL), "MDB_MAP_FULL: Environment mapsize limit reached") == 0);
  CHECK(strcmp(mdb_strerror(MDB_BAD_TXN), "MDB_BAD_TXN: Transaction must abort, has a child, or is invalid") == 0);
  CHECK(strcmp(mdb_strerror(MDB_BAD_DBI), "MDB_BAD_DBI: The specified DBI handle was closed/changed unexpectedly") ==
        0);
  for (int rc = MDB_KEYEXIST; rc <= MDB_LAST_ERRCODE; rc++) CHECK(strncmp(mdb_strerror(rc), "MDB_", 4) == 0);
  CHECK(strcmp(mdb_strerror(ENOENT), strerror(ENOENT)) == 0);
  CHECK(strcmp(mdb_strerror(EINVAL), strerror(EINVAL)) == 0);
}

/* ---- environment ------------------------------------------------------------------------------- */

static MDB_env *open_env(const char *name, unsigned flags, MDB_dbi maxdbs) {
  char path[4096];
  make_dir(name, path, sizeof path);
  MDB_env *env = NULL;
  MUST(mdb_env_create(&env));
  MUST(mdb_env_set_mapsize(env, 64u << 20));
  MUST(mdb_env_set_maxdbs(env, maxdbs));
  MUST(mdb_env_open(env, path, flags, 0644));
  return env;
}

static void test_env_settings(void) {
  char path[4096];
  make_dir("settings", path, sizeof path);
  MDB_env *env = NULL;
  CHECK_RC(mdb_env_create(&env), 0);
  unsigned readers = 0, flags = 0;
  const char *got_path = (const char *)1;
  mdb_filehandle_t fd = 0;
  /* Before open: the settings, NULL path and fd -1. */
  CHECK_RC(mdb_env_set_maxreaders(env, 0), EINVAL);
  CHECK_RC(mdb_env_set_maxreaders(env, 50), 0);
  CHECK_RC(mdb_env_get_maxreaders(env, &readers), 0);
  CHECK(readers == 50);
  CHECK_RC(mdb_env_set_mapsize(env, 32u << 20), 0);
  CHECK_RC(mdb_env_set_maxdbs(env, 4), 0);
  CHECK_RC(mdb_env_get_path(env, &got_path), 0);
  CHECK(got_path == NULL);
  CHECK_RC(mdb_env_get_fd(env, &fd), 0);
  CHECK(fd == -1);
  CHECK_RC(mdb_env_set_flags(env, MDB_NOSYNC, 1), 0);
  CHECK_RC(mdb_env_set_flags(env, MDB_RDONLY, 1), EINVAL);
  CHECK_RC(mdb_env_get_flags(env, &flags), 0);
  CHECK(flags == MDB_NOSYNC);
  int ctx_value = 42;
  CHECK_RC(mdb_env_set_userctx(env, &ctx_value), 0);
  CHECK(mdb_env_get_userctx(env) == &ctx_value);
  CHECK_RC(mdb_env_set_assert(env, NULL), 0);
  CHECK(mdb_env_get_maxkeysize(env) == 511);
  CHECK_RC(mdb_env_open(env, path, 0x2u /* not an environment flag */, 0644), EINVAL);
  CHECK_RC(mdb_env_open(env, path, 0, 0644), 0);
  /* After open. */
  CHECK_RC(mdb_env_get_path(env, &got_path), 0);
  CHECK(got_path != NULL && strcmp(got_path, path) == 0);
  CHECK_RC(mdb_env_get_fd(env, &fd), 0);
  CHECK(fd >= 0);
  CHECK_RC(mdb_env_get_flags(env, &flags), 0);
  CHECK(flags == MDB_NOSYNC);
  CHECK_RC(mdb_env_set_flags(env, MDB_NOMETASYNC, 1), 0);
  CHECK_RC(mdb_env_get_flags(env, &flags), 0);
  CHECK(flags == (MDB_NOSYNC | MDB_NOMETASYNC));
  CHECK_RC(mdb_env_set_flags(env, MDB_NOSYNC | MDB_NOMETASYNC, 0), 0);
  CHECK_RC(mdb_env_get_flags(env, &flags), 0);
  CHECK(flags == 0);
  CHECK_RC(mdb_env_set_maxreaders(env, 10), EINVAL);
  CHECK_RC(mdb_env_set_maxdbs(env, 10), EINVAL);
  CHECK_RC(mdb_env_get_maxreaders(env, &readers), 0);
  CHECK(readers == 50);
  CHECK(mdb_env_get_userctx(env) == &ctx_value);
  CHECK_RC(mdb_env_open(env, path, 0, 0644), EINVAL); /* already open */
  MDB_stat st;
  CHECK_RC(mdb_env_stat(env, &st), 0);
  CHECK(st.ms_psize == 4096 && st.ms_entries == 0 && st.ms_depth == 0);
  MDB_envinfo info;
  CHECK_RC(mdb_env_info(env, &info), 0);
  CHECK(info.me_mapsize == (32u << 20) && info.me_maxreaders == 50 && info.me_last_txnid == 0);
  CHECK(info.me_mapaddr == NULL && info.me_last_pgno == 1);
  CHECK_RC(mdb_env_sync(env, 1), 0);
  CHECK_RC(mdb_env_sync(env, 0), 0);
  mdb_env_close(env);

  /* A missing directory: ENOENT, and the environment may be closed afterwards. */
  CHECK_RC(mdb_env_create(&env), 0);
  path_in(path, sizeof path, "does-not-exist/sub");
  CHECK_RC(mdb_env_open(env, path, 0, 0644), ENOENT);
  mdb_env_close(env);
}

/* ---- data and transactions ---------------------------------------------------------------------- */

static void test_put_get_del(MDB_env *env) {
  MDB_txn *txn;
  MDB_dbi dbi, main_dbi;
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  CHECK(mdb_txn_env(txn) == env);
  CHECK(mdb_txn_id(txn) == 1);
  CHECK_RC(mdb_dbi_open(txn, "people", 0, &dbi), MDB_NOTFOUND);
  CHECK_RC(mdb_dbi_open(txn, "people", MDB_CREATE, &dbi), 0);
  CHECK_RC(mdb_dbi_open(txn, "bad", 0x1000 /* not a db flag */, &dbi), EINVAL);
  CHECK_RC(mdb_dbi_open(txn, "people", 0, &dbi), 0);
  CHECK_RC(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
  CHECK(main_dbi == 1 && dbi >= 2);
  unsigned flags = 99;
  CHECK_RC(mdb_dbi_flags(txn, dbi, &flags), 0);
  CHECK(flags == 0);

  MDB_val k = val("alice"), d = val("engineer");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), 0);
  k = val("bob"), d = val("designer");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), 0);
  /* NOOVERWRITE answers the existing value. */
  k = val("alice"), d = val("other");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, MDB_NOOVERWRITE), MDB_KEYEXIST);
  CHECK(val_is(&d, "engineer"));
  /* RESERVE answers the space to fill. */
  k = val("carol");
  d.mv_size = 7;
  d.mv_data = NULL;
  CHECK_RC(mdb_put(txn, dbi, &k, &d, MDB_RESERVE), 0);
  CHECK(d.mv_data != NULL && d.mv_size == 7);
  if (d.mv_data) memcpy(d.mv_data, "manager", 7);
  /* APPEND: in order only. */
  k = val("dave"), d = val("x");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, MDB_APPEND), 0);
  k = val("aaron"), d = val("y");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, MDB_APPEND), MDB_KEYEXIST);
  /* Sizes and flags. */
  k.mv_size = 0;
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), MDB_BAD_VALSIZE);
  char big_key[600];
  memset(big_key, 'k', sizeof big_key);
  k.mv_data = big_key, k.mv_size = 512;
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), MDB_BAD_VALSIZE);
  k.mv_size = 511;
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), 0);
  CHECK_RC(mdb_del(txn, dbi, &k, NULL), 0);
  k = val("eve");
  CHECK_RC(mdb_put(txn, dbi, &k, &d, MDB_CURRENT), EINVAL);
  /* A large value goes to overflow pages. */
  static char big[100000];
  memset(big, 'b', sizeof big);
  k = val("big"), d.mv_size = sizeof big, d.mv_data = big;
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), 0);

  k = val("carol");
  CHECK_RC(mdb_get(txn, dbi, &k, &d), 0);
  CHECK(val_is(&d, "manager"));
  k = val("zed");
  CHECK_RC(mdb_get(txn, dbi, &k, &d), MDB_NOTFOUND);
  k = val("big");
  CHECK_RC(mdb_get(txn, dbi, &k, &d), 0);
  CHECK(d.mv_size == sizeof big && memcmp(d.mv_data, big, sizeof big) == 0);
  k = val("dave");
  CHECK_RC(mdb_del(txn, dbi, &k, NULL), 0);
  CHECK_RC(mdb_del(txn, dbi, &k, NULL), MDB_NOTFOUND);
  /* A named database's record is not a value of the main database. */
  k = val("people"), d = val("v");
  CHECK_RC(mdb_put(txn, main_dbi, &k, &d, 0), MDB_INCOMPATIBLE);

  MDB_stat st;
  CHECK_RC(mdb_stat(txn, dbi, &st), 0);
  CHECK(st.ms_entries == 4 && st.ms_depth == 1 && st.ms_overflow_pages == 25);
  CHECK_RC(mdb_stat(txn, 0, &st), 0); /* FREE_DBI may be stat'ed */
  CHECK_RC(mdb_stat(txn, 99, &st), EINVAL);
  CHECK(mdb_cmp(txn, dbi, &(MDB_val){1, "a"}, &(MDB_val){1, "b"}) < 0);
  CHECK(mdb_cmp(txn, dbi, &(MDB_val){2, "ab"}, &(MDB_val){1, "a"}) > 0);
  CHECK(mdb_cmp(txn, dbi, &(MDB_val){1, "a"}, &(MDB_val){1, "a"}) == 0);
  CHECK_RC(mdb_txn_commit(txn), 0);

  /* Read back in a read-only transaction; writes are EACCES there. */
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  CHECK(mdb_txn_id(txn) == 1);
  k = val("alice");
  CHECK_RC(mdb_get(txn, dbi, &k, &d), 0);
  CHECK(val_is(&d, "engineer"));
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), EACCES);
  CHECK_RC(mdb_del(txn, dbi, &k, NULL), EACCES);
  CHECK_RC(mdb_dbi_open(txn, "missing", MDB_CREATE, &dbi), EACCES);
  CHECK_RC(mdb_dbi_open(txn, "missing", 0, &dbi), MDB_NOTFOUND);
  CHECK_RC(mdb_txn_renew(txn), EINVAL); /* still active */
  mdb_txn_reset(txn);
  CHECK_RC(mdb_get(txn, dbi, &k, &d), EINVAL);
  CHECK_RC(mdb_txn_renew(txn), 0);
  CHECK_RC(mdb_get(txn, dbi, &k, &d), 0);
  CHECK_RC(mdb_txn_commit(txn), 0);

  /* An empty write transaction takes no new txnid. */
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  CHECK(mdb_txn_id(txn) == 2);
  k = val("nobody");
  CHECK_RC(mdb_del(txn, dbi, &k, NULL), MDB_NOTFOUND);
  CHECK_RC(mdb_txn_commit(txn), 0);
  MDB_envinfo info;
  CHECK_RC(mdb_env_info(env, &info), 0);
  CHECK(info.me_last_txnid == 1);
}

static void test_nested(MDB_env *env, MDB_dbi dbi) {
  MDB_txn *parent, *child, *grandchild, *reader;
  MUST(mdb_txn_begin(env, NULL, 0, &parent));
  CHECK_RC(mdb_txn_begin(env, parent, MDB_RDONLY, &child), MDB_BAD_TXN);
  MUST(mdb_txn_begin(env, parent, 0, &child));
  MDB_val k = val("nested"), d = val("1");
  CHECK_RC(mdb_put(child, dbi, &k, &d, 0), 0);
  /* The parent is blocked while it has a child. */
  CHECK_RC(mdb_get(parent, dbi, &k, &d), MDB_BAD_TXN);
  CHECK_RC(mdb_txn_begin(env, parent, 0, &grandchild), MDB_BAD_TXN);
  MUST(mdb_txn_begin(env, child, 0, &grandchild));
  k = val("grand"), d = val("2");
  CHECK_RC(mdb_put(grandchild, dbi, &k, &d, 0), 0);
  mdb_txn_abort(grandchild);
  CHECK_RC(mdb_get(child, dbi, &k, &d), MDB_NOTFOUND);
  CHECK_RC(mdb_txn_commit(child), 0);
  k = val("nested");
  CHECK_RC(mdb_get(parent, dbi, &k, &d), 0);
  CHECK(val_is(&d, "1"));
  /* Committing the parent commits and frees an open child too. */
  MUST(mdb_txn_begin(env, parent, 0, &child));
  k = val("second"), d = val("3");
  CHECK_RC(mdb_put(child, dbi, &k, &d, 0), 0);
  CHECK_RC(mdb_txn_commit(parent), 0);

  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &reader));
  CHECK_RC(mdb_txn_begin(env, reader, 0, &child), EINVAL);
  k = val("second");
  CHECK_RC(mdb_get(reader, dbi, &k, &d), 0);
  k = val("grand");
  CHECK_RC(mdb_get(reader, dbi, &k, &d), MDB_NOTFOUND);
  mdb_txn_abort(reader);

  /* Aborting the parent frees an open child. */
  MUST(mdb_txn_begin(env, NULL, 0, &parent));
  MUST(mdb_txn_begin(env, parent, 0, &child));
  k = val("lost"), d = val("4");
  CHECK_RC(mdb_put(child, dbi, &k, &d, 0), 0);
  mdb_txn_abort(parent);
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &reader));
  CHECK_RC(mdb_get(reader, dbi, &k, &d), MDB_NOTFOUND);
  mdb_txn_abort(reader);
}

/* ---- cursors ------------------------------------------------------------------------------------ */

static void test_cursors(MDB_env *env, MDB_dbi dbi) {
  MDB_txn *txn;
  MDB_cursor *c;
  MDB_val k, d;
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  CHECK_RC(mdb_cursor_open(txn, dbi, &c), 0);
  CHECK(mdb_cursor_txn(c) == txn);
  CHECK(mdb_cursor_dbi(c) == dbi);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT), EINVAL);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_FIRST), 0);
  CHECK(val_is(&k, "alice") && val_is(&d, "engineer"));
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_NEXT), 0);
  CHECK(val_is(&k, "big"));
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_LAST), 0);
  CHECK(val_is(&k, "second"));
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_NEXT), MDB_NOTFOUND);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_PREV), 0);
  CHECK(val_is(&k, "nested"));
  k = val("bob");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET), 0);
  CHECK(val_is(&d, "designer"));
  k = val("bz");
  const void *key_buffer = k.mv_data;
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET_RANGE), 0);
  CHECK(val_is(&k, "carol") && k.mv_data != key_buffer);
  k = val("carol");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET_KEY), 0);
  CHECK(val_is(&d, "manager"));
  k = val("zzz");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET_RANGE), MDB_NOTFOUND);
  CHECK_RC(mdb_cursor_get(c, NULL, &d, MDB_SET), EINVAL);
  k.mv_size = 0;
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET), MDB_BAD_VALSIZE);
  CHECK_RC(mdb_cursor_get(c, &k, &d, (MDB_cursor_op)31), EINVAL);
  size_t count = 0;
  CHECK_RC(mdb_cursor_count(c, &count), MDB_INCOMPATIBLE);
  k = val("bob");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_GET_BOTH), MDB_INCOMPATIBLE);
  CHECK_RC(mdb_cursor_put(c, &k, &d, 0), EACCES);
  CHECK_RC(mdb_cursor_del(c, 0), EACCES);
  size_t walked = 0;
  for (int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) walked++;
  CHECK(walked == 6);
  /* A read-only cursor outlives its transaction and can be renewed on another one. */
  mdb_txn_abort(txn);
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  CHECK_RC(mdb_cursor_renew(txn, c), 0);
  CHECK(mdb_cursor_txn(c) == txn);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_FIRST), 0);
  CHECK(val_is(&k, "alice"));
  mdb_txn_abort(txn);
  mdb_cursor_close(c);

  /* Write cursors: put, CURRENT, delete; closed by the transaction if the caller does not. */
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  CHECK_RC(mdb_cursor_open(txn, 0, &c), EINVAL); /* FREE_DBI is read-only in a write txn */
  CHECK_RC(mdb_cursor_open(txn, dbi, &c), 0);
  k = val("frank"), d = val("tester");
  CHECK_RC(mdb_cursor_put(c, &k, &d, 0), 0);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT), 0);
  CHECK(val_is(&k, "frank") && val_is(&d, "tester"));
  k = val("frank"), d = val("TESTER");
  CHECK_RC(mdb_cursor_put(c, &k, &d, MDB_CURRENT), 0);
  k = val("frank");
  CHECK_RC(mdb_get(txn, dbi, &k, &d), 0);
  CHECK(val_is(&d, "TESTER"));
  k = val("gina"), d.mv_size = 5, d.mv_data = NULL;
  CHECK_RC(mdb_cursor_put(c, &k, &d, MDB_RESERVE), 0);
  if (d.mv_data) memcpy(d.mv_data, "hello", 5);
  k = val("gina");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET), 0);
  CHECK(val_is(&d, "hello"));
  CHECK_RC(mdb_cursor_del(c, 0), 0);
  /* The cursor stays on the successor of the deleted item: the next MDB_NEXT (or GET_CURRENT) answers it. */
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_NEXT), 0);
  CHECK(val_is(&k, "nested"));
  k = val("frank");
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_SET), 0);
  CHECK_RC(mdb_cursor_del(c, 0), 0);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT), 0);
  CHECK(val_is(&k, "nested"));
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_NEXT), 0); /* any get consumes the "deleted" state */
  CHECK(val_is(&k, "second"));
  MDB_val multi[2] = {{1, "x"}, {1, NULL}};
  k = val("m");
  CHECK_RC(mdb_cursor_put(c, &k, multi, MDB_MULTIPLE), MDB_INCOMPATIBLE);
  CHECK(multi[1].mv_size == 0);
  MDB_cursor *left_open;
  CHECK_RC(mdb_cursor_open(txn, dbi, &left_open), 0);
  CHECK_RC(mdb_cursor_get(left_open, &k, &d, MDB_LAST), 0);
  mdb_cursor_close(c);
  CHECK_RC(mdb_txn_commit(txn), 0); /* frees left_open */
}

static void test_drop_and_close(MDB_env *env) {
  MDB_txn *txn;
  MDB_dbi a, b, again;
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  MUST(mdb_dbi_open(txn, "to-empty", MDB_CREATE | MDB_INTEGERKEY, &a));
  MUST(mdb_dbi_open(txn, "to-delete", MDB_CREATE, &b));
  size_t n = 7;
  MDB_val k = {sizeof n, &n}, d = val("seven");
  CHECK_RC(mdb_put(txn, a, &k, &d, 0), 0);
  unsigned flags = 0;
  CHECK_RC(mdb_dbi_flags(txn, a, &flags), 0);
  CHECK(flags == MDB_INTEGERKEY);
  size_t n2 = 9;
  MDB_val k2 = {sizeof n2, &n2};
  CHECK(mdb_cmp(txn, a, &k, &k2) < 0);
  CHECK(mdb_cmp(txn, a, &k2, &k) > 0);
  k = val("x"), d = val("y");
  CHECK_RC(mdb_put(txn, b, &k, &d, 0), 0);
  CHECK_RC(mdb_txn_commit(txn), 0);

  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  CHECK_RC(mdb_drop(txn, a, 2), EINVAL);
  CHECK_RC(mdb_drop(txn, a, 0), 0);
  MDB_stat st;
  CHECK_RC(mdb_stat(txn, a, &st), 0);
  CHECK(st.ms_entries == 0 && st.ms_depth == 0);
  CHECK_RC(mdb_drop(txn, b, 1), 0);
  CHECK_RC(mdb_stat(txn, b, &st), EINVAL); /* the handle is closed */
  CHECK_RC(mdb_txn_commit(txn), 0);

  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  CHECK_RC(mdb_dbi_open(txn, "to-delete", 0, &again), MDB_NOTFOUND);
  CHECK_RC(mdb_dbi_open(txn, "to-empty", 0, &again), 0);
  CHECK(again == a);
  mdb_txn_abort(txn);
  mdb_dbi_close(env, a);
  mdb_dbi_close(env, a); /* twice: no effect */
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  CHECK_RC(mdb_stat(txn, a, &st), EINVAL);
  mdb_txn_abort(txn);
}

/* ---- reader table ------------------------------------------------------------------------------- */

struct ReaderLines {
  int count;
  char lines[8][128];
};

static int stop_listing(const char *msg, void *ctx) {
  (void)msg;
  (void)ctx;
  return -7;
}

static int collect_line(const char *msg, void *ctx) {
  struct ReaderLines *r = ctx;
  if (r->count < 8) snprintf(r->lines[r->count], sizeof r->lines[0], "%s", msg);
  r->count++;
  return 0;
}

static void test_readers(void) {
  MDB_env *env = open_env("readers", MDB_NOSYNC, 0);
  struct ReaderLines r = {0};
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  CHECK(r.count == 1 && strcmp(r.lines[0], "(no active readers)\n") == 0);
  MDB_txn *txn;
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  memset(&r, 0, sizeof r);
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  CHECK(r.count == 2 && strcmp(r.lines[0], "    pid     thread     txnid\n") == 0);
  int pid = 0;
  size_t txnid = 99;
  char thread[64] = "";
  CHECK(sscanf(r.lines[1], "%10d %63s %zu\n", &pid, thread, &txnid) == 3);
  CHECK(pid == (int)getpid() && txnid == mdb_txn_id(txn));
  char expect[128];
  snprintf(expect, sizeof expect, "%10d %s %zu\n", pid, thread, txnid);
  CHECK(strcmp(r.lines[1], expect) == 0);
  /* A reset transaction keeps its slot but pins nothing: "-". */
  mdb_txn_reset(txn);
  memset(&r, 0, sizeof r);
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  snprintf(expect, sizeof expect, "%10d %s -\n", pid, thread);
  CHECK(r.count == 2 && strcmp(r.lines[1], expect) == 0);
  /* Without MDB_NOTLS the slot stays with the thread after the transaction ends. */
  mdb_txn_abort(txn);
  memset(&r, 0, sizeof r);
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  CHECK(r.count == 2 && strcmp(r.lines[1], expect) == 0);
  MDB_envinfo info;
  CHECK_RC(mdb_env_info(env, &info), 0);
  CHECK(info.me_numreaders == 1);
  /* A callback's negative answer stops the listing and is returned. */
  CHECK(mdb_reader_list(env, stop_listing, &r) == -7);
  int dead = -1;
  CHECK_RC(mdb_reader_check(env, &dead), 0);
  CHECK(dead == 0);
  CHECK_RC(mdb_reader_check(env, NULL), 0);
  mdb_env_close(env);

  /* With MDB_NOTLS the slot belongs to the transaction and is freed with it. */
  env = open_env("readers-notls", MDB_NOSYNC | MDB_NOTLS, 0);
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  mdb_txn_abort(txn);
  memset(&r, 0, sizeof r);
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  CHECK(r.count == 1 && strcmp(r.lines[0], "(no active readers)\n") == 0);
  mdb_env_close(env);

  /* No lock file: no reader table. */
  env = open_env("nolock", MDB_NOLOCK, 0);
  memset(&r, 0, sizeof r);
  CHECK(mdb_reader_list(env, collect_line, &r) >= 0);
  CHECK(r.count == 1 && strcmp(r.lines[0], "(no reader locks)\n") == 0);
  mdb_env_close(env);
}

/* ---- copies ------------------------------------------------------------------------------------- */

static size_t count_items(MDB_env *env, const char *db_name) {
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *c;
  MDB_val k, d;
  size_t n = 0;
  if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0) return (size_t)-1;
  if (mdb_dbi_open(txn, db_name, 0, &dbi) == 0 && mdb_cursor_open(txn, dbi, &c) == 0) {
    for (int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) n++;
    mdb_cursor_close(c);
  }
  mdb_txn_abort(txn);
  return n;
}

static void check_copy(const char *dir, unsigned env_flags, size_t expect_items) {
  MDB_env *copy;
  MUST(mdb_env_create(&copy));
  MUST(mdb_env_set_maxdbs(copy, 8));
  CHECK_RC(mdb_env_open(copy, dir, env_flags, 0644), 0);
  CHECK(count_items(copy, "people") == expect_items);
  mdb_env_close(copy);
}

static void test_copies(MDB_env *env) {
  const size_t items = count_items(env, "people");
  CHECK(items == 6);
  char path[4096];
  make_dir("copy", path, sizeof path);
  CHECK_RC(mdb_env_copy(env, path), 0);
  CHECK_RC(mdb_env_copy(env, path), EEXIST); /* never overwrites */
  check_copy(path, 0, items);
  make_dir("compact", path, sizeof path);
  CHECK_RC(mdb_env_copy2(env, path, MDB_CP_COMPACT), 0);
  check_copy(path, 0, items);
  path_in(path, sizeof path, "copy.fd.mdb");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK_RC(mdb_env_copyfd(env, fd), 0);
  close(fd);
  check_copy(path, MDB_NOSUBDIR, items);
  path_in(path, sizeof path, "compact.fd.mdb");
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK_RC(mdb_env_copyfd2(env, fd, MDB_CP_COMPACT), 0);
  close(fd);
  check_copy(path, MDB_NOSUBDIR, items);
  struct stat plain, compact;
  char p1[4096], p2[4096];
  path_in(p1, sizeof p1, "copy/data.mdb");
  path_in(p2, sizeof p2, "compact/data.mdb");
  CHECK(stat(p1, &plain) == 0 && stat(p2, &compact) == 0 && compact.st_size <= plain.st_size);
  path_in(path, sizeof path, "no-such-dir");
  CHECK_RC(mdb_env_copy(env, path), ENOENT);
}

/* ---- misuse ------------------------------------------------------------------------------------- */

/* `aspen_only`: also the NULL arguments that LMDB itself does not check (it crashes on them). */
static void test_misuse(MDB_env *env, MDB_dbi dbi, int aspen_only) {
  MDB_val k = val("alice"), d;
  MDB_txn *txn = NULL;
  MDB_cursor *c = NULL;
  MDB_stat st;
  MDB_envinfo info;
  unsigned flags;
  const char *path;
  size_t count;
  /* NULL handles. */
  if (aspen_only) {
    CHECK_RC(mdb_env_create(NULL), EINVAL);
    CHECK_RC(mdb_env_open(NULL, g_dir, 0, 0644), EINVAL);
    CHECK_RC(mdb_env_open(env, NULL, 0, 0644), EINVAL);
    CHECK_RC(mdb_txn_begin(NULL, NULL, 0, &txn), EINVAL);
    CHECK_RC(mdb_txn_begin(env, NULL, 0, NULL), EINVAL);
    CHECK_RC(mdb_env_sync(NULL, 1), EINVAL);
    CHECK_RC(mdb_env_set_mapsize(NULL, 1), EINVAL);
    CHECK_RC(mdb_env_copy(NULL, g_dir), EINVAL);
    CHECK_RC(mdb_env_copy(env, NULL), EINVAL);
    CHECK(mdb_cursor_dbi(NULL) == 0);
    mdb_dbi_close(NULL, 2);
    CHECK(mdb_cmp(NULL, dbi, &k, &k) == EINVAL);
    CHECK_RC(mdb_cursor_del(NULL, 0), EINVAL);
    CHECK_RC(mdb_cursor_renew(NULL, NULL), EINVAL);
    CHECK_RC(mdb_set_compare(NULL, dbi, NULL), EINVAL);
  }
  CHECK_RC(mdb_env_stat(env, NULL), EINVAL);
  CHECK_RC(mdb_env_stat(NULL, &st), EINVAL);
  CHECK_RC(mdb_env_info(NULL, &info), EINVAL);
  CHECK_RC(mdb_env_info(env, NULL), EINVAL);
  CHECK_RC(mdb_env_get_flags(NULL, &flags), EINVAL);
  CHECK_RC(mdb_env_get_flags(env, NULL), EINVAL);
  CHECK_RC(mdb_env_get_path(NULL, &path), EINVAL);
  CHECK_RC(mdb_env_get_path(env, NULL), EINVAL);
  CHECK_RC(mdb_env_get_maxreaders(env, NULL), EINVAL);
  CHECK_RC(mdb_env_set_userctx(NULL, NULL), EINVAL);
  CHECK(mdb_env_get_userctx(NULL) == NULL);
  CHECK_RC(mdb_env_set_assert(NULL, NULL), EINVAL);
  CHECK_RC(mdb_reader_check(NULL, NULL), EINVAL);
  CHECK(mdb_reader_list(NULL, collect_line, NULL) == -1);
  CHECK(mdb_reader_list(env, NULL, NULL) == -1);
  CHECK_RC(mdb_txn_commit(NULL), EINVAL);
  CHECK_RC(mdb_txn_renew(NULL), EINVAL);
  CHECK(mdb_txn_env(NULL) == NULL);
  CHECK(mdb_txn_id(NULL) == 0);
  mdb_txn_abort(NULL);
  mdb_txn_reset(NULL);
  CHECK_RC(mdb_get(NULL, dbi, &k, &d), EINVAL);
  CHECK_RC(mdb_put(NULL, dbi, &k, &d, 0), EINVAL);
  CHECK_RC(mdb_del(NULL, dbi, &k, NULL), EINVAL);
  CHECK_RC(mdb_stat(NULL, dbi, &st), EINVAL);
  CHECK_RC(mdb_cursor_open(NULL, dbi, &c), EINVAL);
  CHECK_RC(mdb_cursor_get(NULL, &k, &d, MDB_FIRST), EINVAL);
  CHECK_RC(mdb_cursor_put(NULL, &k, &d, 0), EINVAL);
  CHECK_RC(mdb_cursor_count(NULL, &count), EINVAL);
  CHECK(mdb_cursor_txn(NULL) == NULL);
  mdb_cursor_close(NULL);
  mdb_env_close(NULL);

  /* NULL outputs and invalid handles inside a live transaction. */
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  CHECK_RC(mdb_get(txn, dbi, NULL, &d), EINVAL);
  CHECK_RC(mdb_get(txn, dbi, &k, NULL), EINVAL);
  CHECK_RC(mdb_put(txn, dbi, NULL, &d, 0), EINVAL);
  CHECK_RC(mdb_put(txn, dbi, &k, NULL, 0), EINVAL);
  CHECK_RC(mdb_put(txn, dbi, &k, &d, 0x8000000 /* not a put flag */), EINVAL);
  CHECK_RC(mdb_del(txn, dbi, NULL, NULL), EINVAL);
  CHECK_RC(mdb_stat(txn, dbi, NULL), EINVAL);
  CHECK_RC(mdb_dbi_flags(txn, 77, &flags), EINVAL);
  if (aspen_only) CHECK_RC(mdb_dbi_open(txn, "x", 0, NULL), EINVAL);
  CHECK_RC(mdb_get(txn, 77, &k, &d), EINVAL);
  CHECK_RC(mdb_put(txn, 77, &k, &d, 0), EINVAL);
  CHECK_RC(mdb_del(txn, 77, &k, NULL), EINVAL);
  CHECK_RC(mdb_get(txn, 0, &k, &d), EINVAL); /* FREE_DBI is not a user database */
  CHECK_RC(mdb_cursor_open(txn, 77, &c), EINVAL);
  CHECK_RC(mdb_cursor_open(txn, dbi, NULL), EINVAL);
  CHECK_RC(mdb_drop(txn, 77, 0), EINVAL);
  CHECK_RC(mdb_set_relfunc(txn, 77, NULL), EINVAL);
  CHECK_RC(mdb_set_relctx(txn, 77, NULL), EINVAL);
  CHECK_RC(mdb_set_relfunc(txn, dbi, NULL), 0);
  CHECK_RC(mdb_set_relctx(txn, dbi, NULL), 0);
  CHECK_RC(mdb_cursor_open(txn, dbi, &c), 0);
  CHECK_RC(mdb_cursor_put(c, NULL, &d, 0), EINVAL);
  CHECK_RC(mdb_cursor_count(c, NULL), EINVAL);
  CHECK_RC(mdb_cursor_del(c, 0), EINVAL); /* not positioned */
  mdb_txn_abort(txn);                     /* frees c */
}

/* ---- comparison hooks -------------------------------------------------------------------------- */

static int reverse_order(const MDB_val *a, const MDB_val *b) {
  size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
  int c = memcmp(b->mv_data, a->mv_data, n);
  return c ? c : (a->mv_size < b->mv_size) - (a->mv_size > b->mv_size);
}

static void test_custom_compare(MDB_env *env) {
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *c;
  MDB_val k, d;
  MUST(mdb_txn_begin(env, NULL, 0, &txn));
  MUST(mdb_dbi_open(txn, "custom", MDB_CREATE, &dbi));
  CHECK_RC(mdb_set_compare(txn, dbi, reverse_order), 0);
  const char *keys[] = {"b", "a", "c"};
  for (int i = 0; i < 3; i++) {
    k = val(keys[i]), d = val(keys[i]);
    CHECK_RC(mdb_put(txn, dbi, &k, &d, 0), 0);
  }
  CHECK(mdb_cmp(txn, dbi, &(MDB_val){1, "a"}, &(MDB_val){1, "b"}) > 0);
  CHECK_RC(mdb_cursor_open(txn, dbi, &c), 0);
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_FIRST), 0);
  CHECK(val_is(&k, "c"));
  CHECK_RC(mdb_cursor_get(c, &k, &d, MDB_LAST), 0);
  CHECK(val_is(&k, "a"));
  mdb_cursor_close(c);
  CHECK_RC(mdb_txn_commit(txn), 0);
}

int main(int argc, char **argv) {
  const char *expect = "aspen";
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--expect") == 0) expect = argv[i + 1];
  snprintf(g_dir, sizeof g_dir, "%s/abi-runtime-swap.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_version(expect);
  test_strerror();
  test_env_settings();

  MDB_env *env = open_env("main", MDB_NOSYNC, 8);
  test_put_get_del(env);
  MDB_txn *txn;
  MDB_dbi people;
  MUST(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  MUST(mdb_dbi_open(txn, "people", 0, &people));
  MUST(mdb_txn_commit(txn));
  test_nested(env, people);
  test_cursors(env, people);
  test_copies(env);
  test_readers();
  test_drop_and_close(env);
  test_custom_compare(env);
  test_misuse(env, people, strcmp(expect, "aspen") == 0);
  mdb_env_close(env);

  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "abi_runtime_swap: could not remove %s\n", g_dir);
  printf("abi_runtime_swap: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
