// Helpers for the checker tests (layer: check): temporary environments, data files held in memory to be
// damaged on purpose, and just enough page navigation to find the bytes to damage.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "format/meta.hpp"
#include "page/page.hpp"

namespace aspen::check::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aspen-check-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string data() const { return path_ + "/data.mdb"; }

 private:
  std::string path_;
};

// A data file in memory.
struct DataFile {
  std::vector<std::byte> bytes;
  size_t psize = 4096;

  static DataFile load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    DataFile f;
    f.bytes.resize(raw.size());
    if (!raw.empty()) std::memcpy(f.bytes.data(), raw.data(), raw.size());
    f.psize = f.meta(0).page_size();
    return f;
  }
  void save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  std::byte* page(uint64_t pgno) { return bytes.data() + pgno * psize; }
  format::Meta meta(int i) const {
    format::Meta m;
    std::memcpy(&m, bytes.data() + i * 4096 + format::kMetaOffset, sizeof m);  // psize may be unknown yet
    return m;
  }
  int newest() const { return meta(1).txnid > meta(0).txnid ? 1 : 0; }
  // Rewrites meta i's record and drops its seal, so that it reads as a meta written by liblmdb.
  void set_meta(int i, const format::Meta& m) {
    std::memcpy(page(i) + format::kMetaOffset, &m, sizeof m);
    std::memset(page(i) + format::kMetaSealOffset, 0, sizeof(format::MetaSeal));
  }
  // From the page `pgno` down the leftmost (or rightmost) path to the first page that is not a branch.
  uint64_t descend(uint64_t pgno, bool leftmost) {
    while (page::is_branch(page(pgno))) {
      const std::byte* p = page(pgno);
      pgno = page::node_child(page::node(p, leftmost ? 0 : page::num_keys(p) - 1));
    }
    return pgno;
  }
  uint64_t main_root() const { return meta(newest()).dbs[format::kMainDbi].root; }
  uint64_t free_root() const { return meta(newest()).dbs[format::kFreeDbi].root; }
};

inline CheckReport check_ok(const std::string& path, const CheckOptions& options = {}) {
  Result<CheckReport> r = check_environment(path, options);
  EXPECT_TRUE(r.ok()) << error_message(r.code());
  if (!r.ok()) return CheckReport{};
  for (const Problem& p : r->problems) ADD_FAILURE() << to_string(p);
  return *r;
}

// The report on `file` saved as `path`: it must be produced, never a crash or an error.
inline CheckReport check_damaged(const DataFile& file, const std::string& path, const CheckOptions& options = {}) {
  file.save(path);
  Result<CheckReport> r = check_environment(path, options);
  EXPECT_TRUE(r.ok()) << error_message(r.code());
  return r.ok() ? *r : CheckReport{};
}

inline std::string describe(const CheckReport& r) {
  std::string s;
  for (const Problem& p : r.problems) s += "  " + to_string(p) + "\n";
  return s;
}

}  // namespace aspen::check::testing
