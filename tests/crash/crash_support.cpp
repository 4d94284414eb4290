// Shared pieces of the crash suites. See crash_support.hpp.
#include "crash_support.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace aspen::crash {

namespace {
thread_local int g_engine_depth = 0;
}  // namespace

EngineScope::EngineScope() { ++g_engine_depth; }
EngineScope::~EngineScope() { --g_engine_depth; }
bool EngineScope::active() { return g_engine_depth > 0; }

// Evaluates an engine call inside an EngineScope.
#define ENGINE(expr) ([&]() -> auto { EngineScope engine_scope_; return expr; }())
#define ENGINE_VOID(expr) do { EngineScope engine_scope_; expr; } while (0)

namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hash_of(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return mix(h ^ s.size());
}

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 24)) {
    char buf[8];
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else std::snprintf(buf, sizeof buf, "\\x%02x", c), out += buf;
  }
  if (s.size() > 24) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

// --- options and files ---------------------------------------------------------------------------------

Options::Options(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      values_["?"] = a;
      continue;
    }
    std::string name = a.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      values_[name.substr(0, eq)] = name.substr(eq + 1);
    } else if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      values_[name] = argv[++i];
    } else {
      values_[name] = "1";
    }
  }
}

std::string Options::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

uint64_t Options::number(const std::string& name, uint64_t fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 0);
}

bool Options::flag(const std::string& name) const { return values_.count(name) != 0; }

ScratchDir::ScratchDir(const std::string& tag) {
  std::string base;
  if (const char* env = std::getenv("ASPEN_CRASH_TMP")) base = env;
  else if (const char* tmp = std::getenv("TMPDIR")) base = tmp;
  else base = "/tmp";
  std::string templ = base + "/aspen-" + tag + "-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("mkdtemp");
    std::exit(2);
  }
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  if (!keep_) remove_tree(path_);
}

std::string ScratchDir::sub(const std::string& name) const {
  std::string p = path_ + "/" + name;
  ::mkdir(p.c_str(), 0755);
  return p;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// --- databases and the model ---------------------------------------------------------------------------

const std::vector<DbSpec>& standard_dbs() {
  static const std::vector<DbSpec> dbs = {{nullptr, 0}, {"dups", kDupSort}, {"ints", kIntegerKey}};
  return dbs;
}

std::string db_label(const DbSpec& db) { return db.name ? db.name : "main"; }

uint64_t Model::digest() const {
  uint64_t sum = 0;
  for (const auto& [db, keys] : dbs) {
    const uint64_t hdb = hash_of(db);
    for (const auto& [key, values] : keys) {
      const uint64_t hkey = hash_of(key);
      for (const std::string& v : values) sum += mix(hdb ^ mix(hkey + 3 * hash_of(v)));
    }
  }
  return sum;
}

size_t Model::items() const {
  size_t n = 0;
  for (const auto& [db, keys] : dbs)
    for (const auto& [key, values] : keys) n += values.size();
  return n;
}

Result<std::vector<Dbi>> open_dbs(TxnRef& txn) {
  std::vector<Dbi> dbis;
  for (const DbSpec& db : standard_dbs()) {
    ASPEN_ASSIGN(Dbi dbi, txn.open_db(db.name, db.flags));
    dbis.push_back(dbi);
  }
  return dbis;
}

Status create_dbs(Env& env) {
  ASPEN_ASSIGN(WriteTxn txn, env.begin_write());
  for (const DbSpec& db : standard_dbs()) ASPEN_TRY(txn.open_db(db.name, db.flags | kCreate));
  return txn.commit();
}

Result<Model> read_model(Env& env) {
  ASPEN_ASSIGN(ReadTxn txn, env.begin_read());
  ASPEN_ASSIGN(std::vector<Dbi> dbis, open_dbs(txn));
  Model model;
  for (size_t i = 0; i < dbis.size(); ++i) {
    const std::string label = db_label(standard_dbs()[i]);
    auto& keys = model.dbs[label];
    ASPEN_ASSIGN(Cursor cursor, txn.cursor(dbis[i]));
    auto it = cursor.begin();
    for (; it != cursor.end(); ++it) {
      std::string key(it->key_string());
      // The main database also lists the named databases' records; the workload's own keys start with 'm'.
      if (i == 0 && (key.empty() || key[0] != 'm')) continue;
      keys[key].insert(std::string(it->value_string()));
    }
    ASPEN_TRY(it.status());
  }
  return model;
}

std::string model_difference(const Model& want, const Model& got) {
  for (const DbSpec& db : standard_dbs()) {
    const std::string label = db_label(db);
    static const std::map<std::string, std::set<std::string>> kEmpty;
    auto w = want.dbs.count(label) ? want.dbs.at(label) : kEmpty;
    auto g = got.dbs.count(label) ? got.dbs.at(label) : kEmpty;
    for (const auto& [key, values] : w) {
      auto it = g.find(key);
      if (it == g.end()) return label + ": key " + printable(key) + " missing";
      if (it->second != values) return label + ": key " + printable(key) + " has other values";
    }
    for (const auto& [key, values] : g)
      if (!w.count(key)) return label + ": unexpected key " + printable(key);
  }
  return "";
}

// --- workloads -----------------------------------------------------------------------------------------

const char* shape_name(Shape shape) {
  switch (shape) {
    case Shape::kMixed: return "mixed";
    case Shape::kGrowth: return "growth";
    case Shape::kOverflow: return "overflow";
    case Shape::kDupSort: return "dupsort";
    case Shape::kNested: return "nested";
    case Shape::kDeletes: return "deletes";
    case Shape::kScatter: return "scatter";
  }
  return "?";
}

bool parse_shape(const std::string& name, Shape* shape) {
  for (Shape s : {Shape::kMixed, Shape::kGrowth, Shape::kOverflow, Shape::kDupSort, Shape::kNested, Shape::kDeletes,
                  Shape::kScatter}) {
    if (name == shape_name(s)) {
      *shape = s;
      return true;
    }
  }
  return false;
}

Workload::Workload(Shape shape, uint64_t seed, bool nested_allowed)
    : shape_(shape), rng_(seed * 0x9e3779b97f4a7c15ULL + 17), nested_allowed_(nested_allowed) {}

std::string Workload::key_for(unsigned db, uint64_t n) {
  char buf[32];
  if (db == 2) {  // INTEGERKEY: a native 8-byte integer
    std::string k(8, '\0');
    std::memcpy(k.data(), &n, 8);
    return k;
  }
  std::snprintf(buf, sizeof buf, db == 0 ? "m%08llu" : "d%04llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string Workload::value_of(size_t size) {
  std::string v(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t r = rng_();
    std::memcpy(v.data() + i, &r, std::min<size_t>(8, size - i));
  }
  return v;
}

size_t Workload::value_size() {
  const unsigned roll = rng_() % 100;
  if (shape_ == Shape::kOverflow) return roll < 70 ? 1024 + rng_() % (30 * 1024) : 1 + rng_() % 200;
  if (roll < 70) return 1 + rng_() % 64;
  if (roll < 92) return 64 + rng_() % 900;
  if (roll < 98) return 1000 + rng_() % 3000;
  return 4096 + rng_() % 12000;  // an overflow run now and then
}

Status Workload::run_ops(TxnRef& txn, Model* model) {
  ASPEN_ASSIGN(std::vector<Dbi> dbis, ENGINE(open_dbs(txn)));
  int count = 1 + static_cast<int>(rng_() % 12);
  if (shape_ == Shape::kGrowth || (shape_ == Shape::kDeletes && txns_ < 8)) count = 10 + static_cast<int>(rng_() % 40);
  if (shape_ == Shape::kScatter) count = txns_ < 4 ? 150 : 40 + static_cast<int>(rng_() % 30);
  if (ops_) count = ops_;
  return random_ops(txn, dbis, model, count, 0);
}

Status Workload::run_txn(Env& env, Model* model, const std::function<void(const Model&)>& before_commit) {
  ASPEN_ASSIGN(WriteTxn txn, ENGINE(env.begin_write()));
  Model next = *model;
  env_ = &env;
  ASPEN_TRY(run_ops(txn, &next));
  if (before_commit) before_commit(next);
  ASPEN_TRY(ENGINE(txn.commit()));
  *model = std::move(next);
  ++txns_;
  return ok_status();
}

Status Workload::random_ops(TxnRef& txn, const std::vector<Dbi>& dbis, Model* model, int count, int depth) {
  for (int i = 0; i < count; ++i) ASPEN_TRY(one_op(txn, dbis, model, depth));
  return ok_status();
}

// One random operation of the workload's shape, applied to `txn` and to `model` alike.
Status Workload::one_op(TxnRef& txn, const std::vector<Dbi>& dbis, Model* model, int depth) {
  unsigned roll = rng_() % 100;
  // Remap the roll so each shape favours its own operations: 0-39 main put, 40-54 main delete, 55-69 dup put,
  // 70-79 dup delete, 80-89 int put/delete, 90-99 nested.
  switch (shape_) {
    case Shape::kGrowth: roll = roll < 80 ? roll / 2 : (roll < 90 ? 55 + roll % 10 : 80 + roll % 10); break;
    case Shape::kOverflow: roll = roll < 60 ? roll % 40 : 40 + roll % 15; break;
    case Shape::kDupSort: roll = roll < 95 ? 55 + roll % 25 : 40 + roll % 15; break;
    case Shape::kNested: roll = roll < 40 ? 90 + roll % 10 : roll % 90; break;
    case Shape::kDeletes:
      if (txns_ < 8) roll = roll < 70 ? roll % 40 : 55 + roll % 15;
      else roll = roll < 70 ? 40 + roll % 15 : (roll < 85 ? 70 + roll % 10 : roll % 40);
      break;
    case Shape::kScatter: roll = roll % 40; break;  // main puts only, spread over main_keys
    case Shape::kMixed: break;
  }
  const uint64_t main_keys = shape_ == Shape::kGrowth ? 200000 : 3000;
  auto& main = model->dbs["main"];
  auto& dups = model->dbs["dups"];
  auto& ints = model->dbs["ints"];
  if (roll < 40) {
    std::string key = key_for(0, rng_() % main_keys), value = value_of(value_size());
    ASPEN_TRY(ENGINE(txn.put(dbis[0], bytes_of(key), bytes_of(value))));
    main[key] = {value};
  } else if (roll < 55) {
    if (main.empty()) return ok_status();
    auto it = std::next(main.begin(), static_cast<long>(rng_() % main.size()));
    ASPEN_TRY(ENGINE(txn.del(dbis[0], bytes_of(it->first))));
    main.erase(it);
  } else if (roll < 70) {
    std::string key = key_for(1, rng_() % 24), value = value_of(4 + rng_() % 60);
    ASPEN_TRY(ENGINE(txn.put(dbis[1], bytes_of(key), bytes_of(value))));
    dups[key].insert(value);
  } else if (roll < 80) {
    if (dups.empty()) return ok_status();
    auto it = std::next(dups.begin(), static_cast<long>(rng_() % dups.size()));
    if (rng_() % 8 == 0 || it->second.size() == 1) {
      ASPEN_TRY(ENGINE(txn.del(dbis[1], bytes_of(it->first))));
      dups.erase(it);
    } else {
      auto v = std::next(it->second.begin(), static_cast<long>(rng_() % it->second.size()));
      ASPEN_TRY(ENGINE(txn.del(dbis[1], bytes_of(it->first), bytes_of(*v))));
      it->second.erase(v);
    }
  } else if (roll < 90) {
    std::string key = key_for(2, rng_() % 5000);
    if (roll < 86) {
      std::string value = value_of(8 + rng_() % 32);
      ASPEN_TRY(ENGINE(txn.put(dbis[2], bytes_of(key), bytes_of(value))));
      ints[key] = {value};
    } else {
      Status st = ENGINE(txn.del(dbis[2], bytes_of(key)));
      if (!st.ok() && st.code() != code::kNotFound) return st;
      ints.erase(key);
    }
  } else if (nested_allowed_ && depth < 3) {
    ASPEN_ASSIGN(Txn child, ENGINE(env_->begin(&txn, 0)));
    Model child_model = *model;
    ASPEN_TRY(random_ops(child, dbis, &child_model, 1 + static_cast<int>(rng_() % 6), depth + 1));
    if (rng_() % 10 < 7) {
      ASPEN_TRY(ENGINE(child.commit()));
      *model = std::move(child_model);
    } else {
      ENGINE_VOID(child.abort());
    }
  }
  return ok_status();
}

// --- verdicts and modes ----------------------------------------------------------------------------------

std::string check_verdict(const std::string& dir, int meta, bool other_meta_may_be_torn) {
  check::CheckOptions options;
  options.meta = meta;
  options.max_problems = 20;
  Result<check::CheckReport> report = check::check_environment(dir, options);
  if (!report.ok()) return std::string("the checker cannot read the file: ") + error_message(report.code());
  std::string out;
  for (const check::Problem& p : report->problems) {
    if (other_meta_may_be_torn && p.kind == check::ProblemKind::kMeta && report->meta_page >= 0 &&
        p.page == static_cast<uint64_t>(report->meta_page ^ 1))
      continue;
    out += check::to_string(p) + "\n";
  }
  if (report->problems_omitted) out += "... and " + std::to_string(report->problems_omitted) + " more\n";
  if (report->meta_page < 0 && out.empty()) out = "no usable meta page\n";
  return out;
}

bool parse_mode(const std::string& name, unsigned* flags) {
  static const std::map<std::string, unsigned> kModes = {
      {"default", 0u},
      {"nometasync", kNoMetaSync},
      {"nosync", kNoSync},
      {"writemap", kWriteMap},
      {"writemap+nometasync", kWriteMap | kNoMetaSync},
      {"mapasync", kWriteMap | kMapAsync},
  };
  auto it = kModes.find(name);
  if (it == kModes.end()) return false;
  *flags = it->second;
  return true;
}

int usage(const char* text) {
  std::fprintf(stderr, "%s\n", text);
  return 2;
}

}  // namespace aspen::crash
