#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace sluice {

// A strong typedef over an integer (after Redpanda's model::named_type):
// offsets, epochs, terms and ids are distinct types so they cannot be mixed up.
// Arithmetic is deliberately limited to what logs need: adding a plain delta.
template <class T, class Tag>
struct named_type {
  using value_type = T;
  T value{};

  constexpr named_type() = default;
  constexpr explicit named_type(T v) : value(v) {}

  constexpr T operator()() const { return value; }
  constexpr auto operator<=>(const named_type&) const = default;

  constexpr named_type operator+(T delta) const { return named_type{T(value + delta)}; }
  constexpr named_type operator-(T delta) const { return named_type{T(value - delta)}; }
  constexpr named_type& operator+=(T delta) { value += delta; return *this; }
  constexpr named_type& operator++() { ++value; return *this; }
  constexpr T operator-(named_type other) const { return T(value - other.value); }

  friend std::ostream& operator<<(std::ostream& os, named_type x) { return os << +x.value; }

  template <class Inspector>
  friend auto inspect(Inspector& f, named_type& x) { return f(x.value); }
};

} // namespace sluice

template <class T, class Tag>
struct std::hash<sluice::named_type<T, Tag>> {
  size_t operator()(sluice::named_type<T, Tag> x) const noexcept { return std::hash<T>{}(x.value); }
};
