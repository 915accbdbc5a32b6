#pragma once

// The CAF type-id block of Sluice: every type that crosses nodes inside a caf::message, and
// the atoms that name the requests. Remote messages need real type ids in CAF 0.17
// (CAF_ALLOW_UNSAFE_MESSAGE_TYPE works only in-process), and each actor_system_config must
// load the block: call sluice::schema::register_message_types(cfg) before the system starts.
//
// Append only: a type id is its position in the block, and nodes of one cluster must agree.

#include "schema/envelope.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(sluice, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(sluice, (sluice::schema::envelope))

  // One atom per request an envelope can carry; the kind tag inside must agree with it.
  // CAF 0.17 atoms are at most 10 characters.
  CAF_ADD_ATOM(sluice, sluice, produce_atom, "produce")
  CAF_ADD_ATOM(sluice, sluice, fetch_atom, "fetch")
  CAF_ADD_ATOM(sluice, sluice, metadata_atom, "metadata")
  CAF_ADD_ATOM(sluice, sluice, create_topics_atom, "topics_new")
  CAF_ADD_ATOM(sluice, sluice, delete_topics_atom, "topics_del")
  CAF_ADD_ATOM(sluice, sluice, list_topics_atom, "topics_ls")
  CAF_ADD_ATOM(sluice, sluice, list_offsets_atom, "offsets")
  CAF_ADD_ATOM(sluice, sluice, inspect_atom, "inspect")
  CAF_ADD_ATOM(sluice, sluice, create_partitions_atom, "parts_add")
  CAF_ADD_ATOM(sluice, sluice, describe_configs_atom, "configs")
  CAF_ADD_ATOM(sluice, sluice, join_group_atom, "grp_join")
  CAF_ADD_ATOM(sluice, sluice, sync_group_atom, "grp_sync")
  CAF_ADD_ATOM(sluice, sluice, heartbeat_atom, "grp_beat")
  CAF_ADD_ATOM(sluice, sluice, leave_group_atom, "grp_leave")
  CAF_ADD_ATOM(sluice, sluice, offset_commit_atom, "ofs_commit")
  CAF_ADD_ATOM(sluice, sluice, offset_fetch_atom, "ofs_fetch")
  CAF_ADD_ATOM(sluice, sluice, list_groups_atom, "grp_list")
  CAF_ADD_ATOM(sluice, sluice, describe_groups_atom, "grp_desc")
  // Cluster (issue 6): broker membership, status, and what controllers ask each other.
  CAF_ADD_ATOM(sluice, sluice, broker_heartbeat_atom, "brk_beat")
  CAF_ADD_ATOM(sluice, sluice, cluster_status_atom, "cl_status")
  CAF_ADD_ATOM(sluice, sluice, controller_write_atom, "ctl_write")
  CAF_ADD_ATOM(sluice, sluice, read_index_atom, "read_index")
  // Replication (issue 7): a partition leader's ISR change, to its node's metadata actor.
  CAF_ADD_ATOM(sluice, sluice, alter_partition_atom, "alter_part")
  // A follower's KIP-279 query to a partition leader's node (offset_for_leader_epoch_request).
  CAF_ADD_ATOM(sluice, sluice, epoch_query_atom, "epoch_qry")
  // Operations (issue 7): partition reassignment, preferred leader election, decommissioning.
  CAF_ADD_ATOM(sluice, sluice, reassign_partitions_atom, "reassign")
  CAF_ADD_ATOM(sluice, sluice, elect_leaders_atom, "elect_lead")
  CAF_ADD_ATOM(sluice, sluice, decommission_broker_atom, "decommissn")
  // Idempotent producers (issue 9): client -> node, node -> controller.
  CAF_ADD_ATOM(sluice, sluice, init_producer_id_atom, "pid_init")
  CAF_ADD_ATOM(sluice, sluice, allocate_producer_ids_atom, "pid_alloc")
  // Transactions (issue 9): producer -> coordinator, operator -> any node, and the markers a
  // coordinator writes to partition leaders (node -> node, and node -> partition actor).
  CAF_ADD_ATOM(sluice, sluice, add_partitions_to_txn_atom, "txn_addpt")
  CAF_ADD_ATOM(sluice, sluice, txn_offset_commit_atom, "txn_ofs")
  CAF_ADD_ATOM(sluice, sluice, end_txn_atom, "txn_end")
  CAF_ADD_ATOM(sluice, sluice, list_transactions_atom, "txn_list")
  CAF_ADD_ATOM(sluice, sluice, describe_transactions_atom, "txn_desc")
  CAF_ADD_ATOM(sluice, sluice, write_txn_markers_atom, "txn_marker")
  // A committed transaction's offsets (txn_offset_commit_request), transaction coordinator ->
  // the group's coordinator (through its node), written without the member checks of a
  // consumer's commit: Kafka materialises TxnOffsetCommit at the commit marker the same way.
  CAF_ADD_ATOM(sluice, sluice, write_txn_offsets_atom, "txn_ofs_wr")
  // Share groups (issue 10, KIP-932, schema/share.hpp): a share consumer -> the partition
  // leader's node; that node -> the share group's coordinator (through its group manager).
  CAF_ADD_ATOM(sluice, sluice, share_fetch_atom, "shr_fetch")
  CAF_ADD_ATOM(sluice, sluice, share_ack_atom, "shr_ack")
  CAF_ADD_ATOM(sluice, sluice, share_state_write_atom, "shr_write")
  CAF_ADD_ATOM(sluice, sluice, share_state_read_atom, "shr_read")

CAF_END_TYPE_ID_BLOCK(sluice)

namespace sluice::schema {

inline void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::sluice>();
}

} // namespace sluice::schema
