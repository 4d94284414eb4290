// Command-line parsing (bench): see options.hpp.
#include "options.hpp"

#include <cstdlib>
#include <string_view>

#include "engine.hpp"

namespace aspen::bench {
namespace {

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// "1000", "100K", "1M", "10M", "1G" (powers of 1,000).
bool parse_count(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  switch (s.back()) {
    case 'k': case 'K': mult = 1'000; break;
    case 'm': case 'M': mult = 1'000'000; break;
    case 'g': case 'G': mult = 1'000'000'000; break;
    default: break;
  }
  if (mult != 1) s.remove_suffix(1);
  std::string digits(s);
  char* end = nullptr;
  unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || digits[0] == '-') return false;
  *out = v * mult;
  return true;
}

bool parse_seconds(std::string_view s, double* out) {
  std::string text(s);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v > 0)) return false;
  *out = v;
  return true;
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string check_engines(Options* o, bool named, std::vector<std::string>* notes) {
  if (!named)
    for (std::string_view n : all_engine_names())
      if (engine_by_default(n)) o->engines.emplace_back(n);
  std::vector<std::string> kept;
  for (const std::string& e : o->engines) {
    bool known = false;
    for (std::string_view n : all_engine_names()) known |= n == e;
    if (!known) return "unknown engine '" + e + "' (known: " + join(all_engine_names()) + ")";
    if (engine_compiled(e)) {
      kept.push_back(e);
      continue;
    }
    std::string why = "engine '" + e + "' is not built into this program: install " +
                      std::string(engine_package(e)) + " (scripts/install-deps.sh bench) and reconfigure";
    if (named) return why;
    notes->push_back(why + "; skipped");
  }
  o->engines = kept;
  return o->engines.empty() ? "no engine to run" : "";
}

std::string check_workloads(Options* o) {
  std::vector<std::string> names;
  for (const WorkloadInfo& w : all_workloads()) names.emplace_back(w.name);
  if (o->workloads.empty()) {
    o->workloads = names;
    return {};
  }
  for (const std::string& w : o->workloads)
    if (!find_workload(w)) {
      std::string known;
      for (const std::string& n : names) {
        if (!known.empty()) known += ", ";
        known += n;
      }
      return "unknown workload '" + w + "' (known: " + known + ")";
    }
  std::vector<std::string> ordered;  // run order is the table's order, whatever order they were named in
  for (const std::string& n : names)
    for (const std::string& w : o->workloads)
      if (w == n) {
        ordered.push_back(n);
        break;
      }
  o->workloads = ordered;
  return {};
}

// Applies one option with its value (empty when none was given). Returns an error message or "".
std::string apply(Options* o, std::string_view name, std::string_view value, bool* named_engines) {
  uint64_t n = 0;
  if (name == "--engines") {
    o->engines = split(value);
    *named_engines = true;
  } else if (name == "--workloads") {
    o->workloads = split(value);
  } else if (name == "--values") {
    o->value_sizes.clear();
    for (const std::string& v : split(value)) {
      if (!parse_count(v, &n) || n == 0 || n > (64u << 20)) return "bad value size '" + v + "'";
      o->value_sizes.push_back(n);
    }
    if (o->value_sizes.empty()) return "--values needs at least one size";
  } else if (name == "--num") {
    if (!parse_count(value, &n) || n < 1000 || n > 4'000'000'000ull) return "--num must be 1000..4G";
    o->num_keys = n;
  } else if (name == "--reads") {
    if (!parse_count(value, &n) || n < 2) return "bad --reads";
    o->params.reads = n;
  } else if (name == "--sync-ops") {
    if (!parse_count(value, &n) || n == 0) return "bad --sync-ops";
    o->params.sync_ops = n;
  } else if (name == "--sync-seconds") {
    if (!parse_seconds(value, &o->params.sync_seconds)) return "bad --sync-seconds";
  } else if (name == "--repeat") {
    if (!parse_count(value, &n) || n == 0 || n > 99) return "--repeat must be 1..99";
    o->repeat = static_cast<int>(n);
  } else if (name == "--map-size") {
    if (!parse_count(value, &n) || n < (1u << 20)) return "bad --map-size (bytes, K/M/G: powers of 1,000)";
    o->map_size = n;
  } else if (name == "--seed") {
    if (!parse_count(value, &n)) return "bad --seed";
    o->seed = n;
  } else if (name == "--dir") {
    if (value.empty()) return "--dir needs a directory";
    o->dir = value;
  } else {
    return "unknown option '" + std::string(name) + "'";
  }
  return {};
}

}  // namespace

std::string usage(const char* program) {
  std::string u = std::string("usage: ") + program + R"( [options]

Runs the same workloads, with the same keys and values, on every engine in one run, and prints ops/s per
engine, each engine's ratio to Aspen, and the machine's physical limits measured in the same run.

  --engines=LIST      comma-separated engines (default: all built in): aspen, lmdb, rocksdb, leveldb,
                      sqlite, wiredtiger; and on request aspen-grow (Aspen with no map size: the map grows)
  --workloads=LIST    comma-separated workloads (default: all; see --list)
  --values=LIST       value sizes in bytes (default: 100,1000,4096)
  --num=N             keys (default: 1M; K/M/G suffixes; 10M on request)
  --reads=N           point reads per readrandom / mixed run (default: num)
  --sync-ops=N        fillrandsync: at most N durable commits (default: 2000)...
  --sync-seconds=S    ...and for at most S seconds (default: 3)
  --repeat=R          runs per result; the median is reported (default: 1; the targets use 3)
  --map-size=N        map bound of aspen and lmdb in bytes (default: 64 GiB; valgrind needs less, e.g. 4G)
  --seed=N            seed of the keys, orders and values (default: 20240901)
  --dir=DIR           where the scratch directory goes (default: $TMPDIR or /tmp); removed on exit
  --json[=FILE]       also write the results as JSON to FILE (no FILE or '-': JSON on stdout, table on stderr)
  --no-limits         skip measuring fdatasync rate, memory latency and bandwidth
  --list              list engines (and whether built in) and workloads
  --help              this text
)";
  return u;
}

std::string parse_options(int argc, char** argv, Options* o, std::vector<std::string>* notes) {
  bool named_engines = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o->help = true;
      return {};
    }
    if (arg == "--list") { o->list = true; continue; }
    if (arg == "--no-limits") { o->limits = false; continue; }
    if (arg == "--json" || arg.starts_with("--json=")) {
      o->json = true;
      o->json_path = arg.size() > 7 ? std::string(arg.substr(7)) : "";
      continue;
    }
    if (!arg.starts_with("--")) return "unexpected argument '" + std::string(arg) + "'";
    std::string_view name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "option '" + std::string(arg) + "' needs a value";
    }
    std::string err = apply(o, name, value, &named_engines);
    if (!err.empty()) return err;
  }
  if (o->list || o->help) return {};
  if (o->params.reads == 0) o->params.reads = o->num_keys;
  std::string err = check_engines(o, named_engines, notes);
  if (err.empty()) err = check_workloads(o);
  return err;
}

}  // namespace aspen::bench
