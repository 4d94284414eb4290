// Command-line options of aspen_bench / `aspen bench` (bench).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace aspen::bench {

struct Options {
  std::vector<std::string> engines;    // in report order; default: every engine compiled in
  std::vector<std::string> workloads;  // in run order; default: all
  std::vector<size_t> value_sizes{100, 1000, 4096};
  uint64_t num_keys = 1'000'000;
  uint64_t seed = 20240901;
  uint64_t map_size = uint64_t{64} << 30;  // aspen and lmdb
  int repeat = 1;  // runs per cell; the report shows the median
  WorkloadParams params;
  std::string dir;         // parent of the scratch directory; default $TMPDIR or /tmp
  bool json = false;       // write JSON
  std::string json_path;   // "" or "-": stdout (the table then goes to stderr)
  bool limits = true;      // measure the physical limits
  bool list = false;       // list engines and workloads, then exit
  bool help = false;
};

// Parses argv[1..]. Returns an error message (unknown option, engine or workload, bad number), empty on success.
// Engine names not compiled in are an error when named explicitly; the default set skips them (see `notes`).
std::string parse_options(int argc, char** argv, Options* options, std::vector<std::string>* notes);
std::string usage(const char* program);

}  // namespace aspen::bench
