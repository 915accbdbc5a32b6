#pragma once

#include "actors/group_interface.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::actors {

struct group_limits {
  // Kafka's group.min/max.session.timeout.ms: a join outside them is invalid_session_timeout.
  int32_t min_session_timeout_ms = 100;
  int32_t max_session_timeout_ms = 30 * 60 * 1000;
  // Kafka's offsets.retention.minutes (KIP-211): a group without members loses a committed
  // offset once this long has passed since both the group became empty and the offset was
  // committed; with its last offset gone the group is removed (a tombstone in
  // __consumer_offsets). A group with members keeps its offsets however old. Looked at every
  // offsets.retention.check.interval.ms.
  int64_t offsets_retention_ms = int64_t{7} * 24 * 3600 * 1000;
  int64_t offsets_retention_check_ms = 600'000;
};

struct coordinator_args {
  std::string group;
  partition_id partition{0};          // of __consumer_offsets, where the group's records go
  group_persister persister;
  std::vector<offset_commit_record> offsets; // committed offsets, as loaded
  std::optional<group_metadata_value> metadata; // last stored generation, if any
  partition_counts counts;
  std::string member_id_prefix;       // unique per coordinator incarnation
  std::chrono::milliseconds tick_interval{100}; // session and rebalance timeouts; 0: none
  group_limits limits;
};

// The coordinator of one group: the shell around group_membership (the protocol) that parks
// joins until their rebalance completes, keeps the committed offsets, and persists commits
// and generations through the persister before acknowledging them. Time is the actor clock,
// so CAF's test coordinator drives sessions deterministically.
group_coordinator_actor spawn_group_coordinator(caf::actor_system& sys, coordinator_args args);

} // namespace sluice::actors
