#pragma once

// Cluster membership and status messages (schema/cluster.capnp) and their codec
// (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

struct broker_heartbeat_request {
  static constexpr message_kind kind = message_kind::broker_heartbeat_request;
  static constexpr int64_t register_epoch = -1;

  node_id id{0};
  std::string host;
  uint16_t port = 0;
  std::string rack; // empty: none
  int64_t broker_epoch = register_epoch;

  bool operator==(const broker_heartbeat_request&) const = default;
};

struct broker_heartbeat_response {
  static constexpr message_kind kind = message_kind::broker_heartbeat_response;

  schema::error error;
  int64_t broker_epoch = -1;
  bool fenced = false;
  node_id leader{-1};

  bool operator==(const broker_heartbeat_response&) const = default;
};

struct cluster_status_request {
  static constexpr message_kind kind = message_kind::cluster_status_request;

  bool operator==(const cluster_status_request&) const = default;
};

struct cluster_status_response {
  static constexpr message_kind kind = message_kind::cluster_status_response;

  struct controller {
    node_id id{0};
    std::string host;
    uint16_t port = 0;
    int64_t match_index = -1;

    bool operator==(const controller&) const = default;
  };

  struct broker {
    node_id id{0};
    std::string host;
    uint16_t port = 0;
    std::string rack;
    int64_t broker_epoch = 0;
    bool fenced = false;
    int64_t last_heartbeat_ms_ago = -1;
    int32_t replicas = 0;
    int32_t leader_of = 0;
    bool decommissioned = false;

    bool operator==(const broker&) const = default;
  };

  schema::error error;
  node_id leader{-1};
  int64_t term = 0;
  int64_t commit_index = 0;
  std::vector<controller> controllers;
  std::vector<broker> brokers;

  bool operator==(const cluster_status_response&) const = default;
};

// A partition leader's ISR change (see cluster::isr_proposal for when it commits).
struct alter_partition_request {
  static constexpr message_kind kind = message_kind::alter_partition_request;

  std::string topic;
  int32_t partition = 0;
  node_id leader{0};
  leader_epoch epoch{0};
  int32_t partition_epoch = 0;
  std::vector<node_id> isr;
  uint64_t seq = 0;

  bool operator==(const alter_partition_request&) const = default;
};

struct alter_partition_response {
  static constexpr message_kind kind = message_kind::alter_partition_response;

  schema::error error; // none: committed
  node_id leader{-1};  // the partition's state after the request (-1: offline or unknown)
  leader_epoch epoch{-1};
  int32_t partition_epoch = -1;
  std::vector<node_id> isr;

  bool operator==(const alter_partition_response&) const = default;
};

// KIP-279's OffsetsForLeaderEpoch, follower -> partition leader (cluster::epoch_end).
struct offset_for_leader_epoch_request {
  static constexpr message_kind kind = message_kind::offset_for_leader_epoch_request;

  struct partition_request {
    std::string topic;
    partition_id partition{0};
    leader_epoch current_leader_epoch{-1};
    leader_epoch epoch{-1}; // the follower's latest local epoch

    bool operator==(const partition_request&) const = default;
  };

  node_id replica_id{-1};
  std::vector<partition_request> partitions;

  bool operator==(const offset_for_leader_epoch_request&) const = default;
};

struct offset_for_leader_epoch_response {
  static constexpr message_kind kind = message_kind::offset_for_leader_epoch_response;

  struct partition_response {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    leader_epoch epoch{-1};
    offset end_offset{-1};

    bool operator==(const partition_response&) const = default;
  };

  std::vector<partition_response> partitions;

  bool operator==(const offset_for_leader_epoch_response&) const = default;
};

// KIP-455's reassignment of partitions (metadata_image.hpp has the rules).
struct reassign_partitions_request {
  static constexpr message_kind kind = message_kind::reassign_partitions_request;

  struct partition {
    std::string topic;
    int32_t partition = 0;
    std::vector<node_id> replicas; // the target; empty with cancel
    bool cancel = false;

    bool operator==(const struct partition&) const = default;
  };

  std::vector<partition> partitions;

  bool operator==(const reassign_partitions_request&) const = default;
};

struct reassign_partitions_response {
  static constexpr message_kind kind = message_kind::reassign_partitions_response;

  struct partition {
    std::string topic;
    int32_t partition = 0;
    schema::error error;
    std::vector<node_id> replicas; // after the request
    std::vector<node_id> adding;   // both empty: not moving
    std::vector<node_id> removing;

    bool operator==(const struct partition&) const = default;
  };

  std::vector<partition> partitions; // in request order

  bool operator==(const reassign_partitions_response&) const = default;
};

// Preferred leader election over one topic (or every topic: empty).
struct elect_leaders_request {
  static constexpr message_kind kind = message_kind::elect_leaders_request;

  std::string topic;

  bool operator==(const elect_leaders_request&) const = default;
};

struct elect_leaders_response {
  static constexpr message_kind kind = message_kind::elect_leaders_response;

  struct election {
    std::string topic;
    int32_t partition = 0;
    node_id from{-1}; // -1: offline before
    node_id to{0};
    leader_epoch epoch{0};

    bool operator==(const election&) const = default;
  };

  schema::error error;
  std::vector<election> elected;

  bool operator==(const elect_leaders_response&) const = default;
};

struct decommission_broker_request {
  static constexpr message_kind kind = message_kind::decommission_broker_request;

  node_id id{0};
  bool cancel = false;

  bool operator==(const decommission_broker_request&) const = default;
};

struct decommission_broker_response {
  static constexpr message_kind kind = message_kind::decommission_broker_response;

  struct move {
    std::string topic;
    int32_t partition = 0;
    std::vector<node_id> replicas; // the new target

    bool operator==(const move&) const = default;
  };

  schema::error error;
  std::vector<move> moves;

  bool operator==(const decommission_broker_response&) const = default;
};

#define SLUICE_CLUSTER_CODEC(T)                                                                    \
  envelope encode(const T& x);                                                                     \
  template <>                                                                                      \
  result<T> decode_bytes<T>(std::span<const char> bytes);

SLUICE_CLUSTER_CODEC(broker_heartbeat_request)
SLUICE_CLUSTER_CODEC(broker_heartbeat_response)
SLUICE_CLUSTER_CODEC(cluster_status_request)
SLUICE_CLUSTER_CODEC(cluster_status_response)
SLUICE_CLUSTER_CODEC(alter_partition_request)
SLUICE_CLUSTER_CODEC(alter_partition_response)
SLUICE_CLUSTER_CODEC(offset_for_leader_epoch_request)
SLUICE_CLUSTER_CODEC(offset_for_leader_epoch_response)
SLUICE_CLUSTER_CODEC(reassign_partitions_request)
SLUICE_CLUSTER_CODEC(reassign_partitions_response)
SLUICE_CLUSTER_CODEC(elect_leaders_request)
SLUICE_CLUSTER_CODEC(elect_leaders_response)
SLUICE_CLUSTER_CODEC(decommission_broker_request)
SLUICE_CLUSTER_CODEC(decommission_broker_response)

#undef SLUICE_CLUSTER_CODEC

} // namespace sluice::schema
