/* The literal LMDB 0.9 ABI (x86_64 / LP64), as a list of facts that tests/abi checks against whatever
 * <lmdb.h> is on the include path: Aspen's include/lmdb.h, and Debian's liblmdb header to prove that the
 * literals themselves are right.
 *
 * Each list is an X-macro: a checker defines the entry macro, expands the list, and undefines it. The
 * values are written as literals on purpose; never replace them by the header's own macros.
 * Layer: tests only. No state, no functions. */
#ifndef ASPEN_TESTS_ABI_EXPECTED_H
#define ASPEN_TESTS_ABI_EXPECTED_H

/* ABI_CONSTANTS(X): X(name, value) for every macro and enumerator with an integer value. */
#define ABI_CONSTANTS(X)                                                                           \
  /* environment flags */                                                                          \
  X(MDB_FIXEDMAP, 0x01)                                                                            \
  X(MDB_NOSUBDIR, 0x4000)                                                                          \
  X(MDB_NOSYNC, 0x10000)                                                                           \
  X(MDB_RDONLY, 0x20000)                                                                           \
  X(MDB_NOMETASYNC, 0x40000)                                                                       \
  X(MDB_WRITEMAP, 0x80000)                                                                         \
  X(MDB_MAPASYNC, 0x100000)                                                                        \
  X(MDB_NOTLS, 0x200000)                                                                           \
  X(MDB_NOLOCK, 0x400000)                                                                          \
  X(MDB_NORDAHEAD, 0x800000)                                                                       \
  X(MDB_NOMEMINIT, 0x1000000)                                                                      \
  /* database flags */                                                                             \
  X(MDB_REVERSEKEY, 0x02)                                                                          \
  X(MDB_DUPSORT, 0x04)                                                                             \
  X(MDB_INTEGERKEY, 0x08)                                                                          \
  X(MDB_DUPFIXED, 0x10)                                                                            \
  X(MDB_INTEGERDUP, 0x20)                                                                          \
  X(MDB_REVERSEDUP, 0x40)                                                                          \
  X(MDB_CREATE, 0x40000)                                                                           \
  /* write flags */                                                                                \
  X(MDB_NOOVERWRITE, 0x10)                                                                         \
  X(MDB_NODUPDATA, 0x20)                                                                           \
  X(MDB_CURRENT, 0x40)                                                                             \
  X(MDB_RESERVE, 0x10000)                                                                          \
  X(MDB_APPEND, 0x20000)                                                                           \
  X(MDB_APPENDDUP, 0x40000)                                                                        \
  X(MDB_MULTIPLE, 0x80000)                                                                         \
  /* copy flags */                                                                                 \
  X(MDB_CP_COMPACT, 0x01)                                                                          \
  /* cursor operations */                                                                          \
  X(MDB_FIRST, 0)                                                                                  \
  X(MDB_FIRST_DUP, 1)                                                                              \
  X(MDB_GET_BOTH, 2)                                                                               \
  X(MDB_GET_BOTH_RANGE, 3)                                                                         \
  X(MDB_GET_CURRENT, 4)                                                                            \
  X(MDB_GET_MULTIPLE, 5)                                                                           \
  X(MDB_LAST, 6)                                                                                   \
  X(MDB_LAST_DUP, 7)                                                                               \
  X(MDB_NEXT, 8)                                                                                   \
  X(MDB_NEXT_DUP, 9)                                                                               \
  X(MDB_NEXT_MULTIPLE, 10)                                                                         \
  X(MDB_NEXT_NODUP, 11)                                                                            \
  X(MDB_PREV, 12)                                                                                  \
  X(MDB_PREV_DUP, 13)                                                                              \
  X(MDB_PREV_NODUP, 14)                                                                            \
  X(MDB_SET, 15)                                                                                   \
  X(MDB_SET_KEY, 16)                                                                               \
  X(MDB_SET_RANGE, 17)                                                                             \
  X(MDB_PREV_MULTIPLE, 18)                                                                         \
  /* return codes */                                                                               \
  X(MDB_SUCCESS, 0)                                                                                \
  X(MDB_KEYEXIST, -30799)                                                                          \
  X(MDB_NOTFOUND, -30798)                                                                          \
  X(MDB_PAGE_NOTFOUND, -30797)                                                                     \
  X(MDB_CORRUPTED, -30796)                                                                         \
  X(MDB_PANIC, -30795)                                                                             \
  X(MDB_VERSION_MISMATCH, -30794)                                                                  \
  X(MDB_INVALID, -30793)                                                                           \
  X(MDB_MAP_FULL, -30792)                                                                          \
  X(MDB_DBS_FULL, -30791)                                                                          \
  X(MDB_READERS_FULL, -30790)                                                                      \
  X(MDB_TLS_FULL, -30789)                                                                          \
  X(MDB_TXN_FULL, -30788)                                                                          \
  X(MDB_CURSOR_FULL, -30787)                                                                       \
  X(MDB_PAGE_FULL, -30786)                                                                         \
  X(MDB_MAP_RESIZED, -30785)                                                                       \
  X(MDB_INCOMPATIBLE, -30784)                                                                      \
  X(MDB_BAD_RSLOT, -30783)                                                                         \
  X(MDB_BAD_TXN, -30782)                                                                           \
  X(MDB_BAD_VALSIZE, -30781)                                                                       \
  X(MDB_BAD_DBI, -30780)                                                                           \
  X(MDB_LAST_ERRCODE, -30780)                                                                      \
  /* version: every 0.9 release */                                                                 \
  X(MDB_VERSION_MAJOR, 0)                                                                          \
  X(MDB_VERSION_MINOR, 9)                                                                          \
  X(MDB_VERINT(1, 2, 3), 0x01020003)                                                               \
  X(MDB_VERINT(0, 9, 24), 0x00090018)

/* ABI_LAYOUT(X): X(struct, member type, member, offset, size) for every member of the public structs. */
#define ABI_LAYOUT(X)                                                                              \
  X(MDB_val, size_t, mv_size, 0, 8)                                                                \
  X(MDB_val, void *, mv_data, 8, 8)                                                                \
  X(MDB_stat, unsigned int, ms_psize, 0, 4)                                                        \
  X(MDB_stat, unsigned int, ms_depth, 4, 4)                                                        \
  X(MDB_stat, size_t, ms_branch_pages, 8, 8)                                                       \
  X(MDB_stat, size_t, ms_leaf_pages, 16, 8)                                                        \
  X(MDB_stat, size_t, ms_overflow_pages, 24, 8)                                                    \
  X(MDB_stat, size_t, ms_entries, 32, 8)                                                           \
  X(MDB_envinfo, void *, me_mapaddr, 0, 8)                                                         \
  X(MDB_envinfo, size_t, me_mapsize, 8, 8)                                                         \
  X(MDB_envinfo, size_t, me_last_pgno, 16, 8)                                                      \
  X(MDB_envinfo, size_t, me_last_txnid, 24, 8)                                                     \
  X(MDB_envinfo, unsigned int, me_maxreaders, 32, 4)                                               \
  X(MDB_envinfo, unsigned int, me_numreaders, 36, 4)

/* ABI_SIZES(X): X(type, size, alignment) for the public structs and the enum passed by value. */
#define ABI_SIZES(X)                                                                               \
  X(MDB_val, 16, 8)                                                                                \
  X(MDB_stat, 40, 8)                                                                               \
  X(MDB_envinfo, 40, 8)                                                                            \
  X(MDB_cursor_op, 4, 4)                                                                           \
  X(MDB_dbi, 4, 4)                                                                                 \
  X(mdb_filehandle_t, 4, 4)

/* ABI_TYPEDEFS(X): X(typedef name, the type it must name). */
#define ABI_TYPEDEFS(X)                                                                            \
  X(MDB_dbi, unsigned int)                                                                         \
  X(mdb_mode_t, mode_t)                                                                            \
  X(mdb_filehandle_t, int)

/* ABI_CALLBACKS(X): X(function typedef, return type, parameter list). */
#define ABI_CALLBACKS(X)                                                                           \
  X(MDB_cmp_func, int, (const MDB_val *, const MDB_val *))                                         \
  X(MDB_rel_func, void, (MDB_val *, void *, void *, void *))                                       \
  X(MDB_msg_func, int, (const char *, void *))                                                     \
  X(MDB_assert_func, void, (MDB_env *, const char *))

/* ABI_FUNCTIONS(X): X(return type, name, parameter list) for all 56 functions of LMDB 0.9. */
#define ABI_FUNCTIONS(X)                                                                           \
  X(char *, mdb_version, (int *, int *, int *))                                                    \
  X(char *, mdb_strerror, (int))                                                                   \
  X(int, mdb_env_create, (MDB_env **))                                                             \
  X(int, mdb_env_open, (MDB_env *, const char *, unsigned int, mdb_mode_t))                        \
  X(int, mdb_env_copy, (MDB_env *, const char *))                                                  \
  X(int, mdb_env_copyfd, (MDB_env *, mdb_filehandle_t))                                            \
  X(int, mdb_env_copy2, (MDB_env *, const char *, unsigned int))                                   \
  X(int, mdb_env_copyfd2, (MDB_env *, mdb_filehandle_t, unsigned int))                             \
  X(int, mdb_env_stat, (MDB_env *, MDB_stat *))                                                    \
  X(int, mdb_env_info, (MDB_env *, MDB_envinfo *))                                                 \
  X(int, mdb_env_sync, (MDB_env *, int))                                                           \
  X(void, mdb_env_close, (MDB_env *))                                                              \
  X(int, mdb_env_set_flags, (MDB_env *, unsigned int, int))                                        \
  X(int, mdb_env_get_flags, (MDB_env *, unsigned int *))                                           \
  X(int, mdb_env_get_path, (MDB_env *, const char **))                                             \
  X(int, mdb_env_get_fd, (MDB_env *, mdb_filehandle_t *))                                          \
  X(int, mdb_env_set_mapsize, (MDB_env *, size_t))                                                 \
  X(int, mdb_env_set_maxreaders, (MDB_env *, unsigned int))                                        \
  X(int, mdb_env_get_maxreaders, (MDB_env *, unsigned int *))                                      \
  X(int, mdb_env_set_maxdbs, (MDB_env *, MDB_dbi))                                                 \
  X(int, mdb_env_get_maxkeysize, (MDB_env *))                                                      \
  X(int, mdb_env_set_userctx, (MDB_env *, void *))                                                 \
  X(void *, mdb_env_get_userctx, (MDB_env *))                                                      \
  X(int, mdb_env_set_assert, (MDB_env *, MDB_assert_func *))                                       \
  X(int, mdb_txn_begin, (MDB_env *, MDB_txn *, unsigned int, MDB_txn **))                          \
  X(MDB_env *, mdb_txn_env, (MDB_txn *))                                                           \
  X(size_t, mdb_txn_id, (MDB_txn *))                                                               \
  X(int, mdb_txn_commit, (MDB_txn *))                                                              \
  X(void, mdb_txn_abort, (MDB_txn *))                                                              \
  X(void, mdb_txn_reset, (MDB_txn *))                                                              \
  X(int, mdb_txn_renew, (MDB_txn *))                                                               \
  X(int, mdb_dbi_open, (MDB_txn *, const char *, unsigned int, MDB_dbi *))                         \
  X(int, mdb_stat, (MDB_txn *, MDB_dbi, MDB_stat *))                                               \
  X(int, mdb_dbi_flags, (MDB_txn *, MDB_dbi, unsigned int *))                                      \
  X(void, mdb_dbi_close, (MDB_env *, MDB_dbi))                                                     \
  X(int, mdb_drop, (MDB_txn *, MDB_dbi, int))                                                      \
  X(int, mdb_set_compare, (MDB_txn *, MDB_dbi, MDB_cmp_func *))                                    \
  X(int, mdb_set_dupsort, (MDB_txn *, MDB_dbi, MDB_cmp_func *))                                    \
  X(int, mdb_set_relfunc, (MDB_txn *, MDB_dbi, MDB_rel_func *))                                    \
  X(int, mdb_set_relctx, (MDB_txn *, MDB_dbi, void *))                                             \
  X(int, mdb_get, (MDB_txn *, MDB_dbi, MDB_val *, MDB_val *))                                      \
  X(int, mdb_put, (MDB_txn *, MDB_dbi, MDB_val *, MDB_val *, unsigned int))                        \
  X(int, mdb_del, (MDB_txn *, MDB_dbi, MDB_val *, MDB_val *))                                      \
  X(int, mdb_cursor_open, (MDB_txn *, MDB_dbi, MDB_cursor **))                                     \
  X(void, mdb_cursor_close, (MDB_cursor *))                                                        \
  X(int, mdb_cursor_renew, (MDB_txn *, MDB_cursor *))                                              \
  X(MDB_txn *, mdb_cursor_txn, (MDB_cursor *))                                                     \
  X(MDB_dbi, mdb_cursor_dbi, (MDB_cursor *))                                                       \
  X(int, mdb_cursor_get, (MDB_cursor *, MDB_val *, MDB_val *, MDB_cursor_op))                      \
  X(int, mdb_cursor_put, (MDB_cursor *, MDB_val *, MDB_val *, unsigned int))                       \
  X(int, mdb_cursor_del, (MDB_cursor *, unsigned int))                                             \
  X(int, mdb_cursor_count, (MDB_cursor *, size_t *))                                               \
  X(int, mdb_cmp, (MDB_txn *, MDB_dbi, const MDB_val *, const MDB_val *))                          \
  X(int, mdb_dcmp, (MDB_txn *, MDB_dbi, const MDB_val *, const MDB_val *))                         \
  X(int, mdb_reader_list, (MDB_env *, MDB_msg_func *, void *))                                     \
  X(int, mdb_reader_check, (MDB_env *, int *))

/* The number of entries in ABI_FUNCTIONS; checked by counting the expansion. */
#define ABI_FUNCTION_COUNT 56

/* Aspen's own version numbers (not LMDB's), checked only against Aspen's header. */
#define ABI_ASPEN_VERSION_PATCH 70
#define ABI_VERSION_PREFIX "LMDB 0.9."

#endif /* ASPEN_TESTS_ABI_EXPECTED_H */
