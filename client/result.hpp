#pragma once

#include "client/error.hpp"

#include <cassert>
#include <utility>
#include <variant>

namespace sluice::client {

// A T or a client::error, the shape of store::result and schema::result. Access to the wrong
// alternative is a programming error (asserted), not a runtime condition.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) { assert(!std::get<1>(v_).ok()); }

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

private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error e) : err_(std::move(e)) {}

  bool ok() const { return err_.ok(); }
  explicit operator bool() const { return ok(); }
  const error& err() const { assert(!ok()); return err_; }

private:
  error err_;
};

using status = result<void>;

} // namespace sluice::client
