#pragma once

#include <caf/meta/type_name.hpp>

namespace sluice::actors {

// A named member for inspect(): deep_to_string prints it as `name(value)`, so state dumps read
// `partition(topic("orders"), log_end(42))` instead of a bare tuple; serializers see the value.
template <class T>
struct field {
  const char* name;
  T& value;
};

template <class T>
field(const char*, T&) -> field<T>;

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, field<T>& x) {
  return f(caf::meta::type_name(x.name), x.value);
}

} // namespace sluice::actors
