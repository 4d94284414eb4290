// Compile-time proof that <lmdb.h> is LMDB 0.9's C ABI as seen from C++: the same literal facts as
// abi_check.c (abi_expected.h), checked with static_assert and exact type identity, plus the C++-only
// promises: the header compiles as C++11 and C++20 and declares every function with C linkage.
//
// Nothing here runs. The object keeps a table of all 56 function addresses so that `nm` can show the
// symbols it refers to: the abi_cxx_linkage test checks that they are the plain C names, not mangled
// C++ names (which would mean a missing extern "C"). The object is never linked.
#include <lmdb.h>

#include <cstddef>
#include <sys/types.h>
#include <type_traits>

#include "abi_expected.h"

#if !defined(__LP64__)
#error "the expected layout in abi_expected.h is the LP64 one"
#endif

// Constants, error codes, flags and cursor operations.
#define ABI_CHECK_CONSTANT(name, value) static_assert((name) == (value), #name " == " #value);
ABI_CONSTANTS(ABI_CHECK_CONSTANT)

// Version macros, including the text of the version string.
static_assert(MDB_VERSION_PATCH == ABI_ASPEN_VERSION_PATCH, "Aspen's patch level");
static_assert(MDB_VERSION_FULL == MDB_VERINT(0, 9, ABI_ASPEN_VERSION_PATCH), "MDB_VERSION_FULL");
static_assert(std::is_same<decltype(MDB_VERSION_STRING), const char(&)[sizeof(MDB_VERSION_STRING)]>::value,
              "MDB_VERSION_STRING is a string literal");

namespace {

constexpr bool starts_with(const char *text, const char *prefix) {
  return *prefix == '\0' || (*text == *prefix && starts_with(text + 1, prefix + 1));
}
constexpr bool contains(const char *text, const char *part) {
  return *text != '\0' && (starts_with(text, part) || contains(text + 1, part));
}
static_assert(starts_with(MDB_VERSION_STRING, ABI_VERSION_PREFIX), "version string starts with LMDB 0.9.");
static_assert(contains(MDB_VERSION_STRING, "Aspen"), "version string names Aspen");
static_assert(contains(MDB_VERSION_STRING, MDB_VERSION_DATE), "version string holds the date");

}  // namespace

// Struct sizes, alignments, member offsets, member sizes and member types.
#define ABI_CHECK_LAYOUT(type, member_type, member, offset, size)                                 \
  static_assert(offsetof(type, member) == (offset), #type "." #member " offset");                 \
  static_assert(sizeof(type::member) == (size), #type "." #member " size");                        \
  static_assert(std::is_same<decltype(type::member), member_type>::value, #type "." #member " type");
ABI_LAYOUT(ABI_CHECK_LAYOUT)
#define ABI_CHECK_SIZE(type, size, align)                                                          \
  static_assert(sizeof(type) == (size), "sizeof " #type);                                          \
  static_assert(alignof(type) == (align), "alignof " #type);
ABI_SIZES(ABI_CHECK_SIZE)
static_assert(std::is_standard_layout<MDB_val>::value && std::is_trivial<MDB_val>::value, "MDB_val is POD");
static_assert(std::is_standard_layout<MDB_stat>::value && std::is_trivial<MDB_stat>::value, "MDB_stat is POD");
static_assert(std::is_standard_layout<MDB_envinfo>::value && std::is_trivial<MDB_envinfo>::value,
              "MDB_envinfo is POD");
static_assert(std::is_enum<MDB_cursor_op>::value, "MDB_cursor_op is an enum");

// Typedefs and callback types.
#define ABI_CHECK_TYPEDEF(name, type) static_assert(std::is_same<name, type>::value, #name " is " #type);
ABI_TYPEDEFS(ABI_CHECK_TYPEDEF)
#define ABI_CHECK_CALLBACK(name, ret, params)                                                      \
  static_assert(std::is_same<name, ret params>::value, #name " is " #ret #params);
ABI_CALLBACKS(ABI_CHECK_CALLBACK)

// Function signatures, exactly, and their count.
#define ABI_CHECK_SIGNATURE(ret, name, params)                                                     \
  static_assert(std::is_same<decltype(&name), ret(*) params>::value, #name " signature");
ABI_FUNCTIONS(ABI_CHECK_SIGNATURE)
#define ABI_COUNT_ONE(ret, name, params) +1
static_assert((0 ABI_FUNCTIONS(ABI_COUNT_ONE)) == ABI_FUNCTION_COUNT, "56 functions");

// The pre-0.9.5 names are macros that forward to the current functions.
static_assert(std::is_same<decltype(mdb_open(static_cast<MDB_txn *>(nullptr), "name", 0u,
                                             static_cast<MDB_dbi *>(nullptr))),
                           int>::value,
              "mdb_open forwards to mdb_dbi_open");
static_assert(std::is_same<decltype(mdb_close(static_cast<MDB_env *>(nullptr), 0u)), void>::value,
              "mdb_close forwards to mdb_dbi_close");

// Every function's address, so that the object refers to all 56 symbols by their linkage names.
#define ABI_FUNCTION_MEMBER(ret, name, params) ret(*name) params;
struct AbiFunctionTable {
  ABI_FUNCTIONS(ABI_FUNCTION_MEMBER)
};
#define ABI_FUNCTION_ADDRESS(ret, name, params) &name,
extern const AbiFunctionTable abi_function_table_cxx;
const AbiFunctionTable abi_function_table_cxx = {ABI_FUNCTIONS(ABI_FUNCTION_ADDRESS)};
