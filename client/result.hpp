#pragma once

#include "client/error.hpp"
#include "store/basic_result.hpp"

#include <utility>

namespace sluice::client {

// A T or a client::error (store/basic_result.hpp).
template <class T>
using result = basic_result<T, error>;

using status = result<void>;

} // namespace sluice::client
