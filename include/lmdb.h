/** @file lmdb.h
 *  @brief Aspen's LMDB 0.9 C interface: a drop-in replacement for the header of the
 *  Lightning Memory-Mapped Database (LMDB) 0.9.x.
 *
 *  @mainpage Aspen: the LMDB 0.9 C API
 *
 *  @section aspen_intro What this header is
 *  Aspen is an embedded, memory-mapped, copy-on-write B+tree key-value store. This header declares
 *  the C interface of LMDB 0.9.x exactly: the same type names, structure layouts, macro values,
 *  enumerators, error codes and function signatures. A program written for LMDB 0.9 compiles
 *  against this header without change, and a program already compiled against LMDB's own header
 *  runs unchanged against Aspen's `liblmdb.so.0`. The files Aspen writes (`data.mdb`, `lock.mdb`)
 *  have LMDB 0.9's layout on 64-bit little-endian Linux, so both libraries can share them, even
 *  while the environment is open in another process.
 *
 *  The library is a C++20 program; the boundary is plain C (declared `extern "C"` for C++
 *  callers). No function in this header lets a C++ exception escape: an allocation failure is
 *  reported as `ENOMEM`.
 *
 *  @section aspen_model The model in one page
 *  - An @b environment (#MDB_env) is one data file and one lock file. The data file is mapped into
 *    memory; reads return pointers straight into the map, with no copy.
 *  - An environment holds one unnamed @b database and, if #mdb_env_set_maxdbs() allows it, a number
 *    of named databases (#MDB_dbi handles). The names of the named databases are keys of the
 *    unnamed database.
 *  - Every access happens inside a @b transaction (#MDB_txn). Any number of read-only transactions
 *    run at the same time as at most one read-write transaction. A reader sees the snapshot that
 *    was committed last when it began, and neither blocks nor is blocked by the writer.
 *  - A write never overwrites a page that a committed snapshot uses: it copies the page, changes
 *    the copy, and a commit makes the new tree visible by writing one of the two meta pages. A
 *    crash therefore leaves either the old or the new snapshot, never a mixture (subject to the
 *    durability flags of #mdb_env_open()).
 *  - Pages freed by a commit are reused once no reader can still see them. A reader that stays
 *    open for a long time therefore makes the file grow (see @ref caveats_sec).
 *  - A @b cursor (#MDB_cursor) walks a database in key order and can write where it stands.
 *
 *  @section caveats_sec Caveats
 *  These hold for LMDB 0.9 and for Aspen alike; most follow from sharing the files with LMDB.
 *
 *  @par The lock file
 *  - Readers record the snapshot they use in a slot of the lock file. A process that dies inside
 *    a read transaction leaves its slot behind, and the pages that snapshot uses cannot be reused
 *    until the slot is cleared, so the data file grows. Call #mdb_reader_check() from time to
 *    time (or run `mdb_stat -rr`) to clear the slots of dead processes. The lock file is also
 *    rebuilt from scratch whenever the first process opens the environment, so closing the
 *    environment in every process clears everything.
 *  - A writer that dies holding the writer lock is detected automatically on Linux, where the
 *    lock is a robust process-shared mutex: the next writer recovers the lock.
 *  - Even read-only use needs write access to the lock file. The exceptions are a read-only
 *    filesystem and the #MDB_NOLOCK flag.
 *
 *  @par Address space and file size
 *  - The environment reserves address space for the whole map size at open (see
 *    #mdb_env_set_mapsize()). Reserving address space costs neither memory nor disk, but tools
 *    that report virtual memory will show it.
 *  - The data file never shrinks. Freed pages are reused; to give space back to the filesystem,
 *    copy the environment with #MDB_CP_COMPACT and replace it.
 *
 *  @par Transactions and threads
 *  - A thread may use only one transaction at a time (plus that transaction's nested children).
 *    With #MDB_NOTLS a thread may hold several read-only transactions.
 *  - A transaction and its cursors are used by one thread at a time, and a write transaction must
 *    end in the thread that began it (the writer lock is a mutex owned by that thread).
 *  - Keep transactions short. An old reader pins every page freed after its snapshot, so a long
 *    reader makes the file grow; a long writer stops every other writer. Suspending a process that
 *    holds a transaction has the same effect.
 *  - Values returned by reads point into the map. They stay valid until the next write in the same
 *    transaction, or until the transaction ends. Never write through them.
 *
 *  @par Processes and files
 *  - Use an #MDB_env only in the process that opened it; a child created by fork() must open its
 *    own environment (after exec, or from scratch).
 *  - Do not open the same environment twice in one process, not even with a plain open() of its
 *    files: closing any descriptor of a file drops every POSIX record lock the process holds on
 *    that file, which breaks the reader liveness protocol.
 *  - Do not put environments on network filesystems. Their locking and memory-map coherence are
 *    not good enough, even between processes on one host.
 *  - Opening can fail if another process opens or closes the same environment at exactly the same
 *    moment; retrying succeeds.
 *  - Data files are tied to the word size and byte order of the machine that wrote them: a file
 *    written on a 64-bit little-endian machine opens only on such a machine.
 *
 *  @par Memory contents written to disk
 *  - Pages are built in heap memory before they are written. By default that memory is zeroed
 *    first so that unrelated heap contents never reach the file (buffers are reused from a pool
 *    as liblmdb does: the unused gap of a page may then hold older bytes of this environment's own
 *    pages, including deleted or aborted data); #MDB_NOMEMINIT skips the zeroing
 *    and is unsafe for applications that handle secrets. With #MDB_WRITEMAP the question does not
 *    arise: pages are written in place.
 */
#ifndef _LMDB_H_
/* The guard is LMDB's own name on purpose: a program that includes both this header and another
 * copy of LMDB's header (through a third-party wrapper, say) sees one set of declarations. */
#define _LMDB_H_

#include <sys/types.h> /* mode_t, size_t */

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Permission bits for files the library creates (the `mode` of #mdb_env_open()).
 *  `mode_t` on POSIX; a plain `int` under Microsoft's compiler, which has no `mode_t`. */
#ifdef _MSC_VER
typedef int mdb_mode_t;
#else
typedef mode_t mdb_mode_t;
#endif

/** @brief An operating-system file handle: a descriptor (`int`) on POSIX, a `HANDLE` (`void *`)
 *  on Windows. Used by #mdb_env_get_fd(), #mdb_env_copyfd() and #mdb_env_copyfd2(). */
#ifdef _WIN32
typedef void *mdb_filehandle_t;
#else
typedef int mdb_filehandle_t;
#endif

/** @defgroup mdb Aspen's LMDB 0.9 API
 *  @{
 */

/** @defgroup Version Version macros
 *  Aspen reports itself as an LMDB 0.9 release: major 0, minor 9, and a patch number above every
 *  patch level LMDB's 0.9 branch has used, so that code testing `MDB_VERSION_FULL >=
 *  MDB_VERINT(0,9,N)` for a 0.9 feature takes the newest path. The version string starts with
 *  "LMDB 0.9." like LMDB's and then names Aspen, so that logs say which library ran.
 *  #mdb_version() returns the values of the library actually loaded, which is not necessarily
 *  the one a program was compiled against.
 *  @{
 */
/** Major version: always 0 for the LMDB 0.9 interface. */
#define MDB_VERSION_MAJOR 0
/** Minor version: always 9 for the LMDB 0.9 interface. */
#define MDB_VERSION_MINOR 9
/** Patch level of the LMDB 0.9 interface that Aspen implements. */
#define MDB_VERSION_PATCH 70

/** Pack a version triple into one integer that compares in version order:
 *  `(a << 24) | (b << 16) | c`. */
#define MDB_VERINT(a, b, c) (((a) << 24) | ((b) << 16) | (c))

/** This header's version as one integer, see #MDB_VERINT. */
#define MDB_VERSION_FULL MDB_VERINT(MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH)

/** Release date of this version, as text. */
#define MDB_VERSION_DATE "November 21, 2026"

/** Build the version text from its parts: `"LMDB a.b.c: (d)"`, where `d` is a string literal. */
#define MDB_VERSTR(a, b, c, d) "LMDB " #a "." #b "." #c ": (" d ")"

/** Expand the macro arguments first, then stringify them with #MDB_VERSTR. */
#define MDB_VERFOO(a, b, c, d) MDB_VERSTR(a, b, c, d)

/** This header's version as text: "LMDB 0.9.70: (Aspen 0.1.0, November 21, 2025)". */
#define MDB_VERSION_STRING                                                                         \
  MDB_VERFOO(MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH,                              \
             "Aspen 0.1.0, " MDB_VERSION_DATE)
/** @} */

/** @brief An environment: one data file, its lock file, the memory map and the settings used to
 *  open them. Opaque. Created by #mdb_env_create(), destroyed by #mdb_env_close().
 *  An open environment may be used by many threads at once. */
typedef struct MDB_env MDB_env;

/** @brief A transaction: a consistent snapshot to read from and, unless read-only, a set of
 *  changes that become visible together at commit. Opaque. Every data access needs one. */
typedef struct MDB_txn MDB_txn;

/** @brief A handle for one database (the unnamed one or a named one) of an environment.
 *  Handles are small integers, valid in every transaction of the environment once the
 *  transaction that opened them has committed. */
typedef unsigned int MDB_dbi;

/** @brief A cursor: a position in one database inside one transaction, used to walk the keys in
 *  order and to write at the position. Opaque. */
typedef struct MDB_cursor MDB_cursor;

/** @brief A byte string passed into or out of the library: a key or a data item.
 *
 *  On output, `mv_data` usually points into the memory map. Such a pointer is valid only until
 *  the next write in the same transaction or the end of the transaction, and the bytes must not
 *  be modified (in a read-only map, writing to them raises SIGSEGV).
 *
 *  Sizes: a key is 1 to #mdb_env_get_maxkeysize() bytes (511). A data item of an #MDB_DUPSORT
 *  database obeys the same limit, because it is stored as a key of a nested tree. Other data
 *  items may be 0 to 0xffffffff bytes. */
typedef struct MDB_val {
  size_t mv_size; /**< Length of the item in bytes. */
  void *mv_data;  /**< Address of the first byte. */
} MDB_val;

/** @brief A comparison of two keys (or two duplicate data items): negative, zero or positive as
 *  `a` sorts before, equal to, or after `b`. It must be a total order, must not depend on
 *  anything but the two items, and must be the same in every process and every run that uses
 *  the database. */
typedef int(MDB_cmp_func)(const MDB_val *a, const MDB_val *b);

/** @brief A callback meant to fix up position-dependent data when an item moves inside a
 *  #MDB_FIXEDMAP environment.
 *
 *  `item` holds the data at its current address, `oldptr` is where it used to live and `newptr`
 *  where it is meant to live; `relctx` is the pointer given to #mdb_set_relctx().
 *  @note Not implemented, neither by LMDB 0.9 nor by Aspen: the library never calls it. The type
 *  exists so that programs that set one still compile. */
typedef void(MDB_rel_func)(MDB_val *item, void *oldptr, void *newptr, void *relctx);

/** @defgroup mdb_env Environment flags
 *  Passed to #mdb_env_open() (and, for the run-time-changeable ones, to #mdb_env_set_flags()).
 *  See #mdb_env_open() for what each one means for durability.
 *  @{
 */
/** Map at a fixed address recorded in the file (experimental; set only when creating). */
#define MDB_FIXEDMAP 0x01
/** `path` names the data file itself; the lock file is `path` followed by "-lock". */
#define MDB_NOSUBDIR 0x4000
/** No flush to disk at commit: keeps integrity on order-preserving filesystems, loses the last
 *  commits on a system crash. Changeable at run time. */
#define MDB_NOSYNC 0x10000
/** Open read-only: no write transaction may begin. */
#define MDB_RDONLY 0x20000
/** Flush the data pages at commit but not the meta page: a system crash may undo the last
 *  commit. Changeable at run time. */
#define MDB_NOMETASYNC 0x40000
/** Map the data file writable and write pages in place rather than with write calls. */
#define MDB_WRITEMAP 0x80000
/** With #MDB_WRITEMAP, start the flush at commit without waiting for it. Changeable at run time. */
#define MDB_MAPASYNC 0x100000
/** Tie reader slots to transaction handles rather than to threads. */
#define MDB_NOTLS 0x200000
/** Take no locks at all; the application serialises access itself. */
#define MDB_NOLOCK 0x400000
/** Ask the OS not to read ahead in the data file (no effect on Windows). */
#define MDB_NORDAHEAD 0x800000
/** Do not zero heap pages before they are written to the file. Changeable at run time. */
#define MDB_NOMEMINIT 0x1000000
/** @} */

/** @defgroup mdb_dbi_open Database flags
 *  Passed to #mdb_dbi_open(). All but #MDB_CREATE are stored in the database record and must be
 *  given identically each time the database is opened.
 *  @{
 */
/** Compare keys as byte strings read from the last byte towards the first. */
#define MDB_REVERSEKEY 0x02
/** A key may hold several data items, kept sorted and unique. */
#define MDB_DUPSORT 0x04
/** Keys are native-endian unsigned integers, all `unsigned int` or all `size_t`, sorted by
 *  value. */
#define MDB_INTEGERKEY 0x08
/** With #MDB_DUPSORT: every data item has the same size. */
#define MDB_DUPFIXED 0x10
/** With #MDB_DUPSORT: data items are native-endian unsigned integers, as for #MDB_INTEGERKEY. */
#define MDB_INTEGERDUP 0x20
/** With #MDB_DUPSORT: compare data items as byte strings read from the end. */
#define MDB_REVERSEDUP 0x40
/** Create the named database if it does not exist yet (never stored). */
#define MDB_CREATE 0x40000
/** @} */

/** @defgroup mdb_put Write flags
 *  Passed to #mdb_put(), #mdb_cursor_put() and (only #MDB_NODUPDATA) #mdb_cursor_del().
 *  @{
 */
/** Store only if the key is absent; otherwise fail with #MDB_KEYEXIST. */
#define MDB_NOOVERWRITE 0x10
/** #MDB_DUPSORT only. On a put: store only if this exact key/data pair is absent, otherwise fail
 *  with #MDB_KEYEXIST. On #mdb_cursor_del(): delete every data item of the current key. */
#define MDB_NODUPDATA 0x20
/** #mdb_cursor_put() only: replace the item the cursor stands on. */
#define MDB_CURRENT 0x40
/** Make room for `data->mv_size` bytes and return its address in `data->mv_data` instead of
 *  copying; the caller fills it before the next write. Not for #MDB_DUPSORT databases. */
#define MDB_RESERVE 0x10000
/** The key sorts after every key in the database: add it at the end without searching (bulk
 *  loading). Fails with #MDB_KEYEXIST otherwise. */
#define MDB_APPEND 0x20000
/** As #MDB_APPEND, for a data item that sorts after every data item of its key. */
#define MDB_APPENDDUP 0x40000
/** #MDB_DUPFIXED only: store an array of equally sized data items in one call. */
#define MDB_MULTIPLE 0x80000
/** @} */

/** @defgroup mdb_copy Copy flags
 *  Passed to #mdb_env_copy2() and #mdb_env_copyfd2().
 *  @{
 */
/** Write a compacted copy: only pages in use, renumbered consecutively, no free list. */
#define MDB_CP_COMPACT 0x01
/** @} */

/** @brief The operations of #mdb_cursor_get().
 *
 *  "Item" means one key/data pair; in an #MDB_DUPSORT database a key with n data items counts as
 *  n items. The numeric values are part of the ABI. */
typedef enum MDB_cursor_op {
  MDB_FIRST,          /**< 0: Go to the first item. */
  MDB_FIRST_DUP,      /**< 1: #MDB_DUPSORT only: go to the first data item of the current key. */
  MDB_GET_BOTH,       /**< 2: #MDB_DUPSORT only: go to this exact key/data pair. */
  MDB_GET_BOTH_RANGE, /**< 3: #MDB_DUPSORT only: go to this key, and to its first data item that
                           sorts at or after the given data. */
  MDB_GET_CURRENT,    /**< 4: Return the item at the current position without moving. */
  MDB_GET_MULTIPLE,   /**< 5: #MDB_DUPFIXED only: return up to a page of data items of the
                           current key, starting at the current position, and prepare for
                           #MDB_NEXT_MULTIPLE. */
  MDB_LAST,           /**< 6: Go to the last item. */
  MDB_LAST_DUP,       /**< 7: #MDB_DUPSORT only: go to the last data item of the current key. */
  MDB_NEXT,           /**< 8: Go to the next item (the first one if the cursor is unset). */
  MDB_NEXT_DUP,       /**< 9: #MDB_DUPSORT only: go to the next data item of the current key;
                           #MDB_NOTFOUND after its last one. */
  MDB_NEXT_MULTIPLE,  /**< 10: #MDB_DUPFIXED only: return up to a page of data items of the
                           current key that follow the ones returned last. */
  MDB_NEXT_NODUP,     /**< 11: Go to the first data item of the next key. */
  MDB_PREV,           /**< 12: Go to the previous item (the last one if the cursor is unset). */
  MDB_PREV_DUP,       /**< 13: #MDB_DUPSORT only: go to the previous data item of the current
                           key; #MDB_NOTFOUND before its first one. */
  MDB_PREV_NODUP,     /**< 14: Go to the last data item of the previous key. */
  MDB_SET,            /**< 15: Go to this key; return its data but leave `key` untouched. */
  MDB_SET_KEY,        /**< 16: Go to this key; return the stored key and its data. */
  MDB_SET_RANGE,      /**< 17: Go to the first key that sorts at or after this key. */
  MDB_PREV_MULTIPLE   /**< 18: #MDB_DUPFIXED only: go back one page of data items of the
                           current key and return them. */
} MDB_cursor_op;

/** @defgroup errors Return codes
 *  Every function that returns `int` returns 0 (#MDB_SUCCESS) on success and otherwise either
 *  one of the codes below or a positive `errno` value (`EINVAL`, `EACCES`, `ENOMEM`, `ENOSPC`,
 *  `EIO`, ...). The library's own codes lie in -30799..-30780, just below the range Berkeley DB
 *  uses (-30800..-30999), so that programs ported from it can tell the two apart.
 *  #mdb_strerror() turns any of them into text.
 *  @{
 */
/** The call succeeded. */
#define MDB_SUCCESS 0
/** The key (with #MDB_NOOVERWRITE or #MDB_APPEND) or the key/data pair (with #MDB_NODUPDATA or
 *  #MDB_APPENDDUP) is already present. The transaction remains usable. */
#define MDB_KEYEXIST (-30799)
/** No such key, key/data pair or named database; or the cursor moved past either end. The
 *  transaction remains usable. */
#define MDB_NOTFOUND (-30798)
/** A page referenced by the tree is not in the file: the file is damaged, or a map that is too
 *  small was used to read it. */
#define MDB_PAGE_NOTFOUND (-30797)
/** A page has the wrong type or impossible contents: the file is damaged. */
#define MDB_CORRUPTED (-30796)
/** A commit failed to write the meta page, or an earlier fatal error occurred. The environment
 *  accepts no further work and must be closed. */
#define MDB_PANIC (-30795)
/** The lock file or data file has a layout version this library does not support. */
#define MDB_VERSION_MISMATCH (-30794)
/** The data file is not an LMDB data file, or neither of its meta pages is valid. */
#define MDB_INVALID (-30793)
/** The write needs more pages than the map size allows; see #mdb_env_set_mapsize(). The
 *  transaction can only be aborted. */
#define MDB_MAP_FULL (-30792)
/** #mdb_dbi_open() would need more handles than #mdb_env_set_maxdbs() allowed. */
#define MDB_DBS_FULL (-30791)
/** Every reader slot is in use; see #mdb_env_set_maxreaders() and #mdb_reader_check(). */
#define MDB_READERS_FULL (-30790)
/** Windows only: no thread-local storage key is left for the reader slot. */
#define MDB_TLS_FULL (-30789)
/** The write transaction has dirtied more pages than it can track (about 131 000). The
 *  transaction can only be aborted; split the work into smaller transactions. */
#define MDB_TXN_FULL (-30788)
/** The tree is deeper than a cursor can follow: an internal error, normally a sign of a damaged
 *  file. */
#define MDB_CURSOR_FULL (-30787)
/** A page had no room for a node that should have fit: an internal error. */
#define MDB_PAGE_FULL (-30786)
/** Another process grew the data beyond this process's map size. Call #mdb_env_set_mapsize()
 *  with 0 while no transaction is active here, then retry. */
#define MDB_MAP_RESIZED (-30785)
/** The operation does not suit this database or item. Among the causes:
 *  - the operation needs an #MDB_DUPSORT or #MDB_DUPFIXED database;
 *  - a named database was requested while the unnamed database uses #MDB_DUPSORT or
 *    #MDB_INTEGERKEY (its keys can then not be names);
 *  - a key of the unnamed database that names a database was read or written as data, or the
 *    other way round;
 *  - the database was dropped and created again with other flags. */
#define MDB_INCOMPATIBLE (-30784)
/** The thread's reader slot is in a state that does not fit the call, e.g. a second read-only
 *  transaction in a thread without #MDB_NOTLS. */
#define MDB_BAD_RSLOT (-30783)
/** The transaction cannot take this call: it failed earlier and must be aborted, it has an
 *  active child transaction, or it is read-only or finished. */
#define MDB_BAD_TXN (-30782)
/** A key, data item or database name has a size the call does not accept: an empty key, a key
 *  (or #MDB_DUPSORT data item) longer than #mdb_env_get_maxkeysize(), or an item whose size does
 *  not match the others of an #MDB_DUPFIXED database. */
#define MDB_BAD_VALSIZE (-30781)
/** The database handle is not valid in this transaction, or the database it names was changed
 *  (dropped, created) by another transaction since the handle was opened. */
#define MDB_BAD_DBI (-30780)
/** The numerically lowest (last defined) code of the library. */
#define MDB_LAST_ERRCODE MDB_BAD_DBI
/** @} */

/** @brief Statistics of one database tree (#mdb_stat(), #mdb_env_stat()). */
typedef struct MDB_stat {
  unsigned int ms_psize;    /**< Page size in bytes (one size for the whole environment). */
  unsigned int ms_depth;    /**< Height of the tree: 0 when empty, 1 for a single leaf page. */
  size_t ms_branch_pages;   /**< Number of branch (internal) pages. */
  size_t ms_leaf_pages;     /**< Number of leaf pages. */
  size_t ms_overflow_pages; /**< Number of overflow pages holding large data items. */
  size_t ms_entries;        /**< Number of items (key/data pairs, counting each duplicate). */
} MDB_stat;

/** @brief Facts about an open environment (#mdb_env_info()). */
typedef struct MDB_envinfo {
  void *me_mapaddr;           /**< Address of the map if it is fixed (#MDB_FIXEDMAP), else NULL. */
  size_t me_mapsize;          /**< Size of the memory map in bytes. */
  size_t me_last_pgno;        /**< Number of the highest page in use. */
  size_t me_last_txnid;       /**< Id of the last committed transaction. */
  unsigned int me_maxreaders; /**< Number of reader slots in the lock file. */
  unsigned int me_numreaders; /**< Number of reader slots ever used since the lock file was
                                   created (a high-water mark, not the number in use now). */
} MDB_envinfo;

/** @brief The version of the library actually loaded.
 *
 *  @param[out] major if not NULL, receives the major version (0).
 *  @param[out] minor if not NULL, receives the minor version (9).
 *  @param[out] patch if not NULL, receives the patch level.
 *  @return The version text, e.g. "LMDB 0.9.70: (Aspen 0.1.0, November 21, 2025)". The string is
 *  static; do not modify or free it.
 */
char *mdb_version(int *major, int *minor, int *patch);

/** @brief Describe a return code.
 *
 *  Codes from #MDB_KEYEXIST to #MDB_LAST_ERRCODE get the library's own text; 0 and positive
 *  codes get the system's strerror() text (for 0, a message meaning success).
 *  @param[in] err A return code of this library or an errno value.
 *  @return Static text; do not modify or free it.
 */
char *mdb_strerror(int err);

/** @brief Create an environment handle, not yet attached to any file.
 *
 *  Set the options that must precede opening (#mdb_env_set_mapsize(),
 *  #mdb_env_set_maxreaders(), #mdb_env_set_maxdbs()), then call #mdb_env_open(). The handle is
 *  released by #mdb_env_close(), whether or not it was ever opened.
 *  @param[out] env Receives the new handle.
 *  @return 0, or ENOMEM.
 */
int mdb_env_create(MDB_env **env);

/** @brief Open (creating if needed) the environment at `path` and map it.
 *
 *  If the data file does not exist it is created with two meta pages; otherwise the valid meta
 *  page with the higher transaction id is used. The first process to open an environment also
 *  rebuilds its lock file. If this call fails, the handle can no longer be opened: call
 *  #mdb_env_close() on it.
 *
 *  @param[in] env A handle from #mdb_env_create() that has not been opened.
 *  @param[in] path A directory that already exists and is writable: the files are
 *  `path/data.mdb` and `path/lock.mdb`. With #MDB_NOSUBDIR, the data file itself, the lock file
 *  being `path` followed by "-lock".
 *  @param[in] flags 0, or a bitwise OR of the following, together with any flags already set by
 *  #mdb_env_set_flags(). Any other bit gives EINVAL.
 *  <ul>
 *  <li>#MDB_FIXEDMAP: map the file at the address recorded when the environment was created, so
 *      that pointers into the map stay the same from one run to the next. It must be given when
 *      the environment is created and is then recorded in the file. Mapping fails if that
 *      address range is taken in this process. Experimental; avoid in new code.
 *  <li>#MDB_NOSUBDIR: `path` is the data file, not a directory (see above).
 *  <li>#MDB_RDONLY: no write transaction may begin in this environment. The lock file is still
 *      written (reader slots), except on a read-only filesystem where no lock is used at all.
 *  <li>#MDB_WRITEMAP: map the data file read-write and build modified pages in place in the map
 *      instead of in heap buffers written out at commit. Fewer copies and allocations, faster when
 *      the data fits in memory, but a stray pointer write in the application can then damage the
 *      database, and the file may be extended to the full map size. Nested transactions are not
 *      available. All processes using an environment should agree on this flag; mixing them
 *      weakens the durability guarantees of #mdb_env_sync().
 *  <li>#MDB_NOMETASYNC: at commit, flush the data pages but not the meta page that makes them
 *      current. The meta page reaches the disk with the next commit's flush, the next
 *      #mdb_env_sync() or whenever the OS writes it back. Durability: a system crash (not an
 *      application crash) may undo the last transaction, but the database stays intact; the
 *      guarantees are atomicity, consistency and isolation, without durability of the last
 *      commit. May be changed with #mdb_env_set_flags().
 *  <li>#MDB_NOSYNC: at commit, do not flush anything; the OS writes the pages back when it
 *      chooses or when #mdb_env_sync() is called. Durability: a system crash may undo any number
 *      of the latest transactions. If the filesystem keeps writes in order and #MDB_WRITEMAP is
 *      not used, the database stays intact (atomic, consistent, isolated, not durable);
 *      otherwise a system crash can leave it damaged. With #MDB_WRITEMAP nothing tells the OS
 *      when to write, so prefer #MDB_MAPASYNC there. May be changed with #mdb_env_set_flags().
 *  <li>#MDB_MAPASYNC: with #MDB_WRITEMAP, start the flush of the map at commit without waiting
 *      for it. Durability as for #MDB_NOSYNC: a system crash may damage the database or lose the
 *      latest transactions; #mdb_env_sync() restores the guarantee up to the next commit. May be
 *      changed with #mdb_env_set_flags().
 *  <li>#MDB_NOTLS: a read-only transaction owns its reader slot rather than storing it in the
 *      thread, so a thread may hold several read-only transactions, a reset read-only
 *      transaction keeps its slot, and a read-only transaction may move between threads if the
 *      application serialises its use. Needed when many user-level threads share an OS thread;
 *      such applications must still keep each write transaction in one OS thread.
 *  <li>#MDB_NOLOCK: use no locks at all, neither the writer mutex nor reader slots. The
 *      application must then guarantee one writer at a time and that no reader still uses a
 *      snapshot older than the writer's start; the simplest way is to let no reader run while a
 *      writer is active.
 *  <li>#MDB_NORDAHEAD: tell the OS that access is random so that it does not read ahead. Helps
 *      random reads in a database larger than memory. No effect on Windows.
 *  <li>#MDB_NOMEMINIT: do not zero the heap buffers in which new pages are built before writing
 *      them; unused parts of a page then carry whatever the heap held, which may include data of
 *      unrelated code (and secrets) and makes memory checkers report uninitialised bytes. Saves a
 *      little time. Irrelevant with #MDB_WRITEMAP. Space obtained with #MDB_RESERVE is never
 *      zeroed anyway. May be changed with #mdb_env_set_flags().
 *  </ul>
 *  @param[in] mode Permission bits for created files (subject to the umask). Ignored on Windows.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_VERSION_MISMATCH: the files were written by an incompatible version.
 *  <li>#MDB_INVALID: the data file is not an LMDB file or has no valid meta page.
 *  <li>ENOENT: the directory (or, with #MDB_RDONLY, the files) does not exist.
 *  <li>EACCES: the files cannot be opened with the needed access.
 *  <li>EAGAIN: another process holds a lock that prevents opening.
 *  <li>EINVAL: an unknown flag, or the handle was already opened.
 *  <li>ENOMEM, or another errno value from the system calls involved.
 *  </ul>
 */
int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode);

/** @brief Copy the environment's current snapshot to a new environment directory.
 *
 *  Same as #mdb_env_copy2() with flags 0.
 *  @param[in] env An open environment.
 *  @param[in] path An existing, writable, empty directory (with #MDB_NOSUBDIR set on `env`: the
 *  name of the file to create). No lock file is written; it is created when the copy is opened.
 *  @return 0, or an errno value from creating or writing the copy.
 */
int mdb_env_copy(MDB_env *env, const char *path);

/** @brief Write a copy of the environment's current snapshot to an open file descriptor.
 *
 *  Same as #mdb_env_copyfd2() with flags 0.
 *  @param[in] env An open environment.
 *  @param[in] fd A descriptor open for writing (a file, pipe or socket).
 *  @return 0, or an errno value from writing.
 */
int mdb_env_copyfd(MDB_env *env, mdb_filehandle_t fd);

/** @brief Copy the environment's current snapshot to a new environment directory, with options.
 *
 *  The copy reads through a read-only transaction, so it sees one consistent snapshot while
 *  writers continue, and, like any long reader, it keeps pages from being reused while it runs
 *  (see @ref caveats_sec). Use it for hot backups.
 *  @param[in] env An open environment.
 *  @param[in] path An existing, writable, empty directory (see #mdb_env_copy()).
 *  @param[in] flags 0, or #MDB_CP_COMPACT: write only the pages in use, renumbered without gaps,
 *  and an empty free list. Slower and uses more CPU, but the copy can be much smaller. It fails
 *  if the environment has lost track of pages (a page leak).
 *  @return 0, or an errno value from creating or writing the copy.
 */
int mdb_env_copy2(MDB_env *env, const char *path, unsigned int flags);

/** @brief Write a copy of the environment's current snapshot to a descriptor, with options.
 *
 *  See #mdb_env_copy2(); the same remarks about long readers apply.
 *  @param[in] env An open environment.
 *  @param[in] fd A descriptor open for writing.
 *  @param[in] flags 0 or #MDB_CP_COMPACT.
 *  @return 0, or an errno value from writing.
 */
int mdb_env_copyfd2(MDB_env *env, mdb_filehandle_t fd, unsigned int flags);

/** @brief Statistics of the unnamed database, as of the last commit.
 *
 *  @param[in] env An open environment.
 *  @param[out] stat Receives the statistics.
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_stat(MDB_env *env, MDB_stat *stat);

/** @brief Map size, last page, last transaction id and reader-table facts of the environment.
 *
 *  @param[in] env An open environment.
 *  @param[out] stat Receives the information.
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_info(MDB_env *env, MDB_envinfo *stat);

/** @brief Flush committed data to disk.
 *
 *  A commit normally flushes by itself; this call matters when #MDB_NOSYNC, #MDB_NOMETASYNC or
 *  #MDB_MAPASYNC postponed the flush. After it returns 0, every transaction committed before the
 *  call survives a system crash.
 *  @param[in] env An open environment, not #MDB_RDONLY.
 *  @param[in] force Non-zero: flush and wait, whatever the flags say. Zero: follow the flags,
 *  i.e. do nothing under #MDB_NOSYNC and flush asynchronously under #MDB_MAPASYNC.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>EACCES: the environment is read-only.
 *  <li>EINVAL: a bad argument.
 *  <li>EIO: the flush failed; the data may not be on disk.
 *  </ul>
 */
int mdb_env_sync(MDB_env *env, int force);

/** @brief Close the environment: unmap it, close its files and free the handle.
 *
 *  Every transaction and cursor of the environment must have ended or been closed before, and
 *  no other thread may use the environment during or after the call. Using any of its handles
 *  afterwards is undefined (it typically crashes). The reader slots of this process are released.
 *  @param[in] env A handle from #mdb_env_create(), open or not.
 */
void mdb_env_close(MDB_env *env);

/** @brief Turn run-time-changeable environment flags on or off.
 *
 *  Only #MDB_NOSYNC, #MDB_NOMETASYNC, #MDB_MAPASYNC and #MDB_NOMEMINIT may be changed; their
 *  durability meaning is described under #mdb_env_open(). Changing flags while another thread
 *  changes them or commits gives unspecified results.
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[in] flags The flags to change, ORed together.
 *  @param[in] onoff Non-zero to set them, zero to clear them.
 *  @return 0, or EINVAL if `flags` has a bit that cannot be changed.
 */
int mdb_env_set_flags(MDB_env *env, unsigned int flags, int onoff);

/** @brief Read the environment flags in effect.
 *
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[out] flags Receives the flags (the environment flags above; internal bits are hidden).
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_get_flags(MDB_env *env, unsigned int *flags);

/** @brief The path given to #mdb_env_open().
 *
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[out] path Receives the library's own copy of the string, valid until #mdb_env_close();
 *  do not modify it. NULL if the environment was never opened.
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_get_path(MDB_env *env, const char **path);

/** @brief The descriptor of the environment's data file.
 *
 *  Meant for a child created by fork() that wants to close it before exec(); the library's
 *  descriptors are all opened close-on-exec anyway. Do not read, write, lock or close it
 *  otherwise: closing any descriptor of the file releases the process's record locks on it.
 *  @param[in] env An open environment.
 *  @param[out] fd Receives the descriptor (-1 if the environment is not open).
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_get_fd(MDB_env *env, mdb_filehandle_t *fd);

/** @brief Set the size of the memory map, which is also the largest size the data file may reach.
 *
 *  Choose it generously: reserving address space costs nothing. Call it between
 *  #mdb_env_create() and #mdb_env_open(), or later while this process has no active transaction
 *  (the library refuses only while a write transaction is active; with a read-only one active
 *  the result is undefined). The default is 1048576 bytes (1 MiB), what liblmdb 0.9 uses (its
 *  header says 10485760, which its code does not do). Use a multiple of the OS page size.
 *
 *  A new size applies in this process at once; other processes learn it when this process next
 *  commits a write transaction, and only increases are recorded in the file. A size smaller than
 *  the space in use is silently raised to that space. When another process has grown the data
 *  beyond this process's map, #mdb_txn_begin() returns #MDB_MAP_RESIZED; call this function with
 *  size 0 to adopt the size recorded in the file, then begin again.
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[in] size The map size in bytes, or 0 to adopt the current size from the file.
 *  @return 0 on success, or EINVAL: a write transaction of this environment is active, or a bad
 *  argument. Other errno values if remapping fails.
 */
int mdb_env_set_mapsize(MDB_env *env, size_t size);

/** @brief Set the number of reader slots in the lock file.
 *
 *  Each concurrently active read-only transaction needs a slot: per thread that has ever read
 *  (until the environment closes or the thread exits), or per transaction handle with
 *  #MDB_NOTLS. The default is 126, which with the lock header fills 8 KiB. The first process to
 *  open the environment decides the value for all. Only between #mdb_env_create() and
 *  #mdb_env_open().
 *  @param[in] env A handle from #mdb_env_create(), not yet opened.
 *  @param[in] readers The number of slots (at least 1).
 *  @return 0, or EINVAL if the environment is already open or `readers` is 0.
 */
int mdb_env_set_maxreaders(MDB_env *env, unsigned int readers);

/** @brief Read the number of reader slots.
 *
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[out] readers Receives the number of slots.
 *  @return 0, or EINVAL if an argument is NULL.
 */
int mdb_env_get_maxreaders(MDB_env *env, unsigned int *readers);

/** @brief Set how many named databases may be open at once.
 *
 *  Needed only to use named databases: the default allows none (only the unnamed one). Each
 *  allowed database costs a few words per transaction and #mdb_dbi_open() searches the open
 *  ones linearly, so keep it moderate. Only between #mdb_env_create() and #mdb_env_open().
 *  @param[in] env A handle from #mdb_env_create(), not yet opened.
 *  @param[in] dbs The number of named databases.
 *  @return 0, or EINVAL if the environment is already open.
 */
int mdb_env_set_maxdbs(MDB_env *env, MDB_dbi dbs);

/** @brief The largest key (and #MDB_DUPSORT data item) that can be written, in bytes.
 *
 *  511 for LMDB 0.9 and for Aspen, whatever the page size, so that files stay interchangeable.
 *  @param[in] env A handle from #mdb_env_create().
 *  @return The limit in bytes.
 */
int mdb_env_get_maxkeysize(MDB_env *env);

/** @brief Attach an application pointer to the environment.
 *
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[in] ctx Any pointer; the library only stores it.
 *  @return 0, or EINVAL if `env` is NULL.
 */
int mdb_env_set_userctx(MDB_env *env, void *ctx);

/** @brief The pointer given to #mdb_env_set_userctx().
 *
 *  @param[in] env A handle from #mdb_env_create().
 *  @return The pointer, or NULL if none was set or `env` is NULL.
 */
void *mdb_env_get_userctx(MDB_env *env);

/** @brief A function called when the library detects a broken internal invariant, before it
 *  reports the failure and aborts the process.
 *
 *  @param[in] env The environment concerned.
 *  @param[in] msg A description of the failed check, without a trailing newline.
 */
typedef void MDB_assert_func(MDB_env *env, const char *msg);

/** @brief Install (or, with NULL, remove) the invariant-failure callback of the environment.
 *
 *  A stop-gap inherited from LMDB for programs that want to log before an abort. Builds without
 *  internal assertions never call it. Aspen reports damaged files as #MDB_CORRUPTED or
 *  #MDB_PAGE_NOTFOUND return values rather than by asserting.
 *  @param[in] env A handle from #mdb_env_create().
 *  @param[in] func The callback, or NULL.
 *  @return 0, or EINVAL if `env` is NULL.
 */
int mdb_env_set_assert(MDB_env *env, MDB_assert_func *func);

/** @brief Begin a transaction.
 *
 *  A read-only transaction takes a reader slot and sees the last snapshot committed before it
 *  began, however long it lives. A read-write transaction first waits for the writer lock (so
 *  at most one is active in all processes together) and ends with #mdb_txn_commit() or
 *  #mdb_txn_abort(); until it commits nobody else sees its changes.
 *
 *  A transaction and its cursors belong to one thread, and a thread may have one transaction at
 *  a time (several read-only ones with #MDB_NOTLS). Cursors cannot move between transactions
 *  except by #mdb_cursor_renew().
 *  @param[in] env An open environment.
 *  @param[in] parent NULL, or a read-write transaction to nest the new one in. A nested (child)
 *  transaction sees its parent's uncommitted changes; committing it hands its changes to the
 *  parent, aborting it discards only its own changes. Children can be nested to any depth. While
 *  a transaction has an active child, it and its cursors accept no call other than
 *  #mdb_txn_commit() and #mdb_txn_abort() (which end the child first). Not available with
 *  #MDB_WRITEMAP.
 *  @param[in] flags 0, or #MDB_RDONLY for a read-only transaction (which cannot have a parent).
 *  @param[out] txn Receives the new transaction.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_PANIC: the environment hit a fatal error earlier and must be closed.
 *  <li>#MDB_MAP_RESIZED: another process grew the data beyond this process's map; see
 *      #mdb_env_set_mapsize().
 *  <li>#MDB_READERS_FULL: a read-only transaction needs a slot and none is free; see
 *      #mdb_env_set_maxreaders() and #mdb_reader_check().
 *  <li>#MDB_BAD_RSLOT: the thread already has a read-only transaction (without #MDB_NOTLS).
 *  <li>#MDB_BAD_TXN: `parent` has an active child or has failed, or the environment uses
 *      #MDB_WRITEMAP (no nested transactions).
 *  <li>EACCES: a read-write transaction in a #MDB_RDONLY environment.
 *  <li>EINVAL: a bad argument, e.g. a read-only `parent`.
 *  <li>ENOMEM: out of memory.
 *  </ul>
 */
int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn);

/** @brief The environment a transaction belongs to.
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @return The environment, or NULL if `txn` is NULL.
 */
MDB_env *mdb_txn_env(MDB_txn *txn);

/** @brief The id of a transaction.
 *
 *  A read-only transaction reports the id of the snapshot it reads, so concurrent readers often
 *  share an id; a read-write transaction reports the id it will commit as (last committed + 1).
 *  @param[in] txn An active transaction from #mdb_txn_begin().
 *  @return The id; 0 if `txn` is NULL. Meaningless for a reset transaction.
 */
size_t mdb_txn_id(MDB_txn *txn);

/** @brief Commit a transaction and free its handle.
 *
 *  For a read-write top-level transaction: write its changes, make them durable as the
 *  environment flags allow (see #mdb_env_open()), and make them visible to transactions that
 *  begin afterwards. For a child: hand its changes to the parent. For a read-only transaction:
 *  release the snapshot, keeping any database handles it opened.
 *
 *  The handle is freed whatever the result; if the commit fails the transaction is aborted. The
 *  cursors of a read-write transaction are closed with it; those of a read-only transaction
 *  remain and may be renewed (#mdb_cursor_renew()) or must be closed.
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_BAD_TXN: the transaction had failed earlier; nothing was written. If it was a
 *      child, its parent is marked failed too.
 *  <li>#MDB_PANIC: writing the meta page failed; the environment must be closed.
 *  <li>EINVAL: a bad argument.
 *  <li>ENOSPC: the disk is full.
 *  <li>EIO: a write or flush failed.
 *  <li>ENOMEM: out of memory.
 *  </ul>
 */
int mdb_txn_commit(MDB_txn *txn);

/** @brief Discard a transaction's changes and free its handle.
 *
 *  Aborting a parent aborts its active children first. Database handles opened in the
 *  transaction are closed. The cursors of a read-write transaction are closed with it; those of
 *  a read-only transaction remain and may be renewed or must be closed.
 *  @param[in] txn A transaction from #mdb_txn_begin().
 */
void mdb_txn_abort(MDB_txn *txn);

/** @brief End a read-only transaction but keep its handle for #mdb_txn_renew().
 *
 *  The snapshot is released, so the pages it pinned can be reused, but the handle and (with
 *  #MDB_NOTLS) its reader slot are kept, which makes renewing cheaper than beginning anew.
 *  Cursors of the transaction may not be used until renewed with #mdb_cursor_renew(). A reset
 *  handle is discarded with #mdb_txn_abort(). Calling it on a read-write transaction has no
 *  effect.
 *  @param[in] txn A read-only transaction from #mdb_txn_begin().
 */
void mdb_txn_reset(MDB_txn *txn);

/** @brief Start a reset read-only transaction again, on the newest committed snapshot.
 *
 *  @param[in] txn A read-only transaction reset with #mdb_txn_reset().
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_PANIC: the environment hit a fatal error and must be closed.
 *  <li>#MDB_READERS_FULL: no reader slot is free.
 *  <li>EINVAL: `txn` is not a reset read-only transaction.
 *  </ul>
 */
int mdb_txn_renew(MDB_txn *txn);

/** Old name of #mdb_dbi_open(), kept for programs written for LMDB 0.9.4 and earlier. */
#define mdb_open(txn, name, flags, dbi) mdb_dbi_open(txn, name, flags, dbi)
/** Old name of #mdb_dbi_close(), kept for programs written for LMDB 0.9.4 and earlier. */
#define mdb_close(env, dbi) mdb_dbi_close(env, dbi)

/** @brief Open a database of the environment and return its handle.
 *
 *  A handle names a database by name and flags; the database itself is a tree in the file.
 *  Opening the same name again returns the same handle. A handle opened in a transaction is
 *  private to it until it commits; it then belongs to the environment and is valid in every
 *  later transaction. If the transaction aborts, the handle is closed.
 *
 *  For a database that exists, the flags stored in it are used and the persistent flags given
 *  here are not checked against them. For the unnamed database, persistent flags given here are
 *  added to the stored ones and recorded at the next commit.
 *
 *  Handles are opened by one transaction at a time: a process must not open handles from two
 *  transactions concurrently, and the transaction that opens one must end before another
 *  transaction of the process opens another.
 *
 *  Named databases need #mdb_env_set_maxdbs() before #mdb_env_open(). Their names are keys of
 *  the unnamed database, which can be read like other keys but not written.
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] name The name of the database (a NUL-terminated string, 1 to 511 bytes), or NULL
 *  for the unnamed database.
 *  @param[in] flags 0, or a bitwise OR of:
 *  <ul>
 *  <li>#MDB_REVERSEKEY: keys compare as byte strings from their last byte to their first,
 *      e.g. for domain names stored in their usual order. The default compares from the first
 *      byte; in both, a key that is a prefix of another sorts first.
 *  <li>#MDB_DUPSORT: each key may hold several data items, sorted and without repetition. The
 *      default is one data item per key.
 *  <li>#MDB_INTEGERKEY: keys are unsigned binary integers in the machine's byte order, all of
 *      the same type (`unsigned int` or `size_t`), sorted by value.
 *  <li>#MDB_DUPFIXED: with #MDB_DUPSORT, all data items have the same size, which lets them be
 *      packed tightly and enables #MDB_GET_MULTIPLE, #MDB_NEXT_MULTIPLE, #MDB_PREV_MULTIPLE and
 *      #MDB_MULTIPLE.
 *  <li>#MDB_INTEGERDUP: with #MDB_DUPSORT, data items are unsigned binary integers, as keys are
 *      with #MDB_INTEGERKEY.
 *  <li>#MDB_REVERSEDUP: with #MDB_DUPSORT, data items compare from their last byte.
 *  <li>#MDB_CREATE: create the database if it does not exist. Not allowed in a read-only
 *      transaction or environment.
 *  </ul>
 *  @param[out] dbi Receives the handle.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_NOTFOUND: the named database does not exist and #MDB_CREATE was not given.
 *  <li>#MDB_DBS_FULL: #mdb_env_set_maxdbs() handles are already open.
 *  <li>#MDB_INCOMPATIBLE: the name is a plain key of the unnamed database, or the unnamed
 *      database does not allow names (#MDB_DUPSORT or #MDB_INTEGERKEY).
 *  <li>#MDB_BAD_VALSIZE: the name is too long.
 *  <li>EACCES: #MDB_CREATE in a read-only transaction.
 *  <li>EINVAL: a bad argument or an unknown flag.
 *  </ul>
 */
int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi);

/** @brief Statistics of a database as this transaction sees it.
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[out] stat Receives the statistics.
 *  @return 0, #MDB_BAD_TXN if the transaction has failed, #MDB_BAD_DBI if the database changed
 *  under the handle, or EINVAL for a bad argument or handle.
 */
int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat);

/** @brief The flags of a database (the persistent database flags given to #mdb_dbi_open()).
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[out] flags Receives the flags.
 *  @return 0, or EINVAL for a bad argument or handle.
 */
int mdb_dbi_flags(MDB_txn *txn, MDB_dbi dbi, unsigned int *flags);

/** @brief Close a database handle so that its number can be reused. Rarely needed; careful.
 *
 *  Nothing protects this call against concurrent use: close a handle only from one thread, when
 *  no transaction or cursor will use it again, and never while a transaction that has modified
 *  the database is still active (that transaction could then damage the database or fail, e.g.
 *  with #MDB_BAD_VALSIZE, because the name is gone). Raising #mdb_env_set_maxdbs() is usually
 *  the better answer to running out of handles.
 *  @param[in] env The environment.
 *  @param[in] dbi A handle from #mdb_dbi_open(); closing the same handle twice is undefined.
 */
void mdb_dbi_close(MDB_env *env, MDB_dbi dbi);

/** @brief Empty a database, or delete it and close its handle.
 *
 *  The pages of the database are freed at commit. Deleting closes the handle at once, with the
 *  restrictions of #mdb_dbi_close().
 *  @param[in] txn A read-write transaction.
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] del 0 to remove every item but keep the database, 1 to delete the named database
 *  from the environment and close the handle. The unnamed database can only be emptied.
 *  @return 0, #MDB_BAD_TXN if the transaction has failed, EACCES in a read-only transaction, or
 *  EINVAL for a bad argument or handle.
 */
int mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);

/** @brief Replace the key comparison of a database.
 *
 *  Without it, keys compare as byte strings (modified by #MDB_REVERSEKEY or #MDB_INTEGERKEY):
 *  byte by byte, a shorter key that is a prefix of a longer one sorting first. Set it right after
 *  opening the handle, before any access, in every transaction that opens the handle, in every
 *  program that uses the database: a database read or written with a different order is
 *  damaged. Tools such as mdb_dump know nothing of it (see mdb_load's append mode).
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] cmp The comparison.
 *  @return 0, or EINVAL for a bad argument or handle.
 */
int mdb_set_compare(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp);

/** @brief Replace the comparison of the duplicate data items of an #MDB_DUPSORT database.
 *
 *  Without it, data items compare as byte strings (modified by #MDB_REVERSEDUP or
 *  #MDB_INTEGERDUP). Has no effect on a database without #MDB_DUPSORT. The same rules as for
 *  #mdb_set_compare() apply: set it before any access, the same everywhere.
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] cmp The comparison.
 *  @return 0, or EINVAL for a bad argument or handle.
 */
int mdb_set_dupsort(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp);

/** @brief Set the relocation callback of a database in a #MDB_FIXEDMAP environment.
 *
 *  Accepted and stored, never called: relocation is not implemented (see #MDB_rel_func).
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] rel The callback.
 *  @return 0, or EINVAL for a bad argument or handle.
 */
int mdb_set_relfunc(MDB_txn *txn, MDB_dbi dbi, MDB_rel_func *rel);

/** @brief Set the pointer passed as `relctx` to the relocation callback (see #mdb_set_relfunc()).
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] ctx Any pointer; the library only stores it.
 *  @return 0, or EINVAL for a bad argument or handle.
 */
int mdb_set_relctx(MDB_txn *txn, MDB_dbi dbi, void *ctx);

/** @brief Look up a key.
 *
 *  In an #MDB_DUPSORT database the first (smallest) data item of the key is returned; use a
 *  cursor to see the others. The returned memory belongs to the library (see #MDB_val): do not
 *  modify it, and do not use it after the next write in this transaction or after the
 *  transaction ends.
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] key The key to look up.
 *  @param[out] data Receives the data item.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_NOTFOUND: the key is not in the database.
 *  <li>#MDB_BAD_VALSIZE: an empty key.
 *  <li>#MDB_BAD_TXN: the transaction has failed or has an active child.
 *  <li>EINVAL: a bad argument or handle.
 *  </ul>
 */
int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);

/** @brief Store a key/data pair.
 *
 *  Without flags, an existing data item of the key is replaced (or, in an #MDB_DUPSORT
 *  database, the data item is added to the key's set).
 *  @param[in] txn A read-write transaction.
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] key The key, 1 to #mdb_env_get_maxkeysize() bytes.
 *  @param[in,out] data The data item. On #MDB_KEYEXIST with #MDB_NOOVERWRITE it receives the
 *  item already stored; with #MDB_RESERVE it receives the address of the reserved space.
 *  @param[in] flags 0, or a bitwise OR of:
 *  <ul>
 *  <li>#MDB_NODUPDATA: (#MDB_DUPSORT only) add the pair only if this very pair is absent;
 *      otherwise return #MDB_KEYEXIST.
 *  <li>#MDB_NOOVERWRITE: add the pair only if the key is absent; otherwise return #MDB_KEYEXIST
 *      and point `data` at the stored item (its first data item, for #MDB_DUPSORT).
 *  <li>#MDB_RESERVE: reserve `data->mv_size` bytes and return their address in `data->mv_data`
 *      instead of copying. The caller must write all of it before the next write in the
 *      transaction and before the transaction ends; the library writes whatever is there at
 *      commit, without zeroing it first. Not for #MDB_DUPSORT databases.
 *  <li>#MDB_APPEND: the key sorts after every key present. The pair is added at the end of the
 *      tree without a search, and full pages are not split in half but left full, which makes
 *      bulk loads of sorted keys fast and compact. A key that does not sort last gives
 *      #MDB_KEYEXIST.
 *  <li>#MDB_APPENDDUP: as #MDB_APPEND, for a data item that sorts after the key's other data
 *      items (#MDB_DUPSORT only).
 *  </ul>
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_KEYEXIST: refused because of #MDB_NOOVERWRITE, #MDB_NODUPDATA, #MDB_APPEND or
 *      #MDB_APPENDDUP; the transaction remains usable.
 *  <li>#MDB_MAP_FULL: the map size is reached; the transaction can only be aborted.
 *  <li>#MDB_TXN_FULL: the transaction dirtied too many pages; it can only be aborted.
 *  <li>#MDB_BAD_VALSIZE: an empty or too long key, or a data item too long for #MDB_DUPSORT.
 *  <li>#MDB_INCOMPATIBLE: the key names a database (in the unnamed database).
 *  <li>#MDB_BAD_TXN: the transaction has failed or has an active child.
 *  <li>EACCES: a read-only transaction.
 *  <li>EINVAL: a bad argument, handle or flag.
 *  </ul>
 */
int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags);

/** @brief Delete a key, or one data item of a key.
 *
 *  Without #MDB_DUPSORT, `data` is ignored and the key is removed. With #MDB_DUPSORT, a NULL
 *  `data` removes the key with all its data items, and a non-NULL `data` removes only that
 *  item.
 *  @param[in] txn A read-write transaction.
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] key The key to delete.
 *  @param[in] data NULL, or the data item to delete (#MDB_DUPSORT).
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_NOTFOUND: no such key or key/data pair.
 *  <li>#MDB_BAD_VALSIZE: an empty or too long key.
 *  <li>#MDB_INCOMPATIBLE: the key names a database (in the unnamed database); the transaction
 *      has failed.
 *  <li>#MDB_BAD_TXN: the transaction has failed or has an active child.
 *  <li>EACCES: a read-only transaction.
 *  <li>EINVAL: a bad argument or handle.
 *  </ul>
 */
int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);

/** @brief Open a cursor on a database in a transaction.
 *
 *  The cursor starts unset. It can be used until its transaction ends, and never after its
 *  database handle is closed. A cursor of a read-write transaction may be closed earlier and is
 *  otherwise closed when the transaction ends. A cursor of a read-only transaction must be
 *  closed explicitly (before or after the transaction ends) and can meanwhile be moved to
 *  another read-only transaction with #mdb_cursor_renew().
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[out] cursor Receives the cursor.
 *  @return 0 on success, #MDB_BAD_TXN if the transaction has failed or has an active child,
 *  ENOMEM, or EINVAL for a bad argument or handle.
 */
int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor);

/** @brief Close a cursor and free it.
 *
 *  A cursor of a read-write transaction must be closed while that transaction is still active
 *  (or left to be closed by it); one of a read-only transaction may be closed at any time.
 *  @param[in] cursor A cursor from #mdb_cursor_open(), or NULL.
 */
void mdb_cursor_close(MDB_cursor *cursor);

/** @brief Attach a read-only transaction's cursor to another read-only transaction.
 *
 *  Saves freeing and allocating cursors in programs that run many short readers. The cursor
 *  keeps its database handle and starts unset. The cursor's previous transaction may be active
 *  or finished.
 *  @param[in] txn An active read-only transaction.
 *  @param[in] cursor A cursor opened in a read-only transaction.
 *  @return 0, or EINVAL: `txn` is read-write, the cursor belongs to a read-write transaction, or
 *  a bad argument.
 */
int mdb_cursor_renew(MDB_txn *txn, MDB_cursor *cursor);

/** @brief The transaction of a cursor.
 *
 *  @param[in] cursor A cursor from #mdb_cursor_open().
 *  @return The transaction, or NULL if `cursor` is NULL.
 */
MDB_txn *mdb_cursor_txn(MDB_cursor *cursor);

/** @brief The database handle of a cursor.
 *
 *  @param[in] cursor A cursor from #mdb_cursor_open().
 *  @return The handle.
 */
MDB_dbi mdb_cursor_dbi(MDB_cursor *cursor);

/** @brief Move a cursor and read the item it then stands on.
 *
 *  `op` says how to move; see #MDB_cursor_op. On success `key` and `data` receive the item's key
 *  and data (except that #MDB_SET leaves `key` as given). The returned memory obeys the same
 *  rules as for #mdb_get(). After #mdb_cursor_del() the cursor stands on the item that followed
 *  the deleted one.
 *  @param[in] cursor A cursor from #mdb_cursor_open().
 *  @param[in,out] key Input key for #MDB_SET, #MDB_SET_KEY, #MDB_SET_RANGE, #MDB_GET_BOTH and
 *  #MDB_GET_BOTH_RANGE; receives the key otherwise. May be NULL for some operations.
 *  @param[in,out] data Input data for #MDB_GET_BOTH and #MDB_GET_BOTH_RANGE; receives the data.
 *  @param[in] op The operation.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_NOTFOUND: no such key, or the move went past the first or last item. The
 *      cursor's position afterwards depends on the operation.
 *  <li>#MDB_BAD_VALSIZE: an empty input key.
 *  <li>#MDB_INCOMPATIBLE: some duplicate-only operations (#MDB_FIRST_DUP, #MDB_LAST_DUP, the
 *      MULTIPLE ones) on a database without #MDB_DUPSORT (or #MDB_DUPFIXED).
 *  <li>#MDB_BAD_TXN: the transaction has failed or has an active child.
 *  <li>EINVAL: a bad argument, an unknown operation, or an operation that needs a position
 *      (#MDB_GET_CURRENT, the DUP operations) on an unset cursor.
 *  </ul>
 */
int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op);

/** @brief Store a key/data pair through a cursor, which then stands on the stored item.
 *
 *  On failure the cursor usually stands near the place of the attempted write.
 *  @param[in] cursor A cursor of a read-write transaction.
 *  @param[in] key The key.
 *  @param[in,out] data The data item (see #mdb_put() for what it receives; with #MDB_MULTIPLE an
 *  array of two #MDB_val).
 *  @param[in] flags 0, or one of:
 *  <ul>
 *  <li>#MDB_CURRENT: replace the data of the item the cursor stands on. `key` must be given and
 *      equal to the current key. In an #MDB_DUPSORT database the new data item must sort at the
 *      same place as the old one. Cheapest when the new data has the old size; otherwise the item
 *      is deleted and inserted again.
 *  <li>#MDB_NODUPDATA, #MDB_NOOVERWRITE, #MDB_RESERVE, #MDB_APPEND, #MDB_APPENDDUP: as for
 *      #mdb_put() (#MDB_APPEND compares only with the last key of the database).
 *  <li>#MDB_MULTIPLE: (#MDB_DUPFIXED only) store several data items of one key in a single call.
 *      `data` is an array of two #MDB_val: `data[0].mv_size` is the size of one item and
 *      `data[0].mv_data` the address of the first of them, laid end to end; `data[1].mv_size` is
 *      the number of items, and receives the number actually stored. `data[1].mv_data` is unused.
 *  </ul>
 *  @return 0 on success, or the codes of #mdb_put(), plus EINVAL for #MDB_CURRENT on an unset
 *  cursor.
 */
int mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data, unsigned int flags);

/** @brief Delete the item the cursor stands on.
 *
 *  The cursor stays usable and moves to the item that followed: both #MDB_GET_CURRENT and
 *  #MDB_NEXT return that item next (or #MDB_NOTFOUND if the deleted item was the last).
 *  @param[in] cursor A positioned cursor of a read-write transaction.
 *  @param[in] flags 0, or #MDB_NODUPDATA (#MDB_DUPSORT only) to delete every data item of the
 *  current key.
 *  @return 0 on success, or:
 *  <ul>
 *  <li>#MDB_NOTFOUND: the cursor stands past the last item (e.g. after deleting the last one).
 *  <li>#MDB_INCOMPATIBLE: the item names a database (in the unnamed database); the transaction
 *      has failed.
 *  <li>#MDB_BAD_TXN: the transaction has failed or has an active child.
 *  <li>EACCES: a read-only transaction.
 *  <li>EINVAL: an unset cursor or a bad argument.
 *  </ul>
 */
int mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);

/** @brief The number of data items of the key the cursor stands on (#MDB_DUPSORT only).
 *
 *  @param[in] cursor A positioned cursor on an #MDB_DUPSORT database.
 *  @param[out] countp Receives the count.
 *  @return 0, #MDB_INCOMPATIBLE if the database is not #MDB_DUPSORT, or EINVAL for an unset
 *  cursor or a bad argument.
 */
int mdb_cursor_count(MDB_cursor *cursor, size_t *countp);

/** @brief Compare two items as keys of a database (with its flags or #mdb_set_compare()).
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open().
 *  @param[in] a The first item.
 *  @param[in] b The second item.
 *  @return Negative if `a` sorts before `b`, 0 if they are equal, positive if after.
 */
int mdb_cmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b);

/** @brief Compare two items as duplicate data items of an #MDB_DUPSORT database.
 *
 *  @param[in] txn A transaction from #mdb_txn_begin().
 *  @param[in] dbi A handle from #mdb_dbi_open() of an #MDB_DUPSORT database; any other database
 *  is undefined behaviour in LMDB 0.9 (it has no data comparison).
 *  @param[in] a The first item.
 *  @param[in] b The second item.
 *  @return Negative if `a` sorts before `b`, 0 if they are equal, positive if after.
 */
int mdb_dcmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b);

/** @brief A sink for text produced by the library (#mdb_reader_list()).
 *
 *  @param[in] msg One line of text, including its newline.
 *  @param[in] ctx The pointer the caller passed along.
 *  @return 0 or more to continue, a negative value to stop with that value as the result.
 */
typedef int(MDB_msg_func)(const char *msg, void *ctx);

/** @brief Describe the reader table, one line per slot in use, through `func`.
 *
 *  The lines give the process id, thread id and snapshot id of each active reader, after a
 *  heading line; "(no active readers)" if there are none.
 *  @param[in] env An open environment.
 *  @param[in] func The sink for the lines.
 *  @param[in] ctx Passed to `func` unchanged.
 *  @return 0 or more on success; a negative value returned by `func`; -1 for a bad argument.
 */
int mdb_reader_list(MDB_env *env, MDB_msg_func *func, void *ctx);

/** @brief Free the reader slots of processes that no longer exist.
 *
 *  Such slots pin old snapshots and make the file grow (see @ref caveats_sec). Cheap enough to
 *  call now and then, e.g. at start-up and after a child process has died.
 *  @param[in] env An open environment.
 *  @param[out] dead If not NULL, receives the number of slots freed.
 *  @return 0 on success, EINVAL for a bad argument, or an errno value from the lock file.
 */
int mdb_reader_check(MDB_env *env, int *dead);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* _LMDB_H_ */
