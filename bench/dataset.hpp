// Dataset: the keys, key orders and values every engine is given, generated once from a fixed seed (bench).
//
// Keys are 16-byte zero-padded decimal numbers ("0000000000000042"), as in LevelDB's db_bench, so their byte
// order is their numeric order and fillseq writes them ascending. Orders are index sequences: a seeded
// permutation (every key once: fillrandom, deleterandom) or seeded draws with replacement (overwrite, reads).
// Values are windows into one buffer of seeded random bytes (incompressible), at a different offset per write.
// Everything is precomputed so that generating a key costs no engine time.
//
// Thread-safety: immutable after construction; shared by all threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aspen::bench {

inline constexpr size_t kKeySize = 16;

// splitmix64: a small, fast, seedable generator; same sequence on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

 private:
  uint64_t state_;
};

class Dataset {
 public:
  Dataset(uint64_t num_keys, size_t value_size, uint64_t seed);

  uint64_t num_keys() const { return num_keys_; }
  size_t value_size() const { return value_size_; }
  std::string_view key(uint64_t index) const { return {keys_.data() + index * kKeySize, kKeySize}; }
  // The value of the `n`th write of a run.
  std::string_view value(uint64_t n) const {
    return {values_.data() + (n * 7919) % (values_.size() - value_size_), value_size_};
  }
  // Every key index once, in a seeded random order.
  std::vector<uint32_t> permutation(uint64_t stream) const;
  // `count` key indexes drawn with replacement from a seeded stream.
  std::vector<uint32_t> draws(uint64_t count, uint64_t stream) const;

 private:
  uint64_t num_keys_;
  size_t value_size_;
  uint64_t seed_;
  std::string keys_;
  std::string values_;
};

}  // namespace aspen::bench
