#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

namespace sluice {

// A T or an error E: the one shape behind store::result, schema::result and
// client::result, each layer with its own error type. E has a `code` member
// whose value-initialised value (0) means success; an error must carry another.
// Access to the wrong alternative is a programming error (asserted), not a
// runtime condition.
template <class T, class E>
class [[nodiscard]] basic_result {
public:
  using code_type = decltype(E::code);

  basic_result(T value) : v_(std::move(value)) {}
  basic_result(E e) : v_(std::move(e)) { assert(std::get<1>(v_).code != code_type{}); }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& err() const { assert(!ok()); return std::get<1>(v_); }
  code_type code() const { return ok() ? code_type{} : err().code; }

private:
  std::variant<T, E> v_;
};

// Success or an error.
template <class E>
class [[nodiscard]] basic_result<void, E> {
public:
  using code_type = decltype(E::code);

  basic_result() = default;
  basic_result(E e) : err_(std::move(e)) { assert(err_->code != code_type{}); }

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const E& err() const { assert(!ok()); return *err_; }
  code_type code() const { return ok() ? code_type{} : err_->code; }

private:
  std::optional<E> err_;
};

} // namespace sluice
