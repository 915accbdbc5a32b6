#pragma once

// The Kafka APIs the listener serves, the versions it advertises in ApiVersions, and Kafka's
// error codes. Each range is the lowest one librdkafka (Debian bookworm's 2.0.2; 1.9 alike)
// accepts for the feature that needs the API (rdkafka_feature.c): record batch v2 needs
// Produce v3 and Fetch v4, balanced consumer groups need FindCoordinator v0, OffsetCommit
// v1-2, OffsetFetch v1 and JoinGroup/SyncGroup/Heartbeat/LeaveGroup v0, time-based offsets
// ListOffsets v1. None of these versions is "flexible" (KIP-482), so no compact strings or
// tagged fields are spoken, except that an ApiVersions request of a newer version is answered
// in the v0 layout with unsupported_version (KIP-511), after which the client retries with a
// version from the list.

#include "schema/errc.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace sluice::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
};

struct api_range {
  api_key key;
  int16_t min_version;
  int16_t max_version;
};

// Every API the listener serves, sorted by key (librdkafka bsearches its copy after sorting).
std::span<const api_range> supported_apis();

// The range of `key`, or nullopt when the listener does not serve it.
std::optional<api_range> find_api(int16_t key);

// Kafka's error codes (the protocol guide's "Error Codes") that the listener sends.
namespace code {
inline constexpr int16_t none = 0;
inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t offset_out_of_range = 1;
inline constexpr int16_t corrupt_message = 2;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t leader_not_available = 5;
inline constexpr int16_t not_leader_or_follower = 6;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t message_too_large = 10;
inline constexpr int16_t coordinator_not_available = 15;
inline constexpr int16_t not_coordinator = 16;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t record_list_too_large = 18;
inline constexpr int16_t not_enough_replicas = 19;
inline constexpr int16_t not_enough_replicas_after_append = 20;
inline constexpr int16_t illegal_generation = 22;
inline constexpr int16_t inconsistent_group_protocol = 23;
inline constexpr int16_t invalid_group_id = 24;
inline constexpr int16_t unknown_member_id = 25;
inline constexpr int16_t invalid_session_timeout = 26;
inline constexpr int16_t rebalance_in_progress = 27;
inline constexpr int16_t unsupported_version = 35;
inline constexpr int16_t topic_already_exists = 36;
inline constexpr int16_t invalid_partitions = 37;
inline constexpr int16_t invalid_replication_factor = 38;
inline constexpr int16_t invalid_replica_assignment = 39;
inline constexpr int16_t invalid_config = 40;
inline constexpr int16_t not_controller = 41;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t unsupported_for_message_format = 43;
inline constexpr int16_t out_of_order_sequence_number = 45;
inline constexpr int16_t invalid_producer_epoch = 47;
inline constexpr int16_t invalid_txn_state = 48;
inline constexpr int16_t invalid_transaction_timeout = 50;
inline constexpr int16_t invalid_record = 87; // a record the topic refuses (keyless, compacted)
inline constexpr int16_t invalid_record_state = 121; // KIP-932: acknowledging a record not held
inline constexpr int16_t concurrent_transactions = 51;
inline constexpr int16_t kafka_storage_error = 56;
inline constexpr int16_t non_empty_group = 68;
inline constexpr int16_t group_id_not_found = 69;
inline constexpr int16_t fenced_leader_epoch = 74;
inline constexpr int16_t unknown_leader_epoch = 75;
inline constexpr int16_t unsupported_compression_type = 76;
inline constexpr int16_t stale_broker_epoch = 77;
inline constexpr int16_t fenced_instance_id = 82;
inline constexpr int16_t no_reassignment_in_progress = 85;
inline constexpr int16_t transactional_id_not_found = 105;
} // namespace code

// The Kafka code of a Sluice error code (schema::errc names follow Kafka's, see schema/errc.hpp).
int16_t to_kafka(schema::errc e);

} // namespace sluice::kafka
