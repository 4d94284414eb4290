// The text table and JSON renderings of a run (bench): see report.hpp.
#include "report.hpp"

#include <sys/statfs.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

namespace aspen::bench {
namespace {

// "1.23M", "456K", "789" with three significant digits.
std::string human(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.3gK", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += c;
  }
  return out + "\"";
}

std::string ratio_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", v);
  return buf;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string first_line_of(const char* path, const char* prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) {
      size_t colon = line.find(':');
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  return {};
}

std::string filesystem_of(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "fs 0x%lx", static_cast<unsigned long>(fs.f_type));
      return buf;
    }
  }
}

const std::vector<Measurement>* cell(const RunResults& r, size_t v, const std::string& w, const std::string& e) {
  auto it = r.cells.find({v, w, e});
  return it == r.cells.end() ? nullptr : &it->second;
}

double cell_ops(const RunResults& r, size_t v, const std::string& w, const std::string& e) {
  const std::vector<Measurement>* runs = cell(r, v, w, e);
  std::string err;
  return runs ? median_ops(*runs, &err) : 0;
}

bool has_engine(const RunResults& r, const char* name) {
  return std::find(r.options.engines.begin(), r.options.engines.end(), name) != r.options.engines.end();
}

void print_value_size(std::FILE* out, const RunResults& r, size_t v) {
  const Options& o = r.options;
  const bool vs_lmdb = has_engine(r, "aspen") && has_engine(r, "lmdb");
  std::fprintf(out, "\n== %zu-byte values, 16-byte keys, %llu keys, median of %d ==\n", v,
               static_cast<unsigned long long>(o.num_keys), o.repeat);
  std::fprintf(out, "%-13s", "ops/s");
  for (const std::string& e : o.engines) std::fprintf(out, " %10s", e.c_str());
  if (vs_lmdb) std::fprintf(out, "  %10s %10s", "aspen/lmdb", v == 100 ? "target" : "");
  std::fprintf(out, "\n");
  std::vector<std::string> errors;
  for (const std::string& w : o.workloads) {
    std::fprintf(out, "%-13s", w.c_str());
    for (const std::string& e : o.engines) {
      std::string err;
      const std::vector<Measurement>* runs = cell(r, v, w, e);
      double ops = runs ? median_ops(*runs, &err) : 0;
      if (!err.empty()) errors.push_back(e + " " + w + ": " + err);
      std::fprintf(out, " %10s", !runs ? "-" : err.empty() ? human(ops).c_str() : "ERROR");
    }
    if (vs_lmdb) {
      double a = cell_ops(r, v, w, "aspen"), l = cell_ops(r, v, w, "lmdb"), t = target_vs_lmdb(w);
      std::string ratio = a > 0 && l > 0 ? ratio_text(a / l) : "-";
      std::string target = v == 100 && t > 0 ? ratio_text(t) + (a / l >= t ? " met" : " MISS") : "";
      std::fprintf(out, "  %10s %10s", ratio.c_str(), target.c_str());
    }
    std::fprintf(out, "\n");
  }
  if (has_engine(r, "aspen")) {
    std::fprintf(out, "%-13s", "x aspen");
    for (const std::string& e : o.engines) std::fprintf(out, " %10s", e.c_str());
    std::fprintf(out, "\n");
    for (const std::string& w : o.workloads) {
      std::fprintf(out, "%-13s", w.c_str());
      double a = cell_ops(r, v, w, "aspen");
      for (const std::string& e : o.engines) {
        double x = cell_ops(r, v, w, e);
        std::string ratio = a > 0 && x > 0 ? ratio_text(x / a) : "-";
        std::fprintf(out, " %10s", ratio.c_str());
      }
      std::fprintf(out, "\n");
    }
  }
  for (const std::string& e : errors) std::fprintf(out, "  ERROR %s\n", e.c_str());
}

void print_mixed_split(std::FILE* out, const RunResults& r) {
  bool any = false;
  for (size_t v : r.options.value_sizes)
    for (const std::string& e : r.options.engines) {
      const std::vector<Measurement>* runs = cell(r, v, "mixed", e);
      if (!runs || runs->empty()) continue;
      if (!any) std::fprintf(out, "\nmixed split (last run): reads/s + writes/s\n");
      any = true;
      const Measurement& m = runs->back();
      std::fprintf(out, "  %4zu B %-10s %8s + %s\n", v, e.c_str(), human(m.reads_per_sec).c_str(),
                   human(m.writes_per_sec).c_str());
    }
}

}  // namespace

double median_ops(const std::vector<Measurement>& runs, std::string* error) {
  std::vector<double> ok;
  for (const Measurement& m : runs) {
    if (!m.error.empty()) {
      if (error->empty()) *error = m.error;
    } else {
      ok.push_back(m.ops_per_sec());
    }
  }
  if (!error->empty() || ok.empty()) return 0;
  std::sort(ok.begin(), ok.end());
  size_t n = ok.size();
  return n % 2 ? ok[n / 2] : (ok[n / 2 - 1] + ok[n / 2]) / 2;
}

double target_vs_lmdb(const std::string& w) {
  if (w == "readrandom" || w == "readrandom2t" || w == "fillseq") return 1.2;
  if (w == "readseq" || w == "mixed") return 1.3;
  if (w == "fillrandom" || w == "overwrite" || w == "deleterandom") return 1.5;
  if (w == "fillrandsync") return 1.8;
  return 0;
}

Machine describe_machine(const std::string& dir) {
  Machine m;
  m.cpu = first_line_of("/proc/cpuinfo", "model name");
  m.cores = std::thread::hardware_concurrency();
  std::string mem = first_line_of("/proc/meminfo", "MemTotal");  // "24576000 kB"
  m.memory_bytes = std::strtoull(mem.c_str(), nullptr, 10) * 1024;
  struct utsname u {};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  m.filesystem = filesystem_of(dir);
#if defined(__clang__)
  m.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  m.compiler = "g++ " __VERSION__;
#endif
  return m;
}

void print_table(std::FILE* out, const RunResults& r) {
  const Machine& m = r.machine;
  std::fprintf(out, "\naspen_bench: %s\n", r.command.c_str());
  std::fprintf(out, "machine: %s, %u cores, %.1f GiB, %s, scratch on %s, %s\n", m.cpu.c_str(), m.cores,
               m.memory_bytes / double(1 << 30), m.kernel.c_str(), m.filesystem.c_str(), m.compiler.c_str());
  if (r.options.limits) {
    const Limits& l = r.limits;
    std::fprintf(out,
                 "physical limits (same run): %s fdatasync/s (4 KiB overwrite; <= %s commits/s at 1 sync per "
                 "commit, %s at 2); dependent random load %.1f ns (%s loads/s); sequential read %.1f GB/s\n",
                 human(l.fdatasync_per_sec).c_str(), human(l.fdatasync_per_sec).c_str(),
                 human(l.fdatasync_per_sec / 2).c_str(), l.load_latency_ns,
                 human(l.load_latency_ns > 0 ? 1e9 / l.load_latency_ns : 0).c_str(), l.seq_read_gb_per_sec);
    if (!l.error.empty()) std::fprintf(out, "  limits: %s\n", l.error.c_str());
  }
  std::fprintf(out, "durability: every workload commits with the 'async' setting below except fillrandsync ('sync')\n");
  for (const std::string& e : r.options.engines) {
    auto it = r.engines.find(e);
    if (it == r.engines.end()) continue;
    std::fprintf(out, "  %-10s %s\n  %-10s   async: %s\n  %-10s   sync:  %s\n", e.c_str(), it->second.settings.c_str(),
                 "", it->second.async_durability.c_str(), "", it->second.sync_durability.c_str());
  }
  for (size_t v : r.options.value_sizes) print_value_size(out, r, v);
  print_mixed_split(out, r);
}

void write_json(std::FILE* out, const RunResults& r) {
  const Options& o = r.options;
  const Machine& m = r.machine;
  std::fprintf(out, "{\n  \"command\": %s,\n", json_string(r.command).c_str());
  std::fprintf(out, "  \"machine\": {\"cpu\": %s, \"cores\": %u, \"memory_bytes\": %llu, \"kernel\": %s, "
               "\"filesystem\": %s, \"compiler\": %s},\n",
               json_string(m.cpu).c_str(), m.cores, static_cast<unsigned long long>(m.memory_bytes),
               json_string(m.kernel).c_str(), json_string(m.filesystem).c_str(), json_string(m.compiler).c_str());
  std::fprintf(out, "  \"config\": {\"num_keys\": %llu, \"key_size\": 16, \"reads\": %llu, \"sync_ops\": %llu, "
               "\"sync_seconds\": %s, \"batch\": %zu, \"repeat\": %d, \"seed\": %llu},\n",
               static_cast<unsigned long long>(o.num_keys), static_cast<unsigned long long>(o.params.reads),
               static_cast<unsigned long long>(o.params.sync_ops), json_number(o.params.sync_seconds).c_str(),
               o.params.batch, o.repeat, static_cast<unsigned long long>(o.seed));
  if (o.limits)
    std::fprintf(out, "  \"limits\": {\"fdatasync_per_sec\": %s, \"load_latency_ns\": %s, \"seq_read_gb_per_sec\": %s},\n",
                 json_number(r.limits.fdatasync_per_sec).c_str(), json_number(r.limits.load_latency_ns).c_str(),
                 json_number(r.limits.seq_read_gb_per_sec).c_str());
  std::fprintf(out, "  \"engines\": {");
  bool first = true;
  for (const std::string& e : o.engines) {
    auto it = r.engines.find(e);
    if (it == r.engines.end()) continue;
    std::fprintf(out, "%s\n    %s: {\"settings\": %s, \"async\": %s, \"sync\": %s}", first ? "" : ",",
                 json_string(e).c_str(), json_string(it->second.settings).c_str(),
                 json_string(it->second.async_durability).c_str(), json_string(it->second.sync_durability).c_str());
    first = false;
  }
  std::fprintf(out, "\n  },\n  \"workloads\": [");
  first = true;
  for (const std::string& w : o.workloads) {
    std::fprintf(out, "%s%s", first ? "" : ", ", json_string(w).c_str());
    first = false;
  }
  std::fprintf(out, "],\n  \"results\": [");
  first = true;
  for (const auto& [key, runs] : r.cells) {
    const auto& [v, w, e] = key;
    std::string err;
    double ops = median_ops(runs, &err);
    double aspen = cell_ops(r, v, w, "aspen");
    std::fprintf(out, "%s\n    {\"value_size\": %zu, \"workload\": %s, \"engine\": %s, \"ops_per_sec\": %s, "
                 "\"ratio_to_aspen\": %s, \"runs\": [",
                 first ? "" : ",", v, json_string(w).c_str(), json_string(e).c_str(),
                 err.empty() ? json_number(ops).c_str() : "null",
                 err.empty() && aspen > 0 ? json_number(ops / aspen).c_str() : "null");
    for (size_t i = 0; i < runs.size(); ++i) {
      const Measurement& mm = runs[i];
      std::fprintf(out, "%s{\"ops\": %llu, \"seconds\": %s", i ? ", " : "", static_cast<unsigned long long>(mm.ops),
                   json_number(mm.seconds).c_str());
      if (w == "mixed")
        std::fprintf(out, ", \"reads_per_sec\": %s, \"writes_per_sec\": %s", json_number(mm.reads_per_sec).c_str(),
                     json_number(mm.writes_per_sec).c_str());
      if (!mm.error.empty()) std::fprintf(out, ", \"error\": %s", json_string(mm.error).c_str());
      std::fprintf(out, "}");
    }
    std::fprintf(out, "]}");
    first = false;
  }
  std::fprintf(out, "\n  ]\n}\n");
}

}  // namespace aspen::bench
