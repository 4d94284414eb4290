// `aspen load` / mdb_load (layer: tools): databases from the mdb_dump text format, all in one transaction.
//
// The input is what mdb_dump writes: for each database a header up to HEADER=END, then one line per key and
// per value (each starting with a space) up to DATA=END; -T reads plain text instead (no header, a key line
// then a value line, printable escapes). Unlike LMDB's mdb_load, which commits every 100 records and stops
// silently on some malformed lines, everything is loaded in a single write transaction that is committed
// only after the whole input was read: a malformed input stops with "PROG: line N: why" on stderr and loads
// nothing. Header keywords, flags and the database-name rule (a section without database= goes on with the
// previous name) are mdb_load's.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "cli.hpp"
#include "escape.hpp"
#include "progress.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-V] [-a] [-f input] [-n] [-s name] [-N] [-T] dbpath";

constexpr const char* kHelp =
    "usage: aspen load [-V] [-a] [-f input] [-n] [-s name] [-N] [-T] dbpath\n"
    "Load databases from mdb_dump text (the output of `aspen dump` or mdb_dump) in one transaction:\n"
    "malformed input stops with its line number and loads nothing.\n"
    "  -V        print the library version and exit\n"
    "  -a        append: the input is sorted (MDB_APPEND), which loads faster\n"
    "  -f input  read input instead of stdin\n"
    "  -n        dbpath is the data file itself (MDB_NOSUBDIR)\n"
    "  -s name   load into the named database name (a database= header line overrides it)\n"
    "  -N        do not overwrite existing keys (MDB_NOOVERWRITE); existing keys are skipped\n"
    "  -T        the input is plain text: no header, alternating key and value lines\n";

// The input, line by line, counting lines as mdb_load does.
class DumpInput {
 public:
  explicit DumpInput(std::FILE* in) : in_(in) {}
  ~DumpInput() { std::free(buffer_); }
  DumpInput(const DumpInput&) = delete;
  DumpInput& operator=(const DumpInput&) = delete;

  // The next line without its newline; false at the end of the input.
  bool next(std::string_view* line) {
    ssize_t n = ::getline(&buffer_, &capacity_, in_);
    if (n < 0) return false;
    ++line_;
    bytes_ += static_cast<uint64_t>(n);
    if (n > 0 && buffer_[n - 1] == '\n') --n;
    *line = std::string_view(buffer_, static_cast<size_t>(n));
    return true;
  }
  uint64_t line() const { return line_; }
  uint64_t bytes() const { return bytes_; }

 private:
  std::FILE* in_;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  uint64_t line_ = 0;
  uint64_t bytes_ = 0;
};

struct Header {
  bool printable = false;
  unsigned flags = 0;
  uint64_t map_size = 0;
  void* map_address = nullptr;
  unsigned max_readers = 0;
};

struct Loader {
  std::string prog;
  DumpInput& input;
  bool plain_text;  // -T
  std::optional<std::string> subname;

  bool fail(const std::string& why) const { return fail_at(input.line(), why); }
  bool fail_at(uint64_t line, const std::string& why) const {
    std::fprintf(stderr, "%s: line %zu: %s\n", prog.c_str(), static_cast<size_t>(line), why.c_str());
    return false;
  }
};

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Scans "KEY=VALUE" header values the way mdb_load does (sscanf).
template <class T>
bool scan(std::string_view value, const char* format, T* out) {
  return std::sscanf(std::string(value).c_str(), format, out) == 1;
}

bool header_flag(std::string_view line, Header& h) {
  static constexpr std::pair<const char*, unsigned> kFlags[] = {
      {"reversekey", kReverseKey}, {"dupsort", kDupSort},       {"integerkey", kIntegerKey},
      {"dupfixed", kDupFixed},     {"integerdup", kIntegerDup}, {"reversedup", kReverseDup}};
  for (const auto& [name, bit] : kFlags) {
    if (starts_with(line, name) && line.size() > std::strlen(name) && line[std::strlen(name)] == '=') {
      h.flags |= bit;
      return true;
    }
  }
  return false;
}

// One header line other than HEADER=END. False (after reporting) on a malformed line.
bool header_line(Loader& l, std::string_view line, Header& h) {
  const size_t eq = line.find('=');
  const std::string_view value = eq == std::string_view::npos ? std::string_view() : line.substr(eq + 1);
  if (starts_with(line, "VERSION=")) {
    if (std::atoi(std::string(value).c_str()) > 3) return l.fail("unsupported VERSION " + std::string(value));
  } else if (starts_with(line, "format=")) {
    h.printable = starts_with(value, "print");
    if (!h.printable && !starts_with(value, "bytevalue")) return l.fail("unsupported FORMAT " + std::string(value));
  } else if (starts_with(line, "database=")) {
    l.subname = std::string(value);
  } else if (starts_with(line, "type=")) {
    if (!starts_with(value, "btree")) return l.fail("unsupported type " + std::string(value));
  } else if (starts_with(line, "mapaddr=")) {
    if (!scan(value, "%p", &h.map_address)) return l.fail("invalid mapaddr " + std::string(value));
  } else if (starts_with(line, "mapsize=")) {
    if (!scan(value, "%zu", &h.map_size)) return l.fail("invalid mapsize " + std::string(value));
  } else if (starts_with(line, "maxreaders=")) {
    if (!scan(value, "%u", &h.max_readers)) return l.fail("invalid maxreaders " + std::string(value));
  } else if (!header_flag(line, h) && !starts_with(line, "duplicates=") && !starts_with(line, "db_pagesize=")) {
    if (eq == std::string_view::npos) return l.fail("unexpected format");
    std::fprintf(stderr, "%s: line %zu: unrecognized keyword ignored: %.*s\n", l.prog.c_str(),
                 static_cast<size_t>(l.input.line()), static_cast<int>(eq), line.data());
  }
  return true;
}

// Reads a header up to HEADER=END. *present is false when the input ended before any header line.
bool read_header(Loader& l, Header& h, bool* present) {
  h = Header{};
  *present = false;
  std::string_view line;
  while (l.input.next(&line)) {
    *present = true;
    if (starts_with(line, "HEADER=END")) return true;
    if (!header_line(l, line, h)) return false;
  }
  return !*present || l.fail("unexpected end of input in the header");
}

enum class LineKind { kItem, kEnd, kError };

// One key or value line into `out`: kEnd at DATA=END (or the end of -T input).
LineKind read_item(Loader& l, bool printable, std::string& out) {
  std::string_view line;
  if (!l.input.next(&line)) {
    if (l.plain_text) return LineKind::kEnd;
    l.fail("unexpected end of input, DATA=END missing");
    return LineKind::kError;
  }
  if (!l.plain_text) {
    if (starts_with(line, "DATA=END")) return LineKind::kEnd;
    if (line.empty() || line[0] != ' ') {
      l.fail("a key or value line must start with a space");
      return LineKind::kError;
    }
    line.remove_prefix(1);
  }
  if (const char* why = decode_dump_line(line, printable, out)) {
    l.fail(why);
    return LineKind::kError;
  }
  return LineKind::kItem;
}

struct PutMode {
  unsigned flags;  // kNoOverwrite|kNoDupData (-N) and/or kAppend (-a)
  bool append;
};

// Loads one database's records into `dbi` until DATA=END. False after reporting a failure.
bool load_records(Loader& l, TxnRef& txn, Dbi dbi, bool printable, PutMode mode, bool dupsort, Progress& progress,
                  uint64_t total) {
  std::string key, value, previous;
  for (uint64_t n = 0;; ++n) {
    LineKind kind = read_item(l, printable, key);
    if (kind != LineKind::kItem) return kind == LineKind::kEnd;
    const uint64_t key_line = l.input.line();
    kind = read_item(l, printable, value);
    if (kind == LineKind::kEnd) return l.fail("failed to read key value");
    if (kind == LineKind::kError) return false;
    unsigned flags = mode.flags;
    if (mode.append) flags |= (dupsort && key == previous) ? kAppendDup : kAppend;
    Status st = txn.put(dbi, key, value, flags);
    if (!st.ok() && !(st.code() == code::kKeyExist && (mode.flags & kNoOverwrite)))
      return l.fail_at(key_line,
                       "mdb_cursor_put failed, error " + std::to_string(st.code()) + " " + error_text(st.code()));
    if (mode.append) previous = key;
    if (n % 4096 == 0) progress.update(l.input.bytes(), total);
  }
}

uint64_t input_size(std::FILE* in) {
  struct stat st;
  return fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
}

// Loads every section of the input in `txn`. False after reporting a failure.
bool load_all(Loader& l, TxnRef& txn, Header first, PutMode mode) {
  Progress progress("loading");
  const uint64_t total = input_size(stdin);
  Header h = first;
  for (bool more = true; more;) {
    const char* name = l.subname ? l.subname->c_str() : nullptr;
    Result<Dbi> dbi = txn.open_db(name, h.flags | kCreate);
    if (!dbi.ok()) return l.fail("mdb_open failed, error " + std::to_string(dbi.code()) + " " + error_text(dbi.code()));
    if (!load_records(l, txn, *dbi, h.printable || l.plain_text, mode, h.flags & kDupSort, progress, total))
      return false;
    if (l.plain_text) return true;  // plain text holds one database
    if (!read_header(l, h, &more)) return false;
  }
  return true;
}

int load(const ParsedArgs& args, Loader& l) {
  Header header;
  bool present = true;
  if (!l.plain_text && !read_header(l, header, &present)) return EXIT_FAILURE;
  Env env;
  (void)env.set_max_dbs(kManyDbs);  // one transaction may open every database of the input
  if (header.max_readers) (void)env.set_max_readers(header.max_readers);
  if (header.map_size) (void)env.set_map_size(header.map_size);
  unsigned flags = (args.has('n') ? kNoSubdir : 0u) | (header.map_address ? kFixedMap : 0u);
  if (Status st = env.open(args.positional[0].c_str(), flags, 0664); !st.ok())
    return report_failure("mdb_env_open", st.code());
  Result<WriteTxn> txn = env.begin_write();
  if (!txn.ok()) return report_failure("mdb_txn_begin", txn.code());
  PutMode mode{args.has('N') ? unsigned{kNoOverwrite | kNoDupData} : 0u, args.has('a')};
  if (present && !load_all(l, *txn, header, mode)) return EXIT_FAILURE;  // the txn aborts: nothing is loaded
  if (Status st = txn->commit(); !st.ok()) {
    l.fail(std::string("txn_commit: ") + error_text(st.code()));
    return EXIT_FAILURE;
  }
  return 0;
}

}  // namespace

int run_load(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "af:ns:NTV");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (argc < 2) return usage(args.prog, kSynopsis);
  if (args.has('V')) return print_version();
  if (!args.ok || args.positional.size() != 1) return usage(args.prog, kSynopsis);
  if (const std::string* in = args.value('f'); in && !std::freopen(in->c_str(), "r", stdin)) {
    std::fprintf(stderr, "%s: %s: reopen: %s\n", args.prog.c_str(), in->c_str(), std::strerror(errno));
    return EXIT_FAILURE;
  }
  DumpInput input(stdin);
  Loader loader{args.prog, input, args.has('T'), std::nullopt};
  if (const std::string* name = args.value('s')) loader.subname = *name;
  return load(args, loader);
}

}  // namespace aspen::tools
