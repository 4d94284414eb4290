// The benchmark driver (bench): parses options, measures the machine's limits, runs every selected workload
// on every selected engine for each value size and repeat, and reports. See bench_main.hpp for the contract.
//
// Per engine, value size and repeat, the workloads run in three stages, each on a database of its own that is
// closed and deleted at the end of the stage:
//   1. fillseq on a fresh database;
//   2. fillrandom (unmeasured when not selected), then overwrite, readrandom, readrandom2t, readseq, mixed and
//      deleterandom, in that order, on the database fillrandom filled;
//   3. fillrandsync on a fresh database opened with durable commits.
// Repeats are interleaved (run 1 of every engine, then run 2, ...) so that drift of the machine spreads over all
// engines rather than landing on one.
#include "bench_main.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "engine.hpp"
#include "limits.hpp"
#include "options.hpp"
#include "report.hpp"
#include "scratch_dir.hpp"

namespace aspen::bench {
namespace {

struct RunContext {
  RunResults* results;
  const ScratchDir* scratch;
  const Dataset* data;
  int rep;
};

bool selected(const Options& o, std::string_view workload) {
  for (const std::string& w : o.workloads)
    if (w == workload) return true;
  return false;
}

void record(RunContext& c, const std::string& engine, const std::string& workload, const Measurement& m) {
  c.results->cells[{c.data->value_size(), workload, engine}].push_back(m);
  const Options& o = c.results->options;
  if (m.error.empty())
    std::fprintf(stderr, "  [%zu B, run %d/%d] %-10s %-13s %12.0f ops/s  (%.2f s)\n", c.data->value_size(), c.rep + 1,
                 o.repeat, engine.c_str(), workload.c_str(), m.ops_per_sec(), m.seconds);
  else
    std::fprintf(stderr, "  [%zu B, run %d/%d] %-10s %-13s ERROR: %s\n", c.data->value_size(), c.rep + 1, o.repeat,
                 engine.c_str(), workload.c_str(), m.error.c_str());
}

Measurement failed(const std::string& error) {
  Measurement m;
  m.error = error;
  return m;
}

// Opens `engine` on a fresh subdirectory. Returns nullptr with `*error` set on failure.
std::unique_ptr<Engine> open_fresh(RunContext& c, const std::string& name, Durability d, std::string* dir,
                                   std::string* error) {
  *dir = c.scratch->fresh_subdir(name, error);
  if (dir->empty()) return nullptr;
  std::unique_ptr<Engine> engine = create_engine(name);
  EngineConfig config{*dir, c.data->value_size(), c.data->num_keys(), d, c.results->options.map_size};
  *error = engine->open(config);
  if (!error->empty()) {
    *error = "open: " + *error;
    return nullptr;
  }
  EngineText& text = c.results->engines[name];
  text.async_durability = engine->durability_text(Durability::kAsync);
  text.sync_durability = engine->durability_text(Durability::kSync);
  text.settings = engine->settings_text();
  return engine;
}

// Runs `workloads` in order on one fresh database; `load_first` fills it (unmeasured) before them.
void run_stage(RunContext& c, const std::string& name, Durability d, const std::vector<std::string>& workloads,
               bool load_first) {
  if (workloads.empty()) return;
  std::string dir, error;
  std::unique_ptr<Engine> engine = open_fresh(c, name, d, &dir, &error);
  if (engine && load_first) {
    Measurement load = fill_random(*engine, *c.data, c.results->options.params);
    if (!load.error.empty()) error = "loading: " + load.error;
  }
  for (const std::string& w : workloads) {
    if (!error.empty()) {
      record(c, name, w, failed(error));
      continue;
    }
    Measurement m;
    try {
      m = run_workload(w, *engine, *c.data, c.results->options.params);
    } catch (const std::exception& e) {
      m = failed(std::string("exception: ") + e.what());
    }
    record(c, name, w, m);
    if (!m.error.empty()) error = "skipped after " + w + " failed";
  }
  if (engine) engine->close();
  engine.reset();
  c.scratch->remove_subdir(dir);
}

void run_engine(RunContext& c, const std::string& name) {
  const Options& o = c.results->options;
  std::vector<std::string> loaded;
  for (const WorkloadInfo& w : all_workloads())
    if (w.stage == Stage::kLoaded && selected(o, w.name)) loaded.emplace_back(w.name);
  if (selected(o, "fillseq")) run_stage(c, name, Durability::kAsync, {"fillseq"}, false);
  bool measure_fill = selected(o, "fillrandom");
  run_stage(c, name, Durability::kAsync, loaded, !measure_fill);
  if (selected(o, "fillrandsync")) run_stage(c, name, Durability::kSync, {"fillrandsync"}, false);
}

void list(std::FILE* out) {
  std::fprintf(out, "engines:\n");
  for (std::string_view e : all_engine_names())
    std::fprintf(out, "  %-11s %s\n", std::string(e).c_str(),
                 engine_compiled(e) ? "built in" : ("not built in (needs " + std::string(engine_package(e)) + ")").c_str());
  std::fprintf(out, "workloads:\n");
  for (const WorkloadInfo& w : all_workloads())
    std::fprintf(out, "  %-13s %s\n", std::string(w.name).c_str(), std::string(w.summary).c_str());
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

std::string scratch_parent(const Options& o) {
  if (!o.dir.empty()) return o.dir;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

}  // namespace

int run_bench(int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : "aspen_bench";
  Options o;
  std::vector<std::string> notes;
  std::string error = parse_options(argc, argv, &o, &notes);
  if (!error.empty()) {
    std::fprintf(stderr, "%s: %s\n(run '%s --help' for the options)\n", program, error.c_str(), program);
    return 2;
  }
  if (o.help) {
    std::fputs(usage(program).c_str(), stdout);
    return 0;
  }
  if (o.list) {
    list(stdout);
    return 0;
  }
  for (const std::string& n : notes) std::fprintf(stderr, "%s: note: %s\n", program, n.c_str());

  const bool json_stdout = o.json && (o.json_path.empty() || o.json_path == "-");
  std::FILE* table_out = json_stdout ? stderr : stdout;
  std::FILE* json_out = json_stdout ? stdout : nullptr;
  if (o.json && !json_stdout && !(json_out = std::fopen(o.json_path.c_str(), "w"))) {
    std::fprintf(stderr, "%s: cannot write '%s': %s\n", program, o.json_path.c_str(), std::strerror(errno));
    return 1;
  }
  ScratchDir scratch;
  error = scratch.create(scratch_parent(o));
  if (!error.empty()) {
    std::fprintf(stderr, "%s: %s\n", program, error.c_str());
    if (json_out && json_out != stdout) std::fclose(json_out);
    return 1;
  }

  RunResults results;
  results.options = o;
  results.command = command_line(argc, argv);
  results.machine = describe_machine(scratch.path());
  if (o.limits) {
    std::fprintf(stderr, "%s: measuring the machine's limits in %s\n", program, scratch.path().c_str());
    results.limits = measure_limits(scratch.path());
  }
  for (size_t v : o.value_sizes) {
    std::fprintf(stderr, "%s: %zu-byte values, %llu keys\n", program, v, static_cast<unsigned long long>(o.num_keys));
    Dataset data(o.num_keys, v, o.seed);
    for (int rep = 0; rep < o.repeat; ++rep)
      for (const std::string& e : o.engines) {
        RunContext c{&results, &scratch, &data, rep};
        run_engine(c, e);
      }
  }
  print_table(table_out, results);
  if (json_out) {
    write_json(json_out, results);
    if (json_out != stdout) std::fclose(json_out);
  }
  bool any_error = false;
  for (const auto& [key, runs] : results.cells)
    for (const Measurement& m : runs) any_error |= !m.error.empty();
  return any_error ? 1 : 0;
}

}  // namespace aspen::bench
