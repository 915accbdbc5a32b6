#pragma once

// Topic administration: create, delete and list topics, add partitions (schema/topics.capnp) and their codec
// (schema/codec.hpp).

#include "schema/codec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

// One result per requested topic, in request order.
struct topic_result {
  std::string name;
  schema::error error;

  bool operator==(const topic_result&) const = default;
};

struct create_topics_request {
  static constexpr message_kind kind = message_kind::create_topics_request;

  struct config {
    std::string key;
    std::string value;

    bool operator==(const config&) const = default;
  };

  struct topic {
    std::string name;
    int32_t partitions = 1;
    int16_t replication_factor = 1;
    std::vector<config> configs; // overrides such as retention.ms; the controller validates

    bool operator==(const topic&) const = default;
  };

  std::vector<topic> topics;
  int32_t timeout_ms = 30000;
  bool validate_only = false;

  bool operator==(const create_topics_request&) const = default;
};

struct create_topics_response {
  static constexpr message_kind kind = message_kind::create_topics_response;

  std::vector<topic_result> topics;

  bool operator==(const create_topics_response&) const = default;
};

struct delete_topics_request {
  static constexpr message_kind kind = message_kind::delete_topics_request;

  std::vector<std::string> names;
  int32_t timeout_ms = 30000;

  bool operator==(const delete_topics_request&) const = default;
};

struct delete_topics_response {
  static constexpr message_kind kind = message_kind::delete_topics_response;

  std::vector<topic_result> topics;

  bool operator==(const delete_topics_response&) const = default;
};

struct list_topics_request {
  static constexpr message_kind kind = message_kind::list_topics_request;

  bool include_internal = false; // also list topics such as __consumer_offsets

  bool operator==(const list_topics_request&) const = default;
};

struct list_topics_response {
  static constexpr message_kind kind = message_kind::list_topics_response;

  struct listing {
    std::string name;
    int32_t partitions = 0;
    int16_t replication_factor = 0;
    bool internal = false;

    bool operator==(const listing&) const = default;
  };

  schema::error error;
  std::vector<listing> topics;

  bool operator==(const list_topics_response&) const = default;
};

// Raises partition counts; a count never shrinks (new_total at or below the current count is
// invalid_partitions).
struct create_partitions_request {
  static constexpr message_kind kind = message_kind::create_partitions_request;

  struct topic {
    std::string name;
    int32_t new_total = 0; // the partition count wanted, not the number to add

    bool operator==(const topic&) const = default;
  };

  std::vector<topic> topics;
  int32_t timeout_ms = 30000;

  bool operator==(const create_partitions_request&) const = default;
};

struct create_partitions_response {
  static constexpr message_kind kind = message_kind::create_partitions_response;

  std::vector<topic_result> topics;

  bool operator==(const create_partitions_response&) const = default;
};

envelope encode(const create_topics_request& x);
envelope encode(const create_topics_response& x);
envelope encode(const delete_topics_request& x);
envelope encode(const delete_topics_response& x);
envelope encode(const list_topics_request& x);
envelope encode(const list_topics_response& x);
envelope encode(const create_partitions_request& x);
envelope encode(const create_partitions_response& x);

template <>
result<create_topics_request> decode_bytes<create_topics_request>(std::span<const char> bytes);
template <>
result<create_topics_response> decode_bytes<create_topics_response>(std::span<const char> bytes);
template <>
result<delete_topics_request> decode_bytes<delete_topics_request>(std::span<const char> bytes);
template <>
result<delete_topics_response> decode_bytes<delete_topics_response>(std::span<const char> bytes);
template <>
result<list_topics_request> decode_bytes<list_topics_request>(std::span<const char> bytes);
template <>
result<list_topics_response> decode_bytes<list_topics_response>(std::span<const char> bytes);
template <>
result<create_partitions_request>
decode_bytes<create_partitions_request>(std::span<const char> bytes);
template <>
result<create_partitions_response>
decode_bytes<create_partitions_response>(std::span<const char> bytes);

} // namespace sluice::schema
