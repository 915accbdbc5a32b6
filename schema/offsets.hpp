#pragma once

// List offsets request and response (schema/offsets.capnp) and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "schema/isolation_level.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

// Which offset of a partition a list-offsets query asks for.
enum class offset_query : uint8_t {
  earliest,     // the log start offset
  latest,       // the high watermark, or the last stable offset under read_committed
  by_timestamp, // the first offset whose record timestamp is >= the query's timestamp
};

struct list_offsets_request {
  static constexpr message_kind kind = message_kind::list_offsets_request;

  struct partition_query {
    std::string topic;
    partition_id partition{0};
    leader_epoch current_leader_epoch{-1}; // -1: skip the fencing check (KIP-320)
    offset_query query = offset_query::latest;
    timestamp_ms timestamp = no_timestamp; // read only when query is by_timestamp

    bool operator==(const partition_query&) const = default;
  };

  node_id replica_id{-1};
  isolation_level isolation = isolation_level::read_uncommitted;
  std::vector<partition_query> partitions;

  bool operator==(const list_offsets_request&) const = default;
};

struct list_offsets_response {
  static constexpr message_kind kind = message_kind::list_offsets_response;

  struct partition_offset {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    timestamp_ms timestamp = no_timestamp; // of the record found; none for earliest and latest
    offset off{-1};                        // -1: no record at or after the timestamp
    leader_epoch epoch{-1};

    bool operator==(const partition_offset&) const = default;
  };

  std::vector<partition_offset> partitions;

  bool operator==(const list_offsets_response&) const = default;
};

envelope encode(const list_offsets_request& x);
envelope encode(const list_offsets_response& x);

template <>
result<list_offsets_request> decode_bytes<list_offsets_request>(std::span<const char> bytes);
template <>
result<list_offsets_response> decode_bytes<list_offsets_response>(std::span<const char> bytes);

} // namespace sluice::schema
