#pragma once

// One node's inspection (schema/inspect.capnp) and its codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

struct inspect_request {
  static constexpr message_kind kind = message_kind::inspect_request;

  std::string filter; // actor names in the tree; empty: all

  bool operator==(const inspect_request&) const = default;
};

// The leader's view of one follower of a partition (cluster/partition_leader.hpp).
struct follower_status {
  node_id id{0};
  offset fetch_offset{-1};       // -1: no fetch in this leader epoch yet
  int64_t lag_records = -1;      // leader log end - fetch_offset; -1: unknown
  int64_t caught_up_ms_ago = -1; // at most since the leader's epoch began
  bool in_isr = false;

  bool operator==(const follower_status&) const = default;
};

// One partition replica as its node hosts it.
struct replica_status {
  std::string topic;
  partition_id partition{0};
  std::string role; // leader, follower, none
  node_id leader{-1};
  leader_epoch epoch{-1};
  offset log_start{-1};
  offset log_end{-1};
  offset high_watermark{-1};
  std::vector<node_id> replicas;
  std::vector<node_id> isr;
  std::vector<follower_status> followers; // leader only
  std::string error;                      // empty: the fields hold

  bool operator==(const replica_status&) const = default;
};

// One consumer group as its coordinator holds it.
struct group_status {
  struct member {
    std::string member_id;
    std::string group_instance_id; // empty: dynamic
    int32_t partitions = 0;

    bool operator==(const member&) const = default;
  };

  std::string group_id;
  std::string state;
  generation_id generation = no_generation;
  std::string protocol;
  std::string leader;
  partition_id offsets_partition{0};
  std::vector<member> members;
  std::string error;

  bool operator==(const group_status&) const = default;
};

// Upper bounds (microseconds) of the buckets of a node's request latency histograms, the `le`
// of its Prometheus histograms; a last bucket above them all is implied.
inline constexpr std::array<uint64_t, 16> latency_bounds_us{
  100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000,
  1'000'000, 2'500'000, 5'000'000, 10'000'000};

// One kind of request a node answered since it started (actors/request_meter.hpp).
struct request_stats {
  std::string kind; // produce, fetch, replica_fetch
  uint64_t count = 0;
  uint64_t errors = 0; // answered with an error for at least one partition
  uint64_t bytes = 0;  // record bytes produced in or fetched out
  uint64_t latency_sum_us = 0;
  std::vector<uint64_t> latency_buckets; // latency_bounds_us.size() + 1, not cumulative

  bool operator==(const request_stats&) const = default;
};

struct inspect_response {
  static constexpr message_kind kind = message_kind::inspect_response;

  struct peer {
    node_id id{0};
    std::string host;
    uint16_t port = 0;

    bool operator==(const peer&) const = default;
  };

  schema::error error;
  node_id node{-1};
  std::string tree;
  std::vector<replica_status> replicas; // by topic, then partition
  std::vector<group_status> groups;     // by group id
  std::vector<peer> controllers;        // as the node was configured (cluster mode)
  std::vector<request_stats> requests;  // by kind

  bool operator==(const inspect_response&) const = default;
};

envelope encode(const inspect_request& x);
template <>
result<inspect_request> decode_bytes<inspect_request>(std::span<const char> bytes);
envelope encode(const inspect_response& x);
template <>
result<inspect_response> decode_bytes<inspect_response>(std::span<const char> bytes);

} // namespace sluice::schema
