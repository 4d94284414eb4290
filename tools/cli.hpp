// What the `aspen` subcommands share (layer: tools): command-line parsing, usage and failure messages in
// the LMDB tools' words, and opening an environment.
//
// The LMDB-named commands must accept exactly what Debian's mdb_stat / mdb_dump / mdb_load / mdb_drop
// accept, including getopt's clustering ("-ff"), attached arguments ("-sname") and GNU argument permutation,
// so parsing goes through getopt(3) itself; this wrapper only collects the result. `--help` is recognised
// before getopt sees it. Not thread-safe (getopt keeps global state); one parse per process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aspen/aspen.hpp"

namespace aspen::tools {

struct ParsedArgs {
  std::string prog;                                 // argv[0], as usage and error messages print it
  std::map<char, int> counts;                       // how many times each option was given
  std::map<char, std::vector<std::string>> values;  // the arguments of each option that takes one
  std::vector<std::string> positional;              // operands, in order
  bool help = false;                                // --help was given
  bool ok = true;                                   // false: an unknown option or a missing argument (getopt said why)

  int count(char option) const;
  bool has(char option) const { return count(option) > 0; }
  // The option's (last) argument, or null when it was not given.
  const std::string* value(char option) const;
  // Every argument given to a repeatable option, in order.
  std::vector<std::string> all(char option) const;
};

// Parses argv with a getopt option string such as "Vaefnrs:".
ParsedArgs parse_args(int argc, char** argv, const char* spec);

// Prints "usage: PROG SYNOPSIS" to stderr and returns EXIT_FAILURE, as the LMDB tools do on bad arguments.
int usage(const std::string& prog, const char* synopsis);

// Prints the library's version string (-V) and returns 0.
int print_version();

// The text of an LMDB / errno code (mdb_strerror).
const char* error_text(int code);

// "NAME failed, error CODE TEXT" on stderr, the LMDB tools' report of a failed call; returns EXIT_FAILURE.
int report_failure(const char* call, int code);

// A native-endian u64 at a possibly unaligned address (free-list records, integer keys).
uint64_t read_u64(const std::byte* p);

// Calls fn(name, dbi) for each key of the main database that names a database, in key order, the way
// mdb_stat -a and mdb_dump -a find them: keys holding a NUL byte are skipped, and so are keys that do not open
// as a database (plain records). fn returns 0 to go on, or a code to stop with. `candidates` (if not null)
// counts the keys without NUL. Returns fn's code, a cursor error ("mdb_cursor_open failed" is printed), or 0.
int for_each_named_db(TxnRef& txn, Dbi main, const std::function<int(const std::string&, Dbi)>& fn, int* candidates);

// Room for named databases in tools that may open all of them: Aspen's API has no mdb_dbi_close, so where
// LMDB's tools close each database after use, these keep every handle open.
inline constexpr unsigned kManyDbs = 32767;

// Opens the environment at `path` with `flags` (EnvFlags) and room for `max_dbs` named databases, or
// reports "mdb_env_open failed, ..." and returns nothing.
std::optional<Env> open_env(const std::string& path, unsigned flags, unsigned max_dbs);

}  // namespace aspen::tools
