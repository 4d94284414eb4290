// `aspen check` (layer: tools): runs the integrity checker on a data file and prints what it found.
//
// The file is read with pread, without opening the environment, so a damaged file can be checked and a live
// one is not disturbed (a concurrent writer may make a check of the newest snapshot report transient
// problems; check a copy for a definitive answer). Exit status: 0 when no problem was found, 1 otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "check/checker.hpp"
#include "cli.hpp"
#include "progress.hpp"

namespace aspen::tools {
namespace {

constexpr const char* kSynopsis = "[-q] [-m meta] [-u db]... [-U] [-N max] path";

constexpr const char* kHelp =
    "usage: aspen check [-q] [-m meta] [-u db]... [-U] [-N max] path\n"
    "Verify a data file (path: an environment directory or a data file): both meta pages, every tree\n"
    "(free list, main, named and DUPSORT sub-databases), page and node layout, key order, separators,\n"
    "depths and counts, overflow runs, free-list records, and that every page is used exactly once.\n"
    "Exits 1 when a problem is found.\n"
    "  -q        print only the problems\n"
    "  -m meta   check the snapshot of meta page 0 or 1 instead of the newest\n"
    "  -u db     db uses a custom comparator: skip its order checks (repeatable; '' = main database)\n"
    "  -U        skip all key order checks\n"
    "  -N max    list at most max problems (default 1000)\n";

std::string tree_line(const check::TreeSummary& t) {
  char line[256];
  std::snprintf(line, sizeof line, "depth %u, %llu branch, %llu leaf, %llu overflow pages, %llu entries", t.depth,
                static_cast<unsigned long long>(t.branch_pages), static_cast<unsigned long long>(t.leaf_pages),
                static_cast<unsigned long long>(t.overflow_pages), static_cast<unsigned long long>(t.entries));
  std::string out = line;
  if (t.sub_db_pages) out += " (+" + std::to_string(t.sub_db_pages) + " pages of duplicate sub-databases)";
  return out;
}

void print_summary(const std::string& path, const check::CheckReport& r) {
  const check::PageCounts& p = r.pages;
  std::printf("%s: page size %u, %llu pages in the file\n", path.c_str(), r.page_size,
              static_cast<unsigned long long>(r.file_pages));
  if (r.meta_page < 0) return;
  std::printf("snapshot: meta page %d, transaction %llu, last page %llu\n", r.meta_page,
              static_cast<unsigned long long>(r.meta.txnid), static_cast<unsigned long long>(r.meta.last_page));
  std::printf("pages: %llu meta, %llu branch, %llu leaf, %llu overflow, %llu free (%llu records), %llu leaked\n",
              static_cast<unsigned long long>(p.meta), static_cast<unsigned long long>(p.branch),
              static_cast<unsigned long long>(p.leaf), static_cast<unsigned long long>(p.overflow),
              static_cast<unsigned long long>(p.free), static_cast<unsigned long long>(r.free_records),
              static_cast<unsigned long long>(p.leaked));
  for (const check::TreeSummary& t : r.trees) {
    const bool core = t.name == "FREE_DBI" || t.name == "MAIN_DBI";
    std::printf("%s%s%s: %s\n", core ? "" : "database '", t.name.c_str(), core ? "" : "'", tree_line(t).c_str());
  }
}

void print_problems(const check::CheckReport& r) {
  if (r.ok()) {
    std::printf("OK: no problems found\n");
    return;
  }
  const unsigned long long total = r.problems.size() + r.problems_omitted;
  std::printf("%llu problem%s found:\n", total, total == 1 ? "" : "s");
  for (const check::Problem& problem : r.problems) std::printf("  %s\n", check::to_string(problem).c_str());
  if (r.problems_omitted) std::printf("  ... and %llu more\n", static_cast<unsigned long long>(r.problems_omitted));
}

}  // namespace

int run_check(int argc, char** argv) {
  ParsedArgs args = parse_args(argc, argv, "qm:u:UN:");
  if (args.help) return std::fputs(kHelp, stdout), 0;
  if (!args.ok || args.positional.size() != 1) return usage(args.prog, kSynopsis);
  check::CheckOptions options;
  options.check_key_order = !args.has('U');
  options.custom_order = args.all('u');
  if (const std::string* meta = args.value('m')) {
    if (*meta != "0" && *meta != "1") return usage(args.prog, kSynopsis);
    options.meta = *meta == "1";
  }
  if (const std::string* max = args.value('N')) options.max_problems = std::strtoull(max->c_str(), nullptr, 10);
  Progress progress("checking");
  options.progress = [&progress](uint64_t done, uint64_t total) { progress.update(done, total); };
  const std::string& path = args.positional[0];
  Result<check::CheckReport> report = check::check_environment(path, options);
  progress.finish();
  if (!report.ok()) {
    std::fprintf(stderr, "%s: %s: %s\n", args.prog.c_str(), path.c_str(), error_text(report.code()));
    return EXIT_FAILURE;
  }
  if (!args.has('q')) print_summary(path, *report);
  print_problems(*report);
  return report->ok() ? 0 : EXIT_FAILURE;
}

}  // namespace aspen::tools
