// The workloads (bench): see workloads.hpp for what each does.
#include "workloads.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace aspen::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Seeded streams, one per workload/thread, so every engine sees the same sequences.
enum Stream : uint64_t {
  kFillRandom = 1, kOverwrite, kSync, kRead1, kRead2a, kRead2b, kMixedRead1, kMixedRead2, kMixedWrite, kDelete,
};

constexpr std::array<WorkloadInfo, 9> kWorkloads{{
    {"fillseq", Stage::kFreshSeq, "all keys ascending, 1,000 puts per commit"},
    {"fillrandom", Stage::kLoaded, "all keys in random order, 1,000 puts per commit"},
    {"overwrite", Stage::kLoaded, "num random existing keys, 1,000 puts per commit"},
    {"readrandom", Stage::kLoaded, "random point reads, 1 thread"},
    {"readrandom2t", Stage::kLoaded, "random point reads, 2 threads"},
    {"readseq", Stage::kLoaded, "full scans in key order"},
    {"mixed", Stage::kLoaded, "2 random readers + 1 writer (1,000 puts per commit); reads+writes/s"},
    {"deleterandom", Stage::kLoaded, "all keys deleted in random order, 1,000 per commit"},
    {"fillrandsync", Stage::kFreshSync, "one random put per durable commit"},
}};

std::atomic<uint64_t> g_sink{0};  // keeps checksums alive

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Applies `order` as puts (or deletes) in batches of `batch` per commit.
Measurement write_batches(Engine& engine, const Dataset& data, std::span<const uint32_t> order, size_t batch,
                          bool deletes) {
  Measurement m;
  std::vector<WriteOp> ops(batch);
  auto start = Clock::now();
  for (size_t i = 0; i < order.size(); i += batch) {
    size_t n = std::min(batch, order.size() - i);
    for (size_t j = 0; j < n; ++j) ops[j] = WriteOp{data.key(order[i + j]), data.value(i + j), deletes};
    m.error = engine.write(std::span(ops.data(), n));
    if (!m.error.empty()) return m;
  }
  m.seconds = seconds_since(start);
  m.ops = order.size();
  return m;
}

// Reads `keys` with one reader, renewing its snapshot every 1,000 reads. Returns the number found; a key not
// found or a failure is reported in *error.
uint64_t read_keys(Reader& reader, const Dataset& data, std::span<const uint32_t> keys, std::string* error) {
  uint64_t found = 0, sum = 0;
  if (!reader.begin()) {
    *error = reader.error();
    return 0;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i % 1000 == 999) {
      reader.end();
      if (!reader.begin()) {
        *error = reader.error();
        return found;
      }
    }
    found += reader.get(data.key(keys[i]), &sum);
  }
  reader.end();
  g_sink.fetch_add(sum, std::memory_order_relaxed);
  if (found != keys.size() && error->empty()) {
    *error = std::to_string(keys.size() - found) + " of " + std::to_string(keys.size()) + " keys not found";
    if (!reader.error().empty()) *error += " (" + reader.error() + ")";
  }
  return found;
}

// Runs one reader thread per key stream, all started together; returns the time from start to the last end.
Measurement parallel_reads(Engine& engine, const Dataset& data, std::span<const std::vector<uint32_t>> streams,
                           const std::function<void()>& while_reading = {}) {
  Measurement m;
  const size_t n = streams.size();
  std::vector<std::unique_ptr<Reader>> readers(n);
  for (size_t t = 0; t < n; ++t) {
    readers[t] = engine.reader(&m.error);
    if (!readers[t]) return m;
  }
  std::vector<std::string> errors(n);
  std::latch ready(static_cast<std::ptrdiff_t>(n + 1));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t)
    threads.emplace_back([&, t] {
      ready.arrive_and_wait();
      read_keys(*readers[t], data, streams[t], &errors[t]);
    });
  ready.arrive_and_wait();
  auto start = Clock::now();
  if (while_reading) while_reading();
  for (auto& th : threads) th.join();
  m.seconds = seconds_since(start);
  for (size_t t = 0; t < n; ++t) {
    m.ops += streams[t].size();
    if (m.error.empty()) m.error = errors[t];
  }
  return m;
}

Measurement read_random(Engine& engine, const Dataset& data, const WorkloadParams& p, int threads) {
  std::vector<std::vector<uint32_t>> streams;
  if (threads == 1) streams.push_back(data.draws(p.reads, kRead1));
  else for (uint64_t s : {kRead2a, kRead2b}) streams.push_back(data.draws(p.reads / 2, s));
  return parallel_reads(engine, data, streams);
}

Measurement read_seq(Engine& engine, const Dataset& data, const WorkloadParams& p) {
  Measurement m;
  std::unique_ptr<Reader> reader = engine.reader(&m.error);
  if (!reader) return m;
  uint64_t sum = 0;
  auto start = Clock::now();
  for (int pass = 0; pass < 100 && (pass == 0 || seconds_since(start) < p.scan_seconds); ++pass) {
    if (!reader->begin()) {
      m.error = reader->error();
      return m;
    }
    uint64_t n = reader->scan(&sum);
    reader->end();
    if (n != data.num_keys()) {
      m.error = n == UINT64_MAX ? reader->error()
                                : "scan saw " + std::to_string(n) + " of " + std::to_string(data.num_keys()) + " keys";
      return m;
    }
    m.ops += n;
  }
  m.seconds = seconds_since(start);
  g_sink.fetch_add(sum, std::memory_order_relaxed);
  return m;
}

// 2 readers + 1 writer: the writer overwrites random keys in batches until both readers are done.
Measurement mixed(Engine& engine, const Dataset& data, const WorkloadParams& p) {
  std::vector<std::vector<uint32_t>> streams{data.draws(p.reads / 2, kMixedRead1), data.draws(p.reads / 2, kMixedRead2)};
  std::vector<uint32_t> writes = data.draws(data.num_keys(), kMixedWrite);
  std::atomic<bool> stop{false};
  uint64_t written = 0;
  std::string write_error;
  std::thread writer;
  Measurement m = parallel_reads(engine, data, streams, [&] {
    writer = std::thread([&] {
      std::vector<WriteOp> ops(p.batch);
      for (size_t i = 0; !stop.load(std::memory_order_relaxed); i = (i + p.batch) % (writes.size() - p.batch + 1)) {
        for (size_t j = 0; j < p.batch; ++j) ops[j] = WriteOp{data.key(writes[i + j]), data.value(i + j), false};
        write_error = engine.write(ops);
        if (!write_error.empty()) return;
        written += p.batch;
      }
    });
  });
  stop = true;
  if (writer.joinable()) writer.join();
  if (m.error.empty()) m.error = write_error;
  if (m.seconds > 0) {
    m.reads_per_sec = static_cast<double>(m.ops) / m.seconds;
    m.writes_per_sec = static_cast<double>(written) / m.seconds;
  }
  m.ops += written;
  return m;
}

Measurement fill_sync(Engine& engine, const Dataset& data, const WorkloadParams& p) {
  Measurement m;
  std::vector<uint32_t> keys = data.draws(p.sync_ops, kSync);
  auto start = Clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    WriteOp op{data.key(keys[i]), data.value(i), false};
    m.error = engine.write(std::span(&op, 1));
    if (!m.error.empty()) return m;
    ++m.ops;
    if ((i & 15) == 15 && seconds_since(start) >= p.sync_seconds) break;
  }
  m.seconds = seconds_since(start);
  return m;
}

}  // namespace

std::span<const WorkloadInfo> all_workloads() { return kWorkloads; }

const WorkloadInfo* find_workload(std::string_view name) {
  for (const WorkloadInfo& w : kWorkloads)
    if (w.name == name) return &w;
  return nullptr;
}

Measurement fill_random(Engine& engine, const Dataset& data, const WorkloadParams& params) {
  return write_batches(engine, data, data.permutation(kFillRandom), params.batch, false);
}

Measurement run_workload(std::string_view name, Engine& engine, const Dataset& data, const WorkloadParams& p) {
  if (name == "fillseq") {
    std::vector<uint32_t> order(data.num_keys());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    return write_batches(engine, data, order, p.batch, false);
  }
  if (name == "fillrandom") return fill_random(engine, data, p);
  if (name == "overwrite") return write_batches(engine, data, data.draws(data.num_keys(), kOverwrite), p.batch, false);
  if (name == "readrandom") return read_random(engine, data, p, 1);
  if (name == "readrandom2t") return read_random(engine, data, p, 2);
  if (name == "readseq") return read_seq(engine, data, p);
  if (name == "mixed") return mixed(engine, data, p);
  if (name == "deleterandom") return write_batches(engine, data, data.permutation(kDelete), p.batch, true);
  if (name == "fillrandsync") return fill_sync(engine, data, p);
  Measurement m;
  m.error = "unknown workload '" + std::string(name) + "'";
  return m;
}

}  // namespace aspen::bench
