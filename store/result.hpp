#pragma once

#include "store/errc.hpp"

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sluice::store {

// An error as a value (LevelDB's Status): a code to branch on and a
// one-line message naming the file and what was wrong with it.
struct error {
  errc code = errc::ok;
  std::string message;

  std::string to_string() const { return std::string{store::to_string(code)} + ": " + message; }
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

// result<T> holds a T or an error; store/ never throws. Access to the wrong
// alternative is a programming error (asserted), not a runtime condition.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const error& err() const { assert(!ok()); return std::get<1>(v_); }
  errc code() const { return ok() ? errc::ok : err().code; }

private:
  std::variant<T, error> v_;
};

// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error e) : err_(std::move(e)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const error& err() const { assert(failed_); return err_; }
  errc code() const { return failed_ ? err_.code : errc::ok; }

private:
  error err_;
  bool failed_ = false;
};

using status = result<void>;

} // namespace sluice::store

// Propagates an error out of the enclosing function returning result<...>.
#define SLUICE_TRY(expr)                        \
  do {                                          \
    auto&& sluice_try_r_ = (expr);              \
    if (!sluice_try_r_.ok())                    \
      return sluice_try_r_.err();               \
  } while (false)
