#include "schema/error_response.hpp"

#include "schema/error_response.capnp.h"
#include "schema/framing.hpp"

namespace sluice::schema {

using namespace framing;

envelope encode(const error_response& x) {
  return write<wire::ErrorResponse>(x.kind, 64 + x.error.message.size(),
                                    [&](wire::ErrorResponse::Builder b) { set_error(b, x.error); });
}

template <>
result<error_response> decode_bytes<error_response>(std::span<const char> bytes) {
  return read<wire::ErrorResponse, error_response>(
    bytes, [](wire::ErrorResponse::Reader r) -> result<error_response> {
      return error_response{get_error(r)};
    });
}

} // namespace sluice::schema
