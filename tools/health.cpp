// `aspen stat --health` output (layer: tools). See health.hpp.
#include "health.hpp"

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

namespace aspen::tools {
namespace {

// The figures both formats print, with "unknown" as nullopt.
struct Figures {
  std::optional<uint64_t> free_pages, pages_held_back, last_commit_pages;
  std::optional<double> free_ratio, map_used_ratio;
  std::optional<int64_t> oldest_age_ms;
  bool has_oldest = false;
};

Figures figures(const Health& h) {
  Figures f;
  if (h.pages_known) {
    f.free_pages = h.free_pages;
    f.pages_held_back = h.pages_held_back;
    if (h.pages_used) f.free_ratio = static_cast<double>(h.free_pages) / static_cast<double>(h.pages_used);
  }
  if (h.map_size)
    f.map_used_ratio = static_cast<double>(h.pages_used * h.page_size) / static_cast<double>(h.map_size);
  if (h.last_commit_known) f.last_commit_pages = h.last_commit_pages;
  f.has_oldest = h.oldest_pid != 0;
  if (f.has_oldest && h.oldest_age_ms >= 0) f.oldest_age_ms = h.oldest_age_ms;
  return f;
}

std::string count_text(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "unknown"; }

// " (12.34% WHAT)", or nothing when the ratio is unknown.
std::string percent_text(const std::optional<double>& ratio, const char* what) {
  if (!ratio) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.2f%% %s)", *ratio * 100.0, what);
  return buf;
}

void print_oldest_text(const Health& h, const Figures& f) {
  if (!f.has_oldest) {
    std::printf("  Oldest reader: none\n");
    return;
  }
  std::printf("  Oldest reader: pid %d, thread %" PRIx64 ", txnid %" PRIu64 ", lag %" PRIu64 " transactions, age %s%s\n",
              h.oldest_pid, h.oldest_thread, h.oldest_txnid, h.reader_lag,
              f.oldest_age_ms ? (std::to_string(*f.oldest_age_ms) + " ms").c_str() : "unknown (not an Aspen reader)",
              h.oldest_leased ? ", leased" : "");
}

// JSON members, comma-separated, in one object.
class JsonObject {
 public:
  JsonObject() { std::fputc('{', stdout); }
  ~JsonObject() { std::fputs("}\n", stdout); }
  void add(const char* key, uint64_t v) { member(key, std::to_string(v)); }
  void add(const char* key, bool v) { member(key, v ? "true" : "false"); }
  void add(const char* key, const std::optional<uint64_t>& v) { member(key, v ? std::to_string(*v) : "null"); }
  void add(const char* key, const std::optional<int64_t>& v) { member(key, v ? std::to_string(*v) : "null"); }
  void add(const char* key, const std::optional<double>& v) {
    char buf[32] = "null";
    if (v) std::snprintf(buf, sizeof buf, "%.6f", *v);
    member(key, buf);
  }

 private:
  void member(const char* key, const std::string& value) {
    std::printf("%s\"%s\":%s", first_ ? "" : ",", key, value.c_str());
    first_ = false;
  }
  bool first_ = true;
};

}  // namespace

void print_health_text(const Health& h) {
  const Figures f = figures(h);
  std::printf("Environment Health\n");
  std::printf("  Page size: %" PRIu64 "\n", h.page_size);
  std::printf("  Number of pages used: %" PRIu64 "\n", h.pages_used);
  std::printf("  Free pages: %s%s\n", count_text(f.free_pages).c_str(), percent_text(f.free_ratio, "of pages used").c_str());
  std::printf("  Pages held back by readers: %s\n", count_text(f.pages_held_back).c_str());
  std::printf("  Map size: %" PRIu64 "%s\n", h.map_size, percent_text(f.map_used_ratio, "used").c_str());
  std::printf("  Last transaction ID: %" PRIu64 "\n", h.last_txnid);
  std::printf("  Last commit: %s pages written\n", count_text(f.last_commit_pages).c_str());
  std::printf("  Reader slots used: %u of %u (high water %u, stale %u)\n", h.slots_used, h.max_readers,
              h.slots_high_water, h.stale_slots);
  std::printf("  Readers pinning a snapshot: %u\n", h.readers_pinning);
  print_oldest_text(h, f);
}

void print_health_json(const Health& h) {
  const Figures f = figures(h);
  JsonObject o;
  o.add("page_size", h.page_size);
  o.add("pages_used", h.pages_used);
  o.add("free_pages", f.free_pages);
  o.add("free_ratio", f.free_ratio);
  o.add("pages_held_back", f.pages_held_back);
  o.add("map_size", h.map_size);
  o.add("map_used_ratio", f.map_used_ratio);
  o.add("last_txnid", h.last_txnid);
  o.add("last_commit_pages", f.last_commit_pages);
  o.add("reader_slots_used", uint64_t{h.slots_used});
  o.add("reader_slots_max", uint64_t{h.max_readers});
  o.add("reader_slots_high_water", uint64_t{h.slots_high_water});
  o.add("reader_slots_stale", uint64_t{h.stale_slots});
  o.add("readers_pinning", uint64_t{h.readers_pinning});
  o.add("oldest_txnid", f.has_oldest ? std::optional<uint64_t>(h.oldest_txnid) : std::nullopt);
  o.add("reader_lag", h.reader_lag);
  o.add("oldest_pid", f.has_oldest ? std::optional<uint64_t>(static_cast<uint64_t>(h.oldest_pid)) : std::nullopt);
  o.add("oldest_thread", f.has_oldest ? std::optional<uint64_t>(h.oldest_thread) : std::nullopt);
  o.add("oldest_age_ms", f.oldest_age_ms);
  o.add("oldest_leased", h.oldest_leased);
}

}  // namespace aspen::tools
