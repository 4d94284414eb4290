// Results of a run and their two renderings: the text table and JSON (bench).
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "limits.hpp"
#include "options.hpp"
#include "workloads.hpp"

namespace aspen::bench {

struct EngineText {
  std::string async_durability;
  std::string sync_durability;
  std::string settings;
};

struct Machine {
  std::string cpu;
  unsigned cores = 0;
  uint64_t memory_bytes = 0;
  std::string kernel;
  std::string filesystem;  // of the scratch directory
  std::string compiler;
};

struct RunResults {
  Options options;
  std::string command;  // as typed
  Machine machine;
  Limits limits;
  std::map<std::string, EngineText> engines;
  // (value size, workload, engine) -> one Measurement per repeat
  std::map<std::tuple<size_t, std::string, std::string>, std::vector<Measurement>> cells;
};

// The median of a cell's successful runs; `*error` gets the first failure, if any run failed.
double median_ops(const std::vector<Measurement>& runs, std::string* error);
// The target for Aspen / liblmdb on `workload` (100-byte values), 0 when none.
double target_vs_lmdb(const std::string& workload);

Machine describe_machine(const std::string& dir);
void print_table(std::FILE* out, const RunResults& r);
void write_json(std::FILE* out, const RunResults& r);

}  // namespace aspen::bench
