// The machine's physical limits, measured in the same run as the engines (bench).
//
//   fdatasync_per_sec   4 KiB overwrite + fdatasync of a file in the scratch directory, in a loop: the bound on
//                       durable commits (an engine that syncs twice per commit gets at most half).
//   load_latency_ns     one dependent random load (pointer chase through a 256 MiB cyclic permutation, so
//                       every load misses the caches and, mostly, the TLB): the bound on readrandom, whose
//                       lookups are chains of such loads down the tree.
//   seq_read_gb_per_sec one thread summing a 256 MiB buffer: the bound on readseq, which streams the leaves.
#pragma once

#include <string>

namespace aspen::bench {

struct Limits {
  double fdatasync_per_sec = 0;
  double load_latency_ns = 0;
  double seq_read_gb_per_sec = 0;
  std::string error;  // non-empty when a measurement failed (its field stays 0)
};

// Measures all three, using `dir` for the sync file (removed afterwards). Takes about two seconds.
Limits measure_limits(const std::string& dir);

}  // namespace aspen::bench
