// Helpers shared by the fuzz targets (tests/fuzz): a scratch directory that lives as long as the process,
// and a byte reader over the fuzzer's input. Thread-safety: none (libFuzzer runs one input at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace aspen::fuzz {

// A directory created once per process (under $TMPDIR or /tmp) and removed at exit.
const std::string& scratch_dir();
// Writes `size` bytes to `path`, replacing the file.
void write_bytes(const std::string& path, const uint8_t* data, size_t size);
// Removes the directory tree at `path`.
void remove_tree(const std::string& path);

// Reads the input front to back; past the end every read gives 0.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(byte() | (byte() << 8)); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace aspen::fuzz
