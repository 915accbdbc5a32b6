#pragma once

#include "store/errc.hpp"
#include "store/basic_result.hpp"

#include <string>
#include <utility>

namespace sluice::store {

// An error as a value (LevelDB's Status): a code to branch on and a
// one-line message naming the file and what was wrong with it.
struct error {
  errc code = errc::ok;
  std::string message;

  std::string to_string() const { return std::string{store::to_string(code)} + ": " + message; }
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

// result<T> holds a T or an error; store/ never throws.
template <class T>
using result = basic_result<T, error>;

using status = result<void>;

} // namespace sluice::store

// Propagates an error out of the enclosing function returning result<...>.
#define SLUICE_TRY(expr)                        \
  do {                                          \
    auto&& sluice_try_r_ = (expr);              \
    if (!sluice_try_r_.ok())                    \
      return sluice_try_r_.err();               \
  } while (false)
