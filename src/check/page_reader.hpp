// PageReader: how the integrity checker reaches the bytes of a data file (layer: check).
//
// The checker never trusts a page number: it asks a reader for a byte range and gets an error, not a crash,
// when the range is not there. Two implementations:
//   - FilePageReader reads data.mdb with pread, bounded by the file's size, so that a checker run needs no
//     environment, no lock file and no mapping (a damaged file cannot SIGBUS it);
//   - StorePageReader reads through a tree::PageStore, i.e. an open transaction, so that a snapshot can be
//     checked while the environment is in use (the "paranoid mode" of DESIGN.md).
// Thread-safety: a reader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tree/page_store.hpp"
#include "util/result.hpp"

namespace aspen::check {

class PageReader {
 public:
  virtual ~PageReader() = default;

  // Page size in bytes. 0 until it is known (FilePageReader learns it from the meta page).
  virtual size_t page_size() const = 0;
  virtual void set_page_size(size_t page_size) = 0;
  // Number of whole pages that can be read: pages [0, page_count()) exist.
  virtual uint64_t page_count() const = 0;
  // Copies out.size() bytes starting `offset` bytes into page `pgno`; the range may run over the following
  // pages (overflow runs). MDB_PAGE_NOTFOUND when any byte lies outside the readable pages, EIO on a failed
  // read; `out` is then unspecified.
  virtual Status read(uint64_t pgno, size_t offset, std::span<std::byte> out) = 0;
};

// Reads a data file with pread. REQUIRES: set_page_size() before read().
class FilePageReader final : public PageReader {
 public:
  // Opens `path` read-only: a data file, or a directory holding data.mdb.
  static Result<FilePageReader> open(const std::string& path);
  FilePageReader(FilePageReader&& other) noexcept;
  FilePageReader& operator=(FilePageReader&& other) noexcept;
  ~FilePageReader() override;

  // Bytes at `offset` of the file, for reading meta pages before the page size is known. Returns how many
  // bytes were read (fewer at the end of the file).
  Result<size_t> read_bytes(uint64_t offset, std::span<std::byte> out) const;
  uint64_t file_size() const { return file_size_; }

  size_t page_size() const override { return page_size_; }
  void set_page_size(size_t page_size) override { page_size_ = page_size; }
  uint64_t page_count() const override { return page_size_ ? file_size_ / page_size_ : 0; }
  Status read(uint64_t pgno, size_t offset, std::span<std::byte> out) override;

 private:
  FilePageReader(int fd, uint64_t file_size) : fd_(fd), file_size_(file_size) {}
  int fd_ = -1;
  uint64_t file_size_ = 0;
  size_t page_size_ = 0;
};

// Reads through a page store (an open transaction). Runs of pages are contiguous in the store, as they are
// for the tree itself (overflow runs are read the same way).
class StorePageReader final : public PageReader {
 public:
  explicit StorePageReader(tree::PageStore& store) : store_(store) {}

  size_t page_size() const override { return store_.page_size(); }
  void set_page_size(size_t) override {}
  uint64_t page_count() const override { return store_.page_limit(); }
  Status read(uint64_t pgno, size_t offset, std::span<std::byte> out) override;

 private:
  tree::PageStore& store_;
};

}  // namespace aspen::check
