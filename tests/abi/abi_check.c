/* Compile-time proof that <lmdb.h> is LMDB 0.9's C ABI: every constant, enumerator, error code, struct
 * layout, typedef, callback type and function signature is checked against the literal values in
 * abi_expected.h. Nothing here runs: a wrong value fails the build.
 *
 * Built several times (tests/abi/CMakeLists.txt): as C11 with _Static_assert and _Generic, as pedantic C99
 * (a negative array size stands in for the assertion), and as C11 against Debian's own lmdb.h with
 * ABI_CHECK_UPSTREAM_HEADER defined, which proves that the literals themselves are LMDB's. The object is
 * never linked: it takes the address of every function only to have the compiler check its type. */
#include <lmdb.h>

#include <stddef.h>
#include <sys/types.h>

#include "abi_expected.h"

#if !defined(__LP64__)
#error "the expected layout in abi_expected.h is the LP64 one"
#endif

#ifdef ABI_CHECK_UPSTREAM_HEADER
#if MDB_VERSION_PATCH >= ABI_ASPEN_VERSION_PATCH
#error "expected Debian's lmdb.h here, found Aspen's include/lmdb.h on the include path"
#endif
#endif

/* ABI_ASSERT(cond): a file-scope assertion with a unique name per use. */
#define ABI_CAT2(a, b) a##b
#define ABI_CAT(a, b) ABI_CAT2(a, b)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define ABI_ASSERT(cond) _Static_assert(cond, #cond);
#define ABI_HAVE_C11 1
#else
#define ABI_ASSERT(cond) typedef char ABI_CAT(abi_assert_, __COUNTER__)[(cond) ? 1 : -1];
#endif

/* Constants, error codes, flags and cursor operations. */
#define ABI_CHECK_CONSTANT(name, value) ABI_ASSERT((name) == (value))
ABI_CONSTANTS(ABI_CHECK_CONSTANT)

/* Version macros. Aspen's header must report its own patch level; any 0.9 header packs it the same way. */
#ifdef ABI_CHECK_UPSTREAM_HEADER
ABI_ASSERT(MDB_VERSION_PATCH >= 14)
#else
ABI_ASSERT(MDB_VERSION_PATCH == ABI_ASPEN_VERSION_PATCH)
#endif
ABI_ASSERT(MDB_VERSION_FULL == MDB_VERINT(0, 9, MDB_VERSION_PATCH))
ABI_ASSERT(sizeof(MDB_VERSION_STRING) > sizeof(ABI_VERSION_PREFIX))
ABI_ASSERT(sizeof(MDB_VERSION_DATE) > 1)

/* Struct sizes, member offsets and member sizes. */
#define ABI_CHECK_LAYOUT(type, member_type, member, offset, size)                                 \
  ABI_ASSERT(offsetof(type, member) == (offset))                                                   \
  ABI_ASSERT(sizeof(((type *)0)->member) == (size))
ABI_LAYOUT(ABI_CHECK_LAYOUT)
#define ABI_CHECK_SIZE(type, size, align) ABI_ASSERT(sizeof(type) == (size))
ABI_SIZES(ABI_CHECK_SIZE)
#ifdef ABI_HAVE_C11
#define ABI_CHECK_ALIGN(type, size, align) ABI_ASSERT(_Alignof(type) == (align))
ABI_SIZES(ABI_CHECK_ALIGN)
#endif

/* The list really holds all 56 functions. */
#define ABI_COUNT_ONE(ret, name, params) +1
ABI_ASSERT((0 ABI_FUNCTIONS(ABI_COUNT_ONE)) == ABI_FUNCTION_COUNT)

/* Function signatures: initialising a pointer of the literal type with each function's address is a
 * constraint violation (an error under -pedantic-errors / -Werror) unless the declared type matches. */
#define ABI_FUNCTION_MEMBER(ret, name, params) ret(*name) params;
struct AbiFunctionTable {
  ABI_FUNCTIONS(ABI_FUNCTION_MEMBER)
};
#define ABI_FUNCTION_ADDRESS(ret, name, params) &name,
const struct AbiFunctionTable abi_function_table_c = {ABI_FUNCTIONS(ABI_FUNCTION_ADDRESS)};
ABI_ASSERT(sizeof(struct AbiFunctionTable) == ABI_FUNCTION_COUNT * sizeof(void (*)(void)))

#ifdef ABI_HAVE_C11
/* C11 also compares the types exactly, not just for assignment compatibility. */
#define ABI_CHECK_SIGNATURE(ret, name, params) ABI_ASSERT(_Generic(&name, ret(*) params : 1, default : 0))
ABI_FUNCTIONS(ABI_CHECK_SIGNATURE)
#define ABI_CHECK_TYPEDEF(name, type) ABI_ASSERT(_Generic((name *)0, type * : 1, default : 0))
ABI_TYPEDEFS(ABI_CHECK_TYPEDEF)
#define ABI_CHECK_CALLBACK(name, ret, params) ABI_ASSERT(_Generic((name *)0, ret(*) params : 1, default : 0))
ABI_CALLBACKS(ABI_CHECK_CALLBACK)
#define ABI_CHECK_MEMBER_TYPE(type, member_type, member, offset, size)                            \
  ABI_ASSERT(_Generic(&((type *)0)->member, member_type * : 1, default : 0))
ABI_LAYOUT(ABI_CHECK_MEMBER_TYPE)
#endif

/* Typedefs, callback types and member types, checked by pointer assignment (works in C99 too). */
#define ABI_TYPEDEF_POINTER(name, type) type *name##_is;
#define ABI_CALLBACK_POINTER(name, ret, params) ret(*name##_is) params;
#define ABI_MEMBER_POINTER(type, member_type, member, offset, size) member_type *type##_##member;
struct AbiTypeTable {
  ABI_TYPEDEFS(ABI_TYPEDEF_POINTER)
  ABI_CALLBACKS(ABI_CALLBACK_POINTER)
  ABI_LAYOUT(ABI_MEMBER_POINTER)
};
#define ABI_TYPEDEF_VALUE(name, type) (name *)0,
#define ABI_CALLBACK_VALUE(name, ret, params) (name *)0,
#define ABI_MEMBER_VALUE(type, member_type, member, offset, size) &((type *)0)->member,
void abi_check_types_c(struct AbiTypeTable *out);
void abi_check_types_c(struct AbiTypeTable *out) {
  struct AbiTypeTable table = {ABI_TYPEDEFS(ABI_TYPEDEF_VALUE) ABI_CALLBACKS(ABI_CALLBACK_VALUE)
                                   ABI_LAYOUT(ABI_MEMBER_VALUE)};
  *out = table;
}

/* The pre-0.9.5 names are macros that forward to the current functions. */
#if !defined(mdb_open) || !defined(mdb_close)
#error "mdb_open and mdb_close must be macros"
#endif
int abi_check_compat_macros_c(MDB_env *env, MDB_txn *txn, MDB_dbi *dbi);
int abi_check_compat_macros_c(MDB_env *env, MDB_txn *txn, MDB_dbi *dbi) {
  int rc = mdb_open(txn, "name", MDB_CREATE, dbi);
  mdb_close(env, *dbi);
  return rc;
}

/* The cursor operations are an enum type whose enumerators are usable as MDB_cursor_op values. */
MDB_cursor_op abi_check_cursor_op_c(void);
MDB_cursor_op abi_check_cursor_op_c(void) { return MDB_PREV_MULTIPLE; }
