// Helpers shared by the subcommands (layer: tools). See cli.hpp.
#include "cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "aspen/aspen.hpp"

namespace aspen::tools {

int ParsedArgs::count(char option) const {
  auto it = counts.find(option);
  return it == counts.end() ? 0 : it->second;
}

const std::string* ParsedArgs::value(char option) const {
  auto it = values.find(option);
  return it == values.end() ? nullptr : &it->second.back();
}

std::vector<std::string> ParsedArgs::all(char option) const {
  auto it = values.find(option);
  return it == values.end() ? std::vector<std::string>() : it->second;
}

ParsedArgs parse_args(int argc, char** argv, const char* spec) {
  ParsedArgs out;
  out.prog = argc > 0 ? argv[0] : "aspen";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--help") == 0) out.help = true;
  }
  if (out.help) return out;
  optind = 1;
  for (int c; (c = getopt(argc, argv, spec)) != -1;) {
    if (c == '?' || c == ':') {
      out.ok = false;
      continue;
    }
    ++out.counts[static_cast<char>(c)];
    if (optarg) out.values[static_cast<char>(c)].emplace_back(optarg);
  }
  for (int i = optind; i < argc; ++i) out.positional.emplace_back(argv[i]);
  return out;
}

int usage(const std::string& prog, const char* synopsis) {
  std::fprintf(stderr, "usage: %s %s\n", prog.c_str(), synopsis);
  return EXIT_FAILURE;
}

int print_version() {
  std::printf("%s\n", aspen::version(nullptr, nullptr, nullptr));
  return 0;
}

const char* error_text(int code) { return aspen::error_message(code); }

int report_failure(const char* call, int code) {
  std::fprintf(stderr, "%s failed, error %d %s\n", call, code, error_text(code));
  return EXIT_FAILURE;
}

uint64_t read_u64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

int for_each_named_db(TxnRef& txn, Dbi main, const std::function<int(const std::string&, Dbi)>& fn, int* candidates) {
  Result<Cursor> cursor = txn.cursor(main);
  if (!cursor.ok()) return report_failure("mdb_cursor_open", cursor.code()), cursor.code();
  Result<Entry> e = cursor->get(CursorOp::kNextNoDup);
  for (; e.ok(); e = cursor->get(CursorOp::kNextNoDup)) {
    if (std::memchr(e->key.data(), '\0', e->key.size())) continue;
    if (candidates) ++*candidates;
    const std::string name(string_of(e->key));
    Result<Dbi> db = txn.open_db(name.c_str(), 0);
    if (!db.ok()) continue;
    if (int rc = fn(name, *db)) return rc;
  }
  return e.code() == code::kNotFound ? 0 : e.code();
}

std::optional<Env> open_env(const std::string& path, unsigned flags, unsigned max_dbs) {
  Env env;
  Status st = env.set_max_dbs(max_dbs);
  if (st.ok()) st = env.open(path.c_str(), flags, 0664);
  if (!st.ok()) {
    report_failure("mdb_env_open", st.code());
    return std::nullopt;
  }
  return env;
}

}  // namespace aspen::tools
