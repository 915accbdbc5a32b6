#include "schema/envelope.hpp"

#include <algorithm>

namespace sluice::schema {

const char* to_string(message_kind k) noexcept {
  switch (k) {
    case message_kind::none: return "none";
    case message_kind::produce_request: return "produce_request";
    case message_kind::produce_response: return "produce_response";
    case message_kind::fetch_request: return "fetch_request";
    case message_kind::fetch_response: return "fetch_response";
    case message_kind::metadata_request: return "metadata_request";
    case message_kind::metadata_response: return "metadata_response";
    case message_kind::create_topics_request: return "create_topics_request";
    case message_kind::create_topics_response: return "create_topics_response";
    case message_kind::delete_topics_request: return "delete_topics_request";
    case message_kind::delete_topics_response: return "delete_topics_response";
    case message_kind::list_topics_request: return "list_topics_request";
    case message_kind::list_topics_response: return "list_topics_response";
    case message_kind::list_offsets_request: return "list_offsets_request";
    case message_kind::list_offsets_response: return "list_offsets_response";
    case message_kind::error_response: return "error_response";
    case message_kind::create_partitions_request: return "create_partitions_request";
    case message_kind::create_partitions_response: return "create_partitions_response";
    case message_kind::describe_configs_request: return "describe_configs_request";
    case message_kind::describe_configs_response: return "describe_configs_response";
    case message_kind::join_group_request: return "join_group_request";
    case message_kind::join_group_response: return "join_group_response";
    case message_kind::sync_group_request: return "sync_group_request";
    case message_kind::sync_group_response: return "sync_group_response";
    case message_kind::heartbeat_request: return "heartbeat_request";
    case message_kind::heartbeat_response: return "heartbeat_response";
    case message_kind::leave_group_request: return "leave_group_request";
    case message_kind::leave_group_response: return "leave_group_response";
    case message_kind::offset_commit_request: return "offset_commit_request";
    case message_kind::offset_commit_response: return "offset_commit_response";
    case message_kind::offset_fetch_request: return "offset_fetch_request";
    case message_kind::offset_fetch_response: return "offset_fetch_response";
    case message_kind::list_groups_request: return "list_groups_request";
    case message_kind::list_groups_response: return "list_groups_response";
    case message_kind::describe_groups_request: return "describe_groups_request";
    case message_kind::describe_groups_response: return "describe_groups_response";
    case message_kind::raft_message: return "raft_message";
    case message_kind::broker_heartbeat_request: return "broker_heartbeat_request";
    case message_kind::broker_heartbeat_response: return "broker_heartbeat_response";
    case message_kind::cluster_status_request: return "cluster_status_request";
    case message_kind::cluster_status_response: return "cluster_status_response";
    case message_kind::alter_partition_request: return "alter_partition_request";
    case message_kind::alter_partition_response: return "alter_partition_response";
    case message_kind::offset_for_leader_epoch_request: return "offset_for_leader_epoch_request";
    case message_kind::offset_for_leader_epoch_response: return "offset_for_leader_epoch_response";
    case message_kind::reassign_partitions_request: return "reassign_partitions_request";
    case message_kind::reassign_partitions_response: return "reassign_partitions_response";
    case message_kind::elect_leaders_request: return "elect_leaders_request";
    case message_kind::elect_leaders_response: return "elect_leaders_response";
    case message_kind::decommission_broker_request: return "decommission_broker_request";
    case message_kind::decommission_broker_response: return "decommission_broker_response";
    case message_kind::inspect_request: return "inspect_request";
    case message_kind::inspect_response: return "inspect_response";
    case message_kind::init_producer_id_request: return "init_producer_id_request";
    case message_kind::init_producer_id_response: return "init_producer_id_response";
    case message_kind::allocate_producer_ids_request: return "allocate_producer_ids_request";
    case message_kind::allocate_producer_ids_response: return "allocate_producer_ids_response";
    case message_kind::add_partitions_to_txn_request: return "add_partitions_to_txn_request";
    case message_kind::add_partitions_to_txn_response: return "add_partitions_to_txn_response";
    case message_kind::txn_offset_commit_request: return "txn_offset_commit_request";
    case message_kind::txn_offset_commit_response: return "txn_offset_commit_response";
    case message_kind::end_txn_request: return "end_txn_request";
    case message_kind::end_txn_response: return "end_txn_response";
    case message_kind::list_transactions_request: return "list_transactions_request";
    case message_kind::list_transactions_response: return "list_transactions_response";
    case message_kind::describe_transactions_request: return "describe_transactions_request";
    case message_kind::describe_transactions_response: return "describe_transactions_response";
    case message_kind::write_txn_markers_request: return "write_txn_markers_request";
    case message_kind::write_txn_markers_response: return "write_txn_markers_response";
    case message_kind::share_fetch_request: return "share_fetch_request";
    case message_kind::share_fetch_response: return "share_fetch_response";
    case message_kind::share_acknowledge_request: return "share_acknowledge_request";
    case message_kind::share_acknowledge_response: return "share_acknowledge_response";
    case message_kind::share_state_write_request: return "share_state_write_request";
    case message_kind::share_state_write_response: return "share_state_write_response";
    case message_kind::share_state_read_request: return "share_state_read_request";
    case message_kind::share_state_read_response: return "share_state_read_response";
  }
  return "unknown";
}

std::vector<char> flat_bytes(const envelope& e) {
  if (!e.tail)
    return e.bytes;
  std::vector<char> out;
  out.reserve(e.size());
  out.insert(out.end(), e.bytes.begin(), e.bytes.end());
  for (auto& p : e.tail->pieces)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

void make_flat(envelope& e) {
  if (!e.tail)
    return;
  e.bytes = flat_bytes(e);
  e.tail.reset();
}

bool envelope::operator==(const envelope& other) const {
  if (kind != other.kind || size() != other.size())
    return false;
  if (!tail && !other.tail)
    return bytes == other.bytes;
  return flat_bytes(*this) == flat_bytes(other);
}

} // namespace sluice::schema
