#pragma once

// Consumer group requests and responses (schema/group.capnp) and their codec
// (schema/codec.hpp): membership (join, sync, heartbeat, leave), committed offsets (commit,
// fetch) and administration (list, describe).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::schema {

struct group_partition {
  std::string topic;
  partition_id partition{0};

  auto operator<=>(const group_partition&) const = default;
};

struct join_group_request {
  static constexpr message_kind kind = message_kind::join_group_request;

  std::string group_id;
  int32_t session_timeout_ms = 45'000;
  int32_t rebalance_timeout_ms = 300'000;
  std::string member_id; // "" for a new member
  std::optional<std::string> group_instance_id;
  std::string protocol_type = "consumer";
  std::vector<std::string> protocols; // assignor names, most preferred first
  std::vector<std::string> topics;
  std::vector<group_partition> owned; // KIP-429

  bool operator==(const join_group_request&) const = default;
};

struct join_group_response {
  static constexpr message_kind kind = message_kind::join_group_response;

  schema::error error;
  generation_id generation = no_generation;
  std::string protocol;
  std::string leader;
  std::string member_id;
  std::vector<std::string> members;

  bool operator==(const join_group_response&) const = default;
};

// Who a sync, heartbeat or commit comes from; the coordinator fences on all four.
struct group_member_ref {
  std::string group_id;
  generation_id generation = no_generation;
  std::string member_id;
  std::optional<std::string> group_instance_id;

  bool operator==(const group_member_ref&) const = default;
};

struct sync_group_request {
  static constexpr message_kind kind = message_kind::sync_group_request;

  group_member_ref member;

  bool operator==(const sync_group_request&) const = default;
};

struct sync_group_response {
  static constexpr message_kind kind = message_kind::sync_group_response;

  schema::error error;
  std::vector<group_partition> assignment;

  bool operator==(const sync_group_response&) const = default;
};

struct heartbeat_request {
  static constexpr message_kind kind = message_kind::heartbeat_request;

  group_member_ref member;

  bool operator==(const heartbeat_request&) const = default;
};

struct heartbeat_response {
  static constexpr message_kind kind = message_kind::heartbeat_response;

  schema::error error;

  bool operator==(const heartbeat_response&) const = default;
};

struct leave_group_request {
  static constexpr message_kind kind = message_kind::leave_group_request;

  std::string group_id;
  std::string member_id;

  bool operator==(const leave_group_request&) const = default;
};

struct leave_group_response {
  static constexpr message_kind kind = message_kind::leave_group_response;

  schema::error error;

  bool operator==(const leave_group_response&) const = default;
};

struct offset_commit_request {
  static constexpr message_kind kind = message_kind::offset_commit_request;

  struct partition {
    std::string topic;
    partition_id partition{0};
    offset committed{0}; // the next offset to consume
    leader_epoch epoch{-1};
    std::string metadata;

    bool operator==(const struct partition&) const = default;
  };

  // generation -1 and an empty member id: an admin commit, allowed only on an empty group.
  group_member_ref member;
  std::vector<partition> partitions;

  bool operator==(const offset_commit_request&) const = default;
};

struct offset_commit_response {
  static constexpr message_kind kind = message_kind::offset_commit_response;

  struct partition {
    std::string topic;
    partition_id partition{0};
    schema::error error;

    bool operator==(const struct partition&) const = default;
  };

  std::vector<partition> partitions; // in request order

  bool operator==(const offset_commit_response&) const = default;
};

struct offset_fetch_request {
  static constexpr message_kind kind = message_kind::offset_fetch_request;

  std::string group_id;
  std::vector<group_partition> partitions; // empty: every committed partition

  bool operator==(const offset_fetch_request&) const = default;
};

struct offset_fetch_response {
  static constexpr message_kind kind = message_kind::offset_fetch_response;

  struct partition {
    std::string topic;
    partition_id partition{0};
    offset committed{-1}; // -1: nothing committed
    leader_epoch epoch{-1};
    std::string metadata;
    schema::error error;

    bool operator==(const struct partition&) const = default;
  };

  schema::error error;
  std::vector<partition> partitions;

  bool operator==(const offset_fetch_response&) const = default;
};

struct list_groups_request {
  static constexpr message_kind kind = message_kind::list_groups_request;

  std::vector<std::string> states_filter; // empty: every group

  bool operator==(const list_groups_request&) const = default;
};

struct list_groups_response {
  static constexpr message_kind kind = message_kind::list_groups_response;

  struct group {
    std::string group_id;
    std::string protocol_type;
    std::string state;
    int32_t members = 0;

    bool operator==(const group&) const = default;
  };

  schema::error error;
  std::vector<group> groups; // sorted by id

  bool operator==(const list_groups_response&) const = default;
};

struct describe_groups_request {
  static constexpr message_kind kind = message_kind::describe_groups_request;

  std::vector<std::string> groups;

  bool operator==(const describe_groups_request&) const = default;
};

struct describe_groups_response {
  static constexpr message_kind kind = message_kind::describe_groups_response;

  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<group_partition> assignment;

    bool operator==(const member&) const = default;
  };

  // A share group's share-partition (schema/share.hpp), as its coordinator last persisted it.
  struct share_partition_status {
    std::string topic;
    partition_id partition{0};
    offset start{-1};
    offset end{-1};
    int64_t in_flight = 0; // not yet acknowledged or archived (delivered or not)
    int64_t finished = 0;  // acknowledged or archived, between start and end

    bool operator==(const share_partition_status&) const = default;
  };

  struct group {
    schema::error error;
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol;
    generation_id generation = no_generation;
    std::string leader;
    std::vector<member> members;
    std::vector<share_partition_status> shares{}; // share groups only

    bool operator==(const group&) const = default;
  };

  std::vector<group> groups; // in request order

  bool operator==(const describe_groups_response&) const = default;
};

#define SLUICE_GROUP_CODEC(T)                                                                      \
  envelope encode(const T& x);                                                                     \
  template <>                                                                                      \
  result<T> decode_bytes<T>(std::span<const char> bytes);

SLUICE_GROUP_CODEC(join_group_request)
SLUICE_GROUP_CODEC(join_group_response)
SLUICE_GROUP_CODEC(sync_group_request)
SLUICE_GROUP_CODEC(sync_group_response)
SLUICE_GROUP_CODEC(heartbeat_request)
SLUICE_GROUP_CODEC(heartbeat_response)
SLUICE_GROUP_CODEC(leave_group_request)
SLUICE_GROUP_CODEC(leave_group_response)
SLUICE_GROUP_CODEC(offset_commit_request)
SLUICE_GROUP_CODEC(offset_commit_response)
SLUICE_GROUP_CODEC(offset_fetch_request)
SLUICE_GROUP_CODEC(offset_fetch_response)
SLUICE_GROUP_CODEC(list_groups_request)
SLUICE_GROUP_CODEC(list_groups_response)
SLUICE_GROUP_CODEC(describe_groups_request)
SLUICE_GROUP_CODEC(describe_groups_response)

#undef SLUICE_GROUP_CODEC

} // namespace sluice::schema
