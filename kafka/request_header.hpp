#pragma once

// The framing of Kafka requests and responses on a connection: every message is an INT32 size
// followed by that many bytes. A request starts with its header (v1: api_key, api_version,
// correlation_id, client_id; v2, for flexible versions, adds tagged fields after it, which the
// listener never reads as it only answers such a request with unsupported_version); a response
// starts with the correlation id of its request (header v0).

#include "kafka/wire.hpp"
#include "schema/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::kafka {

// A request larger than this closes the connection (Kafka's socket.request.max.bytes default).
inline constexpr int32_t max_request_bytes = 100 << 20;

struct request_header {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// Reads the header at the start of a request frame (the bytes after the size); `r` is left at
// the request body. corrupt_message when the frame is shorter than a header.
schema::result<request_header> decode_request_header(reader& r);

// Writes the size placeholder and the correlation id of a response into `out` (which a response
// encoder then appends its body to); finish_response patches the size.
void begin_response(std::vector<std::byte>& out, int32_t correlation_id);
void finish_response(std::vector<std::byte>& out);

// The error of a decoder: the request body did not parse.
schema::error malformed(const char* api);

} // namespace sluice::kafka
