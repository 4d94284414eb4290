// Result<T>: a value or an Error (public API; util layer). Errors are values in Aspen; nothing throws on purpose.
//
// Result<void> is spelled Status. Both are [[nodiscard]]. A Result must be checked (ok()) before value() is
// read; reading the value of an error is a programming error caught by an assert in debug builds.
#pragma once

#include <cassert>
#include <new>
#include <type_traits>
#include <utility>

#include "aspen/error.hpp"

namespace aspen {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : has_value_(true) { new (&value_) T(value); }
  Result(T&& value) : has_value_(true) { new (&value_) T(std::move(value)); }
  Result(const Error& error) : has_value_(false) { new (&error_) Error(error); }
  Result(const Result& other) requires std::is_copy_constructible_v<T> { copy_from(other); }
  Result(Result&& other) noexcept { move_from(std::move(other)); }
  Result& operator=(const Result& other) requires std::is_copy_constructible_v<T> {
    if (this != &other) { destroy(); copy_from(other); }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) { destroy(); move_from(std::move(other)); }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return has_value_; }
  explicit operator bool() const { return has_value_; }
  const Error& error() const { assert(!has_value_); return error_; }
  int code() const { return has_value_ ? 0 : error_.code(); }

  T& value() & { assert(has_value_); return value_; }
  const T& value() const& { assert(has_value_); return value_; }
  T&& value() && { assert(has_value_); return std::move(value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void destroy() {
    if (has_value_) value_.~T();
  }
  void copy_from(const Result& other) {
    has_value_ = other.has_value_;
    if (has_value_) new (&value_) T(other.value_);
    else new (&error_) Error(other.error_);
  }
  void move_from(Result&& other) {
    has_value_ = other.has_value_;
    if (has_value_) new (&value_) T(std::move(other.value_));
    else new (&error_) Error(other.error_);
  }

  bool has_value_;
  union {
    T value_;
    Error error_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(const Error& error) : error_(error), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const Error& error() const { assert(failed_); return error_; }
  int code() const { return failed_ ? error_.code() : 0; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace aspen

// Propagates an error from an expression yielding a Result/Status.
#define ASPEN_TRY(expr)                                  \
  do {                                                   \
    auto aspen_try_status_ = (expr);                     \
    if (!aspen_try_status_.ok()) return aspen_try_status_.error(); \
  } while (0)

#define ASPEN_CONCAT_INNER(a, b) a##b
#define ASPEN_CONCAT(a, b) ASPEN_CONCAT_INNER(a, b)
// Declares `lhs` from a Result's value, or returns its error.
#define ASPEN_ASSIGN(lhs, expr) ASPEN_ASSIGN_IMPL(ASPEN_CONCAT(aspen_result_, __LINE__), lhs, expr)
#define ASPEN_ASSIGN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                         \
  if (!tmp.ok()) return tmp.error();         \
  lhs = std::move(tmp).value()
