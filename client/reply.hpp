#pragma once

// Turning what a node answered into a client result: the expected response, or the
// error_response a node sends for a request it could not decode, or a protocol error.

#include "client/result.hpp"
#include "schema/error_response.hpp"
#include "schema/fetch.hpp"

#include <string>

namespace caf {
class error;
}

namespace sluice::client {

template <class Response>
result<Response> decode_reply(const schema::envelope& e) {
  if (e.kind == schema::message_kind::error_response) {
    auto er = schema::decode<schema::error_response>(e);
    if (!er)
      return make_error(errc::protocol, "undecodable error response: " + er.err().to_string());
    if (er->error.ok())
      return make_error(errc::protocol, "error response without an error code");
    return from_server(er->error, "node refused the request");
  }
  auto r = schema::decode<Response>(e);
  if (!r)
    return make_error(errc::protocol, std::string{"undecodable "} + schema::to_string(Response::kind)
                                        + ": " + r.err().to_string());
  return std::move(*r);
}

// A fetch response read in place (schema::decode_view: no copy of the records), taking the
// envelope's bytes; errors as decode_reply's.
inline result<schema::fetch_response_view> decode_fetch_reply(schema::envelope& e) {
  if (e.kind == schema::message_kind::error_response)
    return decode_reply<schema::fetch_response>(e).err();
  auto r = schema::decode_view(std::move(e));
  if (!r)
    return make_error(errc::protocol, "undecodable fetch_response: " + r.err().to_string());
  return std::move(*r);
}

// A CAF request failure as a client error: a timeout, else a lost or refused connection.
// `peer` names the node ("node at 127.0.0.1:9292").
error from_caf(const caf::error& e, const std::string& peer);

// One line for a CAF error: "cannot connect to node (connection refused)" rather than
// "error(caf::sec::cannot_connect_to_node, ...)".
std::string describe(const caf::error& e);

} // namespace sluice::client
