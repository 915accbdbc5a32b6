#pragma once

#include "schema/errc.hpp"
#include "store/basic_result.hpp"

#include <utility>

namespace sluice::schema {

// A T or a schema::error (store/basic_result.hpp).
template <class T>
using result = basic_result<T, error>;

using status = result<void>;

} // namespace sluice::schema
