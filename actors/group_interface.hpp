#pragma once

// The actors of consumer groups, node-local like the partition actor:
//
//   group manager (one per node): owns the materialised view (group_store), answers the
//     node's group requests by routing each to its group's coordinator, loads each partition
//     of __consumer_offsets from its log, and appends what coordinators persist, one append in
//     flight per partition so the view's applied offset only moves forward.
//   group coordinator (one per group, spawned on first use): the membership protocol
//     (group_membership) and the group's committed offsets.
//
// A group lives in partition_for_group(group) of __consumer_offsets; a coordinator exists only
// while that partition is loaded on this node. In a cluster a node loads the partitions it
// leads, so coordinators move with the partition leaders, and a node forwards a group request
// to the node leading its group's partition.

#include "actors/atoms.hpp"
#include "actors/group_assignor.hpp"
#include "actors/metadata_interface.hpp"
#include "actors/node_interface.hpp"
#include "actors/offsets_record.hpp"
#include "actors/topic_interface.hpp"
#include "schema/envelope.hpp"
#include "schema/group.hpp"
#include "schema/inspect.hpp"
#include "schema/txn.hpp"
#include "schema/type_ids.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

namespace sluice::actors {

// Records a coordinator wants in its partition of __consumer_offsets; the reply says whether
// they are in the log (and the view), so the coordinator may acknowledge.
struct persist_request {
  partition_id partition{0};
  std::vector<offsets_record> records;
};

struct persist_reply {
  schema::error error; // none: in the log and the view
};

// Every topic's partition count, sent to coordinators whenever one changes.
struct partition_count_update {
  partition_counts counts;
};

// What a coordinator sends its manager: records to persist, and (group_dead_atom, its group)
// once the group's offsets and metadata are all tombstoned, so the manager can stop it.
using group_persister =
  caf::typed_actor<caf::replies_to<persist_atom, persist_request>::with<persist_reply>,
                   caf::reacts_to<group_dead_atom, std::string>>;

using group_coordinator_actor = caf::typed_actor<
  caf::replies_to<join_group_atom, schema::join_group_request>::with<schema::envelope>,
  caf::replies_to<sync_group_atom, schema::sync_group_request>::with<schema::envelope>,
  caf::replies_to<heartbeat_atom, schema::heartbeat_request>::with<schema::envelope>,
  caf::replies_to<leave_group_atom, schema::leave_group_request>::with<schema::envelope>,
  caf::replies_to<offset_commit_atom, schema::offset_commit_request>::with<schema::envelope>,
  caf::replies_to<offset_fetch_atom, schema::offset_fetch_request>::with<schema::envelope>,
  caf::replies_to<write_txn_offsets_atom, schema::txn_offset_commit_request>::with<schema::envelope>,
  caf::replies_to<describe_groups_atom>::with<schema::describe_groups_response::group>,
  caf::replies_to<list_groups_atom>::with<schema::list_groups_response::group>,
  caf::reacts_to<partition_counts_atom, partition_count_update>,
  caf::reacts_to<tick_atom>,
  // true (and the coordinator stops) when the group is still dead: nothing the manager sent
  // before this message revived it.
  caf::replies_to<retire_atom>::with<bool>,
  caf::replies_to<state_atom>::with<std::string>>;

using group_manager_actor = group_request_actor::extend<
  caf::replies_to<persist_atom, persist_request>::with<persist_reply>,
  caf::reacts_to<group_dead_atom, std::string>,
  // The node hosts __consumer_offsets (again, after a restart of its topic actor).
  caf::reacts_to<offsets_log_atom, topic_actor>,
  caf::reacts_to<topic_update_atom, topic_spec>,
  caf::reacts_to<topic_deleted_atom, std::string>,
  // Cluster mode: who leads each partition of __consumer_offsets, and the other nodes.
  caf::reacts_to<partition_states_atom, partition_states>,
  caf::reacts_to<peers_atom, controller_peers>,
  // Its state line, then its coordinators' lines.
  caf::replies_to<state_atom>::with<std::string>,
  // The groups this node coordinates, by id (inspect).
  caf::replies_to<inspect_atom>::with<std::vector<schema::group_status>>>;

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::persist_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::persist_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::partition_count_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::join_group_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::sync_group_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::heartbeat_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::leave_group_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::offset_commit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::offset_fetch_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::txn_offset_commit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::describe_groups_response::group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::list_groups_response::group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sluice::schema::group_status>)
