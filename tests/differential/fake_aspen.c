/* A stand-in for Aspen's liblmdb.so.0, used only to test the differential harness itself: it forwards
 * every LMDB function to Debian's real liblmdb (opened by full path), reports a version string that names
 * Aspen, and, on request, breaks one answer so that the harness must notice:
 *
 *   DIFF_FAKE_BREAK unset or "none"  nothing changes: the harness must pass
 *   DIFF_FAKE_BREAK=api              every 300th mdb_put that succeeded claims MDB_KEYEXIST
 *   DIFF_FAKE_BREAK=page             mdb_stat reports one leaf page more than there is
 *   DIFF_FAKE_BREAK=text             mdb_strerror(MDB_TLS_FULL) says something else: one trace line differs
 *                                    and nothing after it, for the known_differences.txt "accepted" test
 *
 * Built as <build>/tests/differential/fake-aspen/liblmdb.so.0 and loaded through LD_LIBRARY_PATH exactly
 * as Aspen's library will be. Not thread-safe; the driver is single-threaded. */
#define _GNU_SOURCE
#include <lmdb.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DIFF_REAL_LIBLMDB
#error "DIFF_REAL_LIBLMDB must name Debian's liblmdb.so.0"
#endif

#define EXPORT __attribute__((visibility("default")))

static void *real_symbol(const char *name) {
  static void *library;
  if (library == NULL)
    library = dlopen(DIFF_REAL_LIBLMDB, RTLD_NOW | RTLD_LOCAL);
  void *symbol = library ? dlsym(library, name) : NULL;
  if (symbol == NULL) {
    fprintf(stderr, "fake_aspen: cannot load %s from %s: %s\n", name, DIFF_REAL_LIBLMDB, dlerror());
    abort();
  }
  return symbol;
}

static int breaking(const char *what) {
  const char *mode = getenv("DIFF_FAKE_BREAK");
  return mode != NULL && strcmp(mode, what) == 0;
}

/* FORWARD(ret, name, (typed parameters), (arguments)): a function that calls the real one. */
#define FORWARD(ret, name, params, args)                                                          \
  EXPORT ret name params {                                                                         \
    static ret(*real) params;                                                                      \
    if (real == NULL)                                                                              \
      *(void **)&real = real_symbol(#name);                                                        \
    return real args;                                                                              \
  }
#define FORWARD_VOID(name, params, args)                                                          \
  EXPORT void name params {                                                                        \
    static void(*real) params;                                                                     \
    if (real == NULL)                                                                              \
      *(void **)&real = real_symbol(#name);                                                        \
    real args;                                                                                     \
  }

EXPORT char *mdb_strerror(int err) {
  static char *(*real)(int);
  static char other[] = "MDB_TLS_FULL: a text the fake library changed";
  if (real == NULL)
    *(void **)&real = real_symbol("mdb_strerror");
  return err == MDB_TLS_FULL && breaking("text") ? other : real(err);
}
FORWARD(int, mdb_env_create, (MDB_env * *env), (env))
FORWARD(int, mdb_env_open, (MDB_env * env, const char *path, unsigned int flags, mdb_mode_t mode),
        (env, path, flags, mode))
FORWARD(int, mdb_env_copy, (MDB_env * env, const char *path), (env, path))
FORWARD(int, mdb_env_copyfd, (MDB_env * env, mdb_filehandle_t fd), (env, fd))
FORWARD(int, mdb_env_copy2, (MDB_env * env, const char *path, unsigned int flags), (env, path, flags))
FORWARD(int, mdb_env_copyfd2, (MDB_env * env, mdb_filehandle_t fd, unsigned int flags), (env, fd, flags))
FORWARD(int, mdb_env_stat, (MDB_env * env, MDB_stat *stat), (env, stat))
FORWARD(int, mdb_env_info, (MDB_env * env, MDB_envinfo *stat), (env, stat))
FORWARD(int, mdb_env_sync, (MDB_env * env, int force), (env, force))
FORWARD_VOID(mdb_env_close, (MDB_env * env), (env))
FORWARD(int, mdb_env_set_flags, (MDB_env * env, unsigned int flags, int onoff), (env, flags, onoff))
FORWARD(int, mdb_env_get_flags, (MDB_env * env, unsigned int *flags), (env, flags))
FORWARD(int, mdb_env_get_path, (MDB_env * env, const char **path), (env, path))
FORWARD(int, mdb_env_get_fd, (MDB_env * env, mdb_filehandle_t *fd), (env, fd))
FORWARD(int, mdb_env_set_mapsize, (MDB_env * env, size_t size), (env, size))
FORWARD(int, mdb_env_set_maxreaders, (MDB_env * env, unsigned int readers), (env, readers))
FORWARD(int, mdb_env_get_maxreaders, (MDB_env * env, unsigned int *readers), (env, readers))
FORWARD(int, mdb_env_set_maxdbs, (MDB_env * env, MDB_dbi dbs), (env, dbs))
FORWARD(int, mdb_env_get_maxkeysize, (MDB_env * env), (env))
FORWARD(int, mdb_env_set_userctx, (MDB_env * env, void *ctx), (env, ctx))
FORWARD(void *, mdb_env_get_userctx, (MDB_env * env), (env))
FORWARD(int, mdb_env_set_assert, (MDB_env * env, MDB_assert_func *func), (env, func))
FORWARD(int, mdb_txn_begin, (MDB_env * env, MDB_txn *parent, unsigned int flags, MDB_txn **txn),
        (env, parent, flags, txn))
FORWARD(MDB_env *, mdb_txn_env, (MDB_txn * txn), (txn))
FORWARD(size_t, mdb_txn_id, (MDB_txn * txn), (txn))
FORWARD(int, mdb_txn_commit, (MDB_txn * txn), (txn))
FORWARD_VOID(mdb_txn_abort, (MDB_txn * txn), (txn))
FORWARD_VOID(mdb_txn_reset, (MDB_txn * txn), (txn))
FORWARD(int, mdb_txn_renew, (MDB_txn * txn), (txn))
FORWARD(int, mdb_dbi_open, (MDB_txn * txn, const char *name, unsigned int flags, MDB_dbi *dbi),
        (txn, name, flags, dbi))
FORWARD(int, mdb_dbi_flags, (MDB_txn * txn, MDB_dbi dbi, unsigned int *flags), (txn, dbi, flags))
FORWARD_VOID(mdb_dbi_close, (MDB_env * env, MDB_dbi dbi), (env, dbi))
FORWARD(int, mdb_drop, (MDB_txn * txn, MDB_dbi dbi, int del), (txn, dbi, del))
FORWARD(int, mdb_set_compare, (MDB_txn * txn, MDB_dbi dbi, MDB_cmp_func *cmp), (txn, dbi, cmp))
FORWARD(int, mdb_set_dupsort, (MDB_txn * txn, MDB_dbi dbi, MDB_cmp_func *cmp), (txn, dbi, cmp))
FORWARD(int, mdb_set_relfunc, (MDB_txn * txn, MDB_dbi dbi, MDB_rel_func *rel), (txn, dbi, rel))
FORWARD(int, mdb_set_relctx, (MDB_txn * txn, MDB_dbi dbi, void *ctx), (txn, dbi, ctx))
FORWARD(int, mdb_get, (MDB_txn * txn, MDB_dbi dbi, MDB_val *key, MDB_val *data), (txn, dbi, key, data))
FORWARD(int, mdb_del, (MDB_txn * txn, MDB_dbi dbi, MDB_val *key, MDB_val *data), (txn, dbi, key, data))
FORWARD(int, mdb_cursor_open, (MDB_txn * txn, MDB_dbi dbi, MDB_cursor **cursor), (txn, dbi, cursor))
FORWARD_VOID(mdb_cursor_close, (MDB_cursor * cursor), (cursor))
FORWARD(int, mdb_cursor_renew, (MDB_txn * txn, MDB_cursor *cursor), (txn, cursor))
FORWARD(MDB_txn *, mdb_cursor_txn, (MDB_cursor * cursor), (cursor))
FORWARD(MDB_dbi, mdb_cursor_dbi, (MDB_cursor * cursor), (cursor))
FORWARD(int, mdb_cursor_get, (MDB_cursor * cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op),
        (cursor, key, data, op))
FORWARD(int, mdb_cursor_put, (MDB_cursor * cursor, MDB_val *key, MDB_val *data, unsigned int flags),
        (cursor, key, data, flags))
FORWARD(int, mdb_cursor_del, (MDB_cursor * cursor, unsigned int flags), (cursor, flags))
FORWARD(int, mdb_cursor_count, (MDB_cursor * cursor, size_t *countp), (cursor, countp))
FORWARD(int, mdb_cmp, (MDB_txn * txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b), (txn, dbi, a, b))
FORWARD(int, mdb_dcmp, (MDB_txn * txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b), (txn, dbi, a, b))
FORWARD(int, mdb_reader_list, (MDB_env * env, MDB_msg_func *func, void *ctx), (env, func, ctx))
FORWARD(int, mdb_reader_check, (MDB_env * env, int *dead), (env, dead))

EXPORT char *mdb_version(int *major, int *minor, int *patch) {
  static char text[] = "LMDB 0.9.70: (fake Aspen forwarding to Debian's liblmdb, for harness tests)";
  if (major)
    *major = 0;
  if (minor)
    *minor = 9;
  if (patch)
    *patch = 70;
  return text;
}

EXPORT int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags) {
  static int (*real)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *, unsigned int);
  static unsigned long successes;
  if (real == NULL)
    *(void **)&real = real_symbol("mdb_put");
  int rc = real(txn, dbi, key, data, flags);
  if (rc == 0 && ++successes % 300 == 0 && breaking("api"))
    return MDB_KEYEXIST;
  return rc;
}

EXPORT int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat) {
  static int (*real)(MDB_txn *, MDB_dbi, MDB_stat *);
  if (real == NULL)
    *(void **)&real = real_symbol("mdb_stat");
  int rc = real(txn, dbi, stat);
  if (rc == 0 && breaking("page"))
    stat->ms_leaf_pages++;
  return rc;
}
