#include "kafka/api.hpp"

#include <algorithm>
#include <array>

namespace sluice::kafka {

namespace {

constexpr std::array apis{
  api_range{api_key::produce, 3, 3},
  api_range{api_key::fetch, 4, 4},
  api_range{api_key::list_offsets, 1, 1},
  api_range{api_key::metadata, 0, 1},
  api_range{api_key::offset_commit, 2, 2},
  api_range{api_key::offset_fetch, 1, 1},
  api_range{api_key::find_coordinator, 0, 0},
  api_range{api_key::join_group, 0, 1},
  api_range{api_key::heartbeat, 0, 0},
  api_range{api_key::leave_group, 0, 0},
  api_range{api_key::sync_group, 0, 0},
  api_range{api_key::api_versions, 0, 2},
  api_range{api_key::create_topics, 0, 0},
  api_range{api_key::delete_topics, 0, 0},
};

static_assert(std::is_sorted(apis.begin(), apis.end(),
                             [](const api_range& a, const api_range& b) { return a.key < b.key; }));

} // namespace

std::span<const api_range> supported_apis() { return apis; }

std::optional<api_range> find_api(int16_t key) {
  for (const auto& a : apis)
    if (static_cast<int16_t>(a.key) == key)
      return a;
  return std::nullopt;
}

int16_t to_kafka(schema::errc e) {
  using schema::errc;
  switch (e) {
    case errc::none: return code::none;
    case errc::unknown_topic_or_partition: return code::unknown_topic_or_partition;
    case errc::invalid_topic: return code::invalid_topic_exception;
    case errc::not_leader: return code::not_leader_or_follower;
    case errc::offset_out_of_range: return code::offset_out_of_range;
    case errc::record_too_large: return code::message_too_large;
    case errc::corrupt_message: return code::corrupt_message;
    case errc::invalid_request: return code::invalid_request;
    case errc::request_timed_out: return code::request_timed_out;
    case errc::not_enough_replicas: return code::not_enough_replicas;
    case errc::topic_already_exists: return code::topic_already_exists;
    case errc::invalid_partitions: return code::invalid_partitions;
    case errc::invalid_replication_factor: return code::invalid_replication_factor;
    case errc::invalid_config: return code::invalid_config;
    case errc::unknown_server_error: return code::unknown_server_error;
    case errc::leader_not_available: return code::leader_not_available;
    case errc::fenced_leader_epoch: return code::fenced_leader_epoch;
    case errc::unknown_leader_epoch: return code::unknown_leader_epoch;
    case errc::not_enough_replicas_after_append: return code::not_enough_replicas_after_append;
    case errc::not_controller: return code::not_controller;
    case errc::storage_error: return code::kafka_storage_error;
    case errc::unknown_member_id: return code::unknown_member_id;
    case errc::illegal_generation: return code::illegal_generation;
    case errc::rebalance_in_progress: return code::rebalance_in_progress;
    case errc::fenced_instance_id: return code::fenced_instance_id;
    case errc::inconsistent_group_protocol: return code::inconsistent_group_protocol;
    case errc::coordinator_not_available: return code::coordinator_not_available;
    case errc::non_empty_group: return code::non_empty_group;
    case errc::group_id_not_found: return code::group_id_not_found;
    case errc::invalid_group_id: return code::invalid_group_id;
    case errc::invalid_session_timeout: return code::invalid_session_timeout;
    case errc::stale_broker_epoch: return code::stale_broker_epoch;
    case errc::invalid_replica_assignment: return code::invalid_replica_assignment;
    case errc::no_reassignment_in_progress: return code::no_reassignment_in_progress;
    case errc::out_of_order_sequence: return code::out_of_order_sequence_number;
    case errc::invalid_producer_epoch: return code::invalid_producer_epoch;
    case errc::concurrent_transactions: return code::concurrent_transactions;
    case errc::invalid_txn_state: return code::invalid_txn_state;
    case errc::transactional_id_not_found: return code::transactional_id_not_found;
    case errc::invalid_transaction_timeout: return code::invalid_transaction_timeout;
    case errc::invalid_record: return code::invalid_record;
    case errc::invalid_record_state: return code::invalid_record_state;
  }
  return code::unknown_server_error;
}

} // namespace sluice::kafka
