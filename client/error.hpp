#pragma once

#include "schema/errc.hpp"

#include <cstdint>
#include <string>

namespace sluice::client {

// How a client operation failed. A failure the node reported keeps the node's code in
// error::server, so callers branch on it (unknown_topic_or_partition, offset_out_of_range, ...).
enum class errc : uint8_t {
  ok = 0,
  server,           // the node answered with an error code; see error::server
  unreachable,      // no connection to the node, or it was lost during the request
  timed_out,        // no answer within request.timeout.ms, or undelivered after delivery.timeout.ms
  buffer_full,      // buffer.memory stayed full for max.block.ms
  closed,           // the client was closed before the operation completed
  invalid_argument, // the caller broke a documented precondition (bad config, no such partition)
  protocol,         // the node's answer could not be decoded or does not fit the request
};

const char* to_string(errc e) noexcept;

// An error as a value: a code to branch on and one line for a human.
struct error {
  errc code = errc::ok;
  schema::errc server = schema::errc::none;
  std::string message;

  bool ok() const { return code == errc::ok; }
  // Worth sending again after a backoff: leadership moves, timeouts, lost connections.
  bool retriable() const;
  // The partition's leader moved or is in doubt (not_leader, leader_not_available, fenced or
  // unknown leader epoch): refresh the metadata before sending it again.
  bool stale_leader() const;
  // The request got no answer (a lost link, a timeout): the broker may be gone, refresh too.
  bool no_answer() const { return code == errc::unreachable || code == errc::timed_out; }
  // A newer producer epoch exists (invalid_producer_epoch): this producer, or this batch of
  // it, was fenced.
  bool fenced() const { return code == errc::server && server == schema::errc::invalid_producer_epoch; }
  std::string to_string() const { return message.empty() ? client::to_string(code) : message; }
};

inline error make_error(errc code, std::string message) { return {code, schema::errc::none, std::move(message)}; }

// A per-topic or per-partition error of a response; `context` (a topic, "t/3") prefixes the message.
error from_server(const schema::error& e, const std::string& context = "");

} // namespace sluice::client
