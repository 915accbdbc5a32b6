#pragma once

// Produce request and response (schema/produce.capnp) and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

// Kafka's acks values, as on the wire.
enum class acks : int16_t {
  none = 0,    // the producer awaits no reply
  leader = 1,  // reply once the leader has appended
  all = -1,    // reply once every ISR member has
};

struct produce_request {
  static constexpr message_kind kind = message_kind::produce_request;

  struct partition_data {
    std::string topic;
    partition_id partition{0};
    // One or more record batches back to back (store/batch_format.hpp), not validated here:
    // the leader runs store::validate_batch on each before it appends.
    std::vector<std::byte> records;

    bool operator==(const partition_data&) const = default;
  };

  schema::acks acks = schema::acks::leader;
  int32_t timeout_ms = 30000;
  std::vector<partition_data> partitions;

  bool operator==(const produce_request&) const = default;
};

struct produce_response {
  static constexpr message_kind kind = message_kind::produce_response;

  struct partition_response {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    offset base_offset{-1};
    timestamp_ms log_append_time = no_timestamp;
    offset log_start_offset{-1};

    bool operator==(const partition_response&) const = default;
  };

  std::vector<partition_response> partitions;

  bool operator==(const produce_response&) const = default;
};

envelope encode(const produce_request& x);
envelope encode(const produce_response& x);

template <>
result<produce_request> decode_bytes<produce_request>(std::span<const char> bytes);
template <>
result<produce_response> decode_bytes<produce_response>(std::span<const char> bytes);

} // namespace sluice::schema
