#pragma once

// Share groups (schema/share.capnp, KIP-932): share fetch and acknowledge (consumer ->
// partition leader), and the share-partition state a leader persists with, and reads back
// from, the group's coordinator (node -> node). Codec: schema/codec.hpp.

#include "schema/codec.hpp"
#include "store/byte_buffer.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

// KIP-932's AcknowledgeType numbers (0, "gap", is not used: offsets without a record are
// archived by the leader when first read).
enum class acknowledge_type : uint8_t { accept = 1, release = 2, reject = 3 };
enum class record_state : uint8_t { available = 0, acquired = 1, acknowledged = 2, archived = 3 };

const char* to_string(acknowledge_type t) noexcept;
const char* to_string(record_state s) noexcept;

struct share_topic_partition {
  std::string topic;
  partition_id partition{0};

  bool operator==(const share_topic_partition&) const = default;
  auto operator<=>(const share_topic_partition&) const = default;
};

struct share_fetch_request {
  static constexpr message_kind kind = message_kind::share_fetch_request;

  std::string group_id;
  std::string member_id; // not empty
  int32_t max_wait_ms = 500;
  int32_t max_records = 500;    // per partition, at least 1
  int32_t max_bytes = 1 << 20;  // per partition
  std::vector<share_topic_partition> partitions;

  bool operator==(const share_fetch_request&) const = default;
};

struct acquired_records {
  offset first{0};
  offset last{0}; // inclusive
  int16_t delivery_count = 0;

  bool operator==(const acquired_records&) const = default;
};

struct share_fetch_response {
  static constexpr message_kind kind = message_kind::share_fetch_response;

  struct partition_response {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    store::byte_buffer records; // whole batches; the member's records are those in `acquired`
    std::vector<acquired_records> acquired;

    bool operator==(const partition_response&) const = default;
  };

  std::vector<partition_response> partitions;

  bool operator==(const share_fetch_response&) const = default;
};

struct acknowledgement {
  offset first{0};
  offset last{0}; // inclusive
  acknowledge_type type = acknowledge_type::accept;

  bool operator==(const acknowledgement&) const = default;
};

struct share_acknowledge_request {
  static constexpr message_kind kind = message_kind::share_acknowledge_request;

  struct partition_acks {
    std::string topic;
    partition_id partition{0};
    std::vector<acknowledgement> batches; // sorted, not overlapping (the leader checks)

    bool operator==(const partition_acks&) const = default;
  };

  std::string group_id;
  std::string member_id;
  std::vector<partition_acks> partitions;

  bool operator==(const share_acknowledge_request&) const = default;
};

struct share_acknowledge_response {
  static constexpr message_kind kind = message_kind::share_acknowledge_response;

  struct partition_result {
    std::string topic;
    partition_id partition{0};
    schema::error error; // none: persisted

    bool operator==(const partition_result&) const = default;
  };

  std::vector<partition_result> partitions;

  bool operator==(const share_acknowledge_response&) const = default;
};

// A share-partition's persisted state: ranges cover [start, end) in order.
struct share_state {
  struct range {
    offset first{0};
    offset last{0}; // inclusive
    record_state state = record_state::available;
    int16_t delivery_count = 0;

    bool operator==(const range&) const = default;
  };

  offset start{0};
  offset end{0};
  std::vector<range> ranges;

  bool operator==(const share_state&) const = default;
};

struct share_state_write_request {
  static constexpr message_kind kind = message_kind::share_state_write_request;

  std::string group_id;
  std::string topic;
  partition_id partition{0};
  leader_epoch epoch{0}; // the writer's leader epoch of the partition (fencing)
  share_state state;

  bool operator==(const share_state_write_request&) const = default;
};

struct share_state_write_response {
  static constexpr message_kind kind = message_kind::share_state_write_response;

  schema::error error;

  bool operator==(const share_state_write_response&) const = default;
};

struct share_state_read_request {
  static constexpr message_kind kind = message_kind::share_state_read_request;

  std::string group_id;
  std::string topic;
  partition_id partition{0};

  bool operator==(const share_state_read_request&) const = default;
};

struct share_state_read_response {
  static constexpr message_kind kind = message_kind::share_state_read_response;

  schema::error error;
  bool found = false;
  leader_epoch epoch{-1};
  share_state state;

  bool operator==(const share_state_read_response&) const = default;
};

envelope encode(const share_fetch_request& x);
envelope encode(const share_fetch_response& x);
envelope encode(const share_acknowledge_request& x);
envelope encode(const share_acknowledge_response& x);
envelope encode(const share_state_write_request& x);
envelope encode(const share_state_write_response& x);
envelope encode(const share_state_read_request& x);
envelope encode(const share_state_read_response& x);

template <>
result<share_fetch_request> decode_bytes<share_fetch_request>(std::span<const char> bytes);
template <>
result<share_fetch_response> decode_bytes<share_fetch_response>(std::span<const char> bytes);
template <>
result<share_acknowledge_request> decode_bytes<share_acknowledge_request>(std::span<const char> bytes);
template <>
result<share_acknowledge_response> decode_bytes<share_acknowledge_response>(std::span<const char> bytes);
template <>
result<share_state_write_request> decode_bytes<share_state_write_request>(std::span<const char> bytes);
template <>
result<share_state_write_response> decode_bytes<share_state_write_response>(std::span<const char> bytes);
template <>
result<share_state_read_request> decode_bytes<share_state_read_request>(std::span<const char> bytes);
template <>
result<share_state_read_response> decode_bytes<share_state_read_response>(std::span<const char> bytes);

} // namespace sluice::schema
