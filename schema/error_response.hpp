#pragma once

// The answer to a request whose envelope could not be decoded (schema/error_response.capnp)
// and its codec (schema/codec.hpp).

#include "schema/codec.hpp"

namespace sluice::schema {

struct error_response {
  static constexpr message_kind kind = message_kind::error_response;

  schema::error error;

  bool operator==(const error_response&) const = default;
};

envelope encode(const error_response& x);

template <>
result<error_response> decode_bytes<error_response>(std::span<const char> bytes);

} // namespace sluice::schema
