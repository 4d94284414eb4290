// The workloads, each a function of an open Engine and the shared Dataset (bench).
//
//   fillseq       every key once in ascending order, batches of 1,000 puts per transaction, async durability
//   fillrandom    every key once in a seeded random order, batches of 1,000, async
//   overwrite     num_keys puts of existing keys drawn at random, batches of 1,000, async
//   fillrandsync  one put of a random key per durable (synced) commit, on a fresh database; bounded by a count
//                 and a time, reported per second
//   readrandom    `reads` point reads of existing random keys on 1 thread, a snapshot per 1,000 reads
//   readrandom2t  the same split over 2 threads, each with its own reader and key stream
//   readseq       full scans in key order, repeated for at least `scan_seconds`
//   mixed         2 reader threads doing readrandom while 1 writer overwrites random keys in batches of 1,000;
//                 reported as (reads + writes) per second over the readers' run
//   deleterandom  every key deleted once in a seeded random order, batches of 1,000, async
//
// Every engine sees identical key sequences: they come from the Dataset's seeded streams, one stream per
// workload and thread. Reads verify that every key was found (and scans that every key was seen).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dataset.hpp"
#include "engine.hpp"

namespace aspen::bench {

// Which database a workload runs on.
enum class Stage {
  kFreshSeq,   // a new database of its own (fillseq)
  kLoaded,     // the database filled by fillrandom, in the order of the list below
  kFreshSync,  // a new database opened with Durability::kSync (fillrandsync)
};

struct WorkloadInfo {
  std::string_view name;
  Stage stage;
  std::string_view summary;
};

// In run order: within kLoaded, fillrandom must come first and deleterandom last.
std::span<const WorkloadInfo> all_workloads();
const WorkloadInfo* find_workload(std::string_view name);

struct WorkloadParams {
  uint64_t reads = 0;            // point reads per readrandom run (split over the threads)
  uint64_t sync_ops = 2000;      // fillrandsync: at most this many commits...
  double sync_seconds = 3.0;     // ...and for at most this long
  double scan_seconds = 0.5;     // readseq: repeat full scans for at least this long
  size_t batch = 1000;           // puts/deletes per transaction in the batched workloads
};

struct Measurement {
  uint64_t ops = 0;
  double seconds = 0;
  double reads_per_sec = 0;   // mixed only
  double writes_per_sec = 0;  // mixed only
  std::string error;          // non-empty: this run failed and its numbers mean nothing
  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// Runs the workload named `name` on `engine`. `loaded` is the number of keys the database holds.
Measurement run_workload(std::string_view name, Engine& engine, const Dataset& data, const WorkloadParams& params);

// Fills with every key in random order (the fillrandom workload), used also to load an unmeasured database.
Measurement fill_random(Engine& engine, const Dataset& data, const WorkloadParams& params);

}  // namespace aspen::bench
