#pragma once

// Transactions (schema/txn.capnp): what a transactional producer and `sluice txn` ask a
// transaction coordinator, and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

struct txn_topic_partition {
  std::string topic;
  partition_id partition{0};

  auto operator<=>(const txn_topic_partition&) const = default;
};

struct add_partitions_to_txn_request {
  static constexpr message_kind kind = message_kind::add_partitions_to_txn_request;

  std::string transactional_id;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  std::vector<txn_topic_partition> partitions;

  bool operator==(const add_partitions_to_txn_request&) const = default;
};

struct add_partitions_to_txn_response {
  static constexpr message_kind kind = message_kind::add_partitions_to_txn_response;

  schema::error error;

  bool operator==(const add_partitions_to_txn_response&) const = default;
};

struct txn_offset_commit_request {
  static constexpr message_kind kind = message_kind::txn_offset_commit_request;

  struct partition_offset {
    std::string topic;
    partition_id partition{0};
    offset off{0}; // the next offset to consume
    leader_epoch epoch{-1};
    std::string metadata;

    bool operator==(const partition_offset&) const = default;
  };

  std::string transactional_id;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  std::string group;
  std::vector<partition_offset> offsets;

  bool operator==(const txn_offset_commit_request&) const = default;
};

struct txn_offset_commit_response {
  static constexpr message_kind kind = message_kind::txn_offset_commit_response;

  schema::error error;

  bool operator==(const txn_offset_commit_response&) const = default;
};

struct end_txn_request {
  static constexpr message_kind kind = message_kind::end_txn_request;

  std::string transactional_id;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  bool commit = false; // false: abort

  bool operator==(const end_txn_request&) const = default;
};

struct end_txn_response {
  static constexpr message_kind kind = message_kind::end_txn_response;

  schema::error error;

  bool operator==(const end_txn_response&) const = default;
};

struct list_transactions_request {
  static constexpr message_kind kind = message_kind::list_transactions_request;

  std::vector<std::string> states; // empty: all

  bool operator==(const list_transactions_request&) const = default;
};

struct list_transactions_response {
  static constexpr message_kind kind = message_kind::list_transactions_response;

  struct listing {
    std::string transactional_id;
    producer_id id = no_producer_id;
    std::string state;
    node_id coordinator{-1};

    bool operator==(const listing&) const = default;
  };

  schema::error error;
  std::vector<listing> transactions;

  bool operator==(const list_transactions_response&) const = default;
};

struct describe_transactions_request {
  static constexpr message_kind kind = message_kind::describe_transactions_request;

  std::vector<std::string> transactional_ids;

  bool operator==(const describe_transactions_request&) const = default;
};

struct describe_transactions_response {
  static constexpr message_kind kind = message_kind::describe_transactions_response;

  struct description {
    schema::error error;
    std::string transactional_id;
    std::string state; // Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, ...
    producer_id id = no_producer_id;
    producer_epoch epoch = no_producer_epoch;
    int32_t timeout_ms = 0;
    timestamp_ms start_time = no_timestamp;
    std::vector<txn_topic_partition> partitions;
    std::vector<std::string> groups;
    node_id coordinator{-1};

    bool operator==(const description&) const = default;
  };

  std::vector<description> transactions;

  bool operator==(const describe_transactions_response&) const = default;
};

#define SLUICE_TXN_CODEC(T)                                                                        \
  envelope encode(const T& x);                                                                     \
  template <>                                                                                      \
  result<T> decode_bytes<T>(std::span<const char> bytes);

SLUICE_TXN_CODEC(add_partitions_to_txn_request)
SLUICE_TXN_CODEC(add_partitions_to_txn_response)
SLUICE_TXN_CODEC(txn_offset_commit_request)
SLUICE_TXN_CODEC(txn_offset_commit_response)
SLUICE_TXN_CODEC(end_txn_request)
SLUICE_TXN_CODEC(end_txn_response)
SLUICE_TXN_CODEC(list_transactions_request)
SLUICE_TXN_CODEC(list_transactions_response)
SLUICE_TXN_CODEC(describe_transactions_request)
SLUICE_TXN_CODEC(describe_transactions_response)

#undef SLUICE_TXN_CODEC

} // namespace sluice::schema
