// CheckReport helpers (layer: check). See report.hpp.
#include "check/report.hpp"

namespace aspen::check {

const char* kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kMeta:
      return "meta";
    case ProblemKind::kPageRange:
      return "page-range";
    case ProblemKind::kPageHeader:
      return "page-header";
    case ProblemKind::kNode:
      return "node";
    case ProblemKind::kKeyOrder:
      return "key-order";
    case ProblemKind::kSeparator:
      return "separator";
    case ProblemKind::kDepth:
      return "depth";
    case ProblemKind::kCounts:
      return "counts";
    case ProblemKind::kDoubleRef:
      return "double-ref";
    case ProblemKind::kLeak:
      return "leak";
    case ProblemKind::kFreeList:
      return "free-list";
    case ProblemKind::kOverflow:
      return "overflow";
    case ProblemKind::kSubDb:
      return "sub-db";
    case ProblemKind::kIo:
      return "io";
  }
  return "unknown";
}

std::string to_string(const Problem& problem) {
  std::string out = kind_name(problem.kind);
  if (problem.page != Problem::kNoPage) out += " page " + std::to_string(problem.page);
  out += ": ";
  out += problem.message;
  return out;
}

size_t CheckReport::count(ProblemKind kind) const {
  size_t n = 0;
  for (const Problem& p : problems) n += p.kind == kind;
  return n;
}

const TreeSummary* CheckReport::tree(const std::string& name) const {
  for (const TreeSummary& t : trees)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace aspen::check
