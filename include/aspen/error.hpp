// Error: an allocation-free description of a failure (public API; implemented in the util layer).
//
// Codes are LMDB's own numbers (MDB_NOTFOUND, MDB_KEYEXIST, ...) or a positive errno, so the C ABI passes them
// through unchanged. The file/line say which check detected the problem and `page` names the page involved,
// when there is one, so that a corruption report points at the bytes. Trivially copyable; thread-safe.
#pragma once

#include <cstdint>

namespace aspen {

// LMDB 0.9 error codes (lmdb.h). Values are part of the ABI and never change.
namespace code {
inline constexpr int kSuccess = 0;
inline constexpr int kKeyExist = -30799;
inline constexpr int kNotFound = -30798;
inline constexpr int kPageNotFound = -30797;
inline constexpr int kCorrupted = -30796;
inline constexpr int kPanic = -30795;
inline constexpr int kVersionMismatch = -30794;
inline constexpr int kInvalid = -30793;
inline constexpr int kMapFull = -30792;
inline constexpr int kDbsFull = -30791;
inline constexpr int kReadersFull = -30790;
inline constexpr int kTlsFull = -30789;
inline constexpr int kTxnFull = -30788;
inline constexpr int kCursorFull = -30787;
inline constexpr int kPageFull = -30786;
inline constexpr int kMapResized = -30785;
inline constexpr int kIncompatible = -30784;
inline constexpr int kBadRslot = -30783;
inline constexpr int kBadTxn = -30782;
inline constexpr int kBadValsize = -30781;
inline constexpr int kBadDbi = -30780;
inline constexpr int kFirst = kKeyExist;
inline constexpr int kLast = kBadDbi;
// Aspen's own codes, beyond LMDB 0.9: outside LMDB's range (-30799..-30780, and what LMDB's later branches
// added above it) and BerkeleyDB's (-30800..-30999).
// A read transaction with a reader lease (Env::set_reader_lease) outlived it and a writer reclaimed its
// snapshot: end (abort) the transaction and begin a new one. Values read through it must not be used.
inline constexpr int kOusted = -30600;
}  // namespace code

class Error {
 public:
  constexpr Error() = default;
  constexpr Error(int code, const char* file, int line, uint64_t page = kNoPage)
      : code_(code), line_(line), file_(file), page_(page) {}

  static constexpr uint64_t kNoPage = ~uint64_t{0};

  constexpr int code() const { return code_; }
  constexpr const char* file() const { return file_; }
  constexpr int line() const { return line_; }
  constexpr uint64_t page() const { return page_; }
  constexpr bool is(int c) const { return code_ == c; }

 private:
  int code_ = 0;
  int line_ = 0;
  const char* file_ = "";
  uint64_t page_ = kNoPage;
};

// Message for an Aspen/LMDB code or an errno; never returns null. Texts equal mdb_strerror's.
const char* error_message(int code);

}  // namespace aspen

// Builds an Error that records where it was detected.
#define ASPEN_ERROR(code_value) ::aspen::Error((code_value), __FILE__, __LINE__)
#define ASPEN_PAGE_ERROR(code_value, pgno) ::aspen::Error((code_value), __FILE__, __LINE__, (pgno))
