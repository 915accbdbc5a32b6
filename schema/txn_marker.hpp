#pragma once

// Transaction markers (schema/txn_marker.capnp): a coordinator asks partition leaders to end a
// producer's transaction in their logs. Codec: schema/codec.hpp.

#include "schema/codec.hpp"
#include "schema/txn.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <vector>

namespace sluice::schema {

struct write_txn_markers_request {
  static constexpr message_kind kind = message_kind::write_txn_markers_request;

  struct marker {
    producer_id id = no_producer_id;
    producer_epoch epoch = no_producer_epoch;
    bool commit = false;
    int32_t coordinator_epoch = 0;
    std::vector<txn_topic_partition> partitions;

    bool operator==(const marker&) const = default;
  };

  std::vector<marker> markers;

  bool operator==(const write_txn_markers_request&) const = default;
};

struct write_txn_markers_response {
  static constexpr message_kind kind = message_kind::write_txn_markers_response;

  struct partition_result {
    std::string topic;
    partition_id partition{0};
    schema::error error;

    bool operator==(const partition_result&) const = default;
  };
  struct marker_result {
    producer_id id = no_producer_id;
    std::vector<partition_result> partitions;

    bool operator==(const marker_result&) const = default;
  };

  std::vector<marker_result> markers;

  bool operator==(const write_txn_markers_response&) const = default;
};

envelope encode(const write_txn_markers_request& x);
envelope encode(const write_txn_markers_response& x);
template <>
result<write_txn_markers_request> decode_bytes<write_txn_markers_request>(std::span<const char> bytes);
template <>
result<write_txn_markers_response>
decode_bytes<write_txn_markers_response>(std::span<const char> bytes);

} // namespace sluice::schema
