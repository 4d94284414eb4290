// CRC-32C (Castagnoli), used to seal meta pages and to check a one-flush commit's pages (layer: util). Pure
// function; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aspen {

// CRC-32C of `size` bytes at `data`, continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace aspen
