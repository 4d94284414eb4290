// check_environment and check_snapshot (layer: check). See checker.hpp.
//
// Meta pages are judged here, independently of src/env's choice, so that the checker can say what is wrong
// with each one: LMDB's own tests (P_META, magic, version, R10), Aspen's MetaSeal, and field ranges that LMDB
// trusts blindly (page size, roots and depths, last page against the map size).
#include "check/checker.hpp"

#include <array>
#include <cstring>
#include <string>

#include "check/manifest.hpp"
#include "check/walker.hpp"
#include "format/constants.hpp"
#include "format/meta_seal.hpp"
#include "util/ids.hpp"

namespace aspen::check {
namespace {

// Bytes of a meta page that the checks need at least: header, meta record and the seal after it.
constexpr size_t kMetaBytes = format::kMetaSealOffset + sizeof(format::MetaSeal);

struct MetaPage {
  bool valid = false;
  format::Meta meta{};
  std::string why;  // what is wrong when !valid
  std::vector<std::byte> bytes;  // the page, for its manifest
  bool has_manifest = false;
};

bool plausible_page_size(uint64_t size) {
  return size >= format::kMinPageSize && size <= format::kMaxPageSize && (size & (size - 1)) == 0;
}

// The reasons a record is unusable as a tree root, or "".
std::string record_problem(const format::DbRecord& r, uint64_t last_page) {
  if ((r.root == kInvalidPage) != (r.depth == 0)) return "root and depth disagree about being empty";
  if (r.root != kInvalidPage && (r.root < format::kNumMetas || r.root > last_page)) return "root out of range";
  if (r.depth > format::kCursorStackDepth) return "depth above 32";
  return "";
}

std::string meta_fields_problem(const format::Meta& m, uint64_t psize) {
  if (m.magic != format::kMagic) return "bad magic";
  if (m.version != format::kDataVersion) return "version " + std::to_string(m.version) + ", not 1";
  if (!plausible_page_size(m.page_size()) || m.page_size() != psize)
    return "page size " + std::to_string(m.page_size());
  if (m.last_page < format::kNumMetas - 1) return "last page " + std::to_string(m.last_page);
  if (!(m.env_flags() & format::kDbIntegerKey)) return "FREE_DBI record lacks MDB_INTEGERKEY";
  for (unsigned i = 0; i < format::kCoreDbs; ++i) {
    std::string why = record_problem(m.dbs[i], m.last_page);
    if (!why.empty()) return std::string(i == 0 ? "FREE_DBI " : "MAIN_DBI ") + why;
  }
  return "";
}

// LMDB always records a map size that covers the used pages (mm_mapsize is the committer's map size); a
// smaller one makes liblmdb map too little and fail its next write with MDB_MAP_FULL. Not a reason to
// distrust the meta, so it is reported on the checked meta only.
void check_map_size(const format::Meta& m, int index, CheckReport& report) {
  if (m.map_size / m.page_size() >= m.last_page + 1) return;
  report.problems.push_back({ProblemKind::kMeta, static_cast<uint64_t>(index),
                             "meta page " + std::to_string(index) + " records a map size of " +
                                 std::to_string(m.map_size) + " bytes, less than the " +
                                 std::to_string(m.last_page + 1) + " pages in use"});
}

// Judges meta page `index` from its first `size` bytes (at least kMetaBytes; a manifest must lie within them).
MetaPage judge_meta(const std::byte* bytes, size_t size, unsigned index, uint64_t psize) {
  MetaPage out;
  std::memcpy(&out.meta, bytes + format::kMetaOffset, sizeof out.meta);
  const uint16_t flags = load<uint16_t>(bytes + 10);
  if (!(flags & format::kPageMeta))
    out.why = "page flags lack P_META";
  else if (load<uint64_t>(bytes) != index)
    out.why = "page header says page " + std::to_string(load<uint64_t>(bytes));
  else
    out.why = meta_fields_problem(out.meta, psize);
  const format::SealState seal = format::judge_seal(bytes, size, psize);
  if (out.why.empty() && seal == format::SealState::kTorn)
    out.why = "its MetaSeal checksum does not match (a torn or damaged meta write)";
  out.valid = out.why.empty();
  out.has_manifest = seal == format::SealState::kSealedManifest;
  return out;
}

// Reads and judges meta page `index` for page size `psize`; "the file ends before it" when it cannot.
MetaPage read_meta(const FilePageReader& reader, unsigned index, uint64_t psize) {
  MetaPage out;
  std::vector<std::byte> bytes(psize);
  Result<size_t> got = reader.read_bytes(index * psize, bytes);
  if (!got.ok() || *got < kMetaBytes) {
    out.why = "the file ends before it";
    return out;
  }
  bytes.resize(*got);
  out = judge_meta(bytes.data(), bytes.size(), index, psize);
  out.bytes = std::move(bytes);
  return out;
}

// A one-flush commit's meta is the newest only if the pages its manifest lists reached the disk: otherwise a
// power loss cut the commit short, and Aspen's next open falls back to the other meta (docs/COMMIT.md §7).
void check_manifest(const FilePageReader& reader, uint64_t psize, MetaPage& meta) {
  if (!meta.valid || !meta.has_manifest) return;
  const FileRead read = [&reader](uint64_t offset, std::span<std::byte> out) { return reader.read_bytes(offset, out); };
  Result<bool> whole = manifest_pages_match(meta.bytes.data(), psize, read);
  if (whole.ok() && *whole) return;
  meta.valid = false;
  meta.why = whole.ok() ? "the pages its one-flush manifest lists do not match it (the commit did not reach the disk)"
                        : "the pages its one-flush manifest lists cannot be read";
}

// The page size: page 0's, or when page 0 is damaged, the one at which a plausible page 1 is found.
uint64_t find_page_size(const FilePageReader& reader, const std::byte* page0) {
  format::Meta m;
  std::memcpy(&m, page0 + format::kMetaOffset, sizeof m);
  if (m.magic == format::kMagic && plausible_page_size(m.page_size())) return m.page_size();
  for (uint64_t size = format::kMinPageSize; size <= format::kMaxPageSize; size *= 2) {
    MetaPage page1 = read_meta(reader, 1, size);
    if (page1.valid) return size;
    if (page1.bytes.empty()) break;  // the file ends
  }
  return 0;
}

// Reads and judges both meta pages, reporting the invalid ones; returns the index to check or -1.
int choose_meta(const FilePageReader& reader, uint64_t psize, const CheckOptions& options, CheckReport& report,
                MetaPage (&metas)[format::kNumMetas]) {
  for (unsigned i = 0; i < format::kNumMetas; ++i) metas[i] = read_meta(reader, i, psize);
  // Only the newer of two valid metas needs its manifest checked: the older one's pages were synced before
  // the newer commit began, which never overwrites them.
  const bool newer_is_1 = metas[1].valid && (!metas[0].valid || metas[1].meta.txnid > metas[0].meta.txnid);
  check_manifest(reader, psize, metas[newer_is_1 ? 1 : 0]);
  for (unsigned i = 0; i < format::kNumMetas; ++i) {
    if (!metas[i].valid)
      report.problems.push_back(
          {ProblemKind::kMeta, i, "meta page " + std::to_string(i) + " is invalid: " + metas[i].why});
  }
  if (options.meta == 0 || options.meta == 1) return metas[options.meta].valid ? options.meta : -1;
  if (metas[0].valid && metas[1].valid) return metas[1].meta.txnid > metas[0].meta.txnid ? 1 : 0;
  if (metas[0].valid) return 0;
  return metas[1].valid ? 1 : -1;
}

}  // namespace

CheckReport check_snapshot(PageReader& reader, const Snapshot& snapshot, const CheckOptions& options) {
  CheckReport report;
  report.page_size = static_cast<uint32_t>(reader.page_size());
  report.file_pages = reader.page_count();
  report.meta.last_page = snapshot.last_page;
  report.meta.txnid = snapshot.txnid;
  report.meta.dbs[format::kFreeDbi] = snapshot.free_db;
  report.meta.dbs[format::kMainDbi] = snapshot.main_db;
  detail::Walker(reader, snapshot, options, report).run();
  return report;
}

Result<CheckReport> check_environment(const std::string& path, const CheckOptions& options) {
  ASPEN_ASSIGN(FilePageReader reader, FilePageReader::open(path));
  CheckReport report;
  std::array<std::byte, kMetaBytes> page0{};
  ASPEN_ASSIGN(size_t got, reader.read_bytes(0, page0));
  const uint64_t psize = got == page0.size() ? find_page_size(reader, page0.data()) : 0;
  if (psize == 0) {
    report.problems.push_back({ProblemKind::kMeta, Problem::kNoPage,
                               "no valid meta page: not an LMDB data file, or both meta pages are damaged"});
    return report;
  }
  reader.set_page_size(psize);
  MetaPage metas[format::kNumMetas];
  const int chosen = choose_meta(reader, psize, options, report, metas);
  if (chosen < 0) {
    report.page_size = static_cast<uint32_t>(psize);
    report.file_pages = reader.page_count();
    return report;
  }
  const format::Meta& m = metas[chosen].meta;
  check_map_size(m, chosen, report);
  Snapshot snapshot{m.dbs[format::kFreeDbi], m.dbs[format::kMainDbi], m.last_page, m.txnid};
  CheckReport walked = check_snapshot(reader, snapshot, options);
  walked.meta = m;
  walked.meta_page = chosen;
  walked.problems.insert(walked.problems.begin(), report.problems.begin(), report.problems.end());
  return walked;
}

}  // namespace aspen::check
