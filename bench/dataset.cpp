// Dataset (bench): see dataset.hpp.
#include "dataset.hpp"

#include <utility>

namespace aspen::bench {

Dataset::Dataset(uint64_t num_keys, size_t value_size, uint64_t seed)
    : num_keys_(num_keys), value_size_(value_size), seed_(seed) {
  keys_.resize(num_keys * kKeySize);
  for (uint64_t i = 0; i < num_keys; ++i) {  // "%016llu" without the terminating NUL
    uint64_t v = i;
    for (size_t d = kKeySize; d-- > 0; v /= 10) keys_[i * kKeySize + d] = static_cast<char>('0' + v % 10);
  }
  Rng rng(seed ^ 0x76616c756573ull);  // "values"
  values_.resize((size_t{1} << 20) + value_size + 1);
  for (char& c : values_) c = static_cast<char>(rng.next() >> 56);
}

std::vector<uint32_t> Dataset::permutation(uint64_t stream) const {
  std::vector<uint32_t> order(num_keys_);
  for (uint64_t i = 0; i < num_keys_; ++i) order[i] = static_cast<uint32_t>(i);
  Rng rng(seed_ * 1000003 + stream);
  for (uint64_t i = num_keys_; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

std::vector<uint32_t> Dataset::draws(uint64_t count, uint64_t stream) const {
  std::vector<uint32_t> out(count);
  Rng rng(seed_ * 1000003 + stream);
  for (uint64_t i = 0; i < count; ++i) out[i] = static_cast<uint32_t>(rng.below(num_keys_));
  return out;
}

}  // namespace aspen::bench
