#pragma once

// The interface a Sluice node publishes on its --listen port: what clients
// (client/, tools/sluice) and, later, other nodes talk to. Every request and
// reply is a schema::envelope holding one Cap'n Proto message, so the same
// bytes can cross nodes; the atom names the request and must agree with the
// envelope's kind.
//
// Reply contract: a request is answered with the matching response kind
// (produce_request -> produce_response, ...), whose per-topic / per-partition
// error codes say what went wrong for each part. A request that cannot be
// decoded at all is answered with an error_response envelope (code and a
// one-line message) instead. acks=0 produce requests are still answered (with
// base offsets of -1), so a client can bound its requests in flight.

#include "cluster/raft_actor.hpp"
#include "schema/envelope.hpp"
#include "schema/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace sluice::actors {

// Consumer groups (schema/group.capnp): answered by the group's coordinator, through the
// node's group manager, which offers the same interface (actors/group_interface.hpp).
using group_request_actor = caf::typed_actor<
  caf::replies_to<join_group_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<sync_group_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<heartbeat_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<leave_group_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<offset_commit_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<offset_fetch_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<list_groups_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<describe_groups_atom, schema::envelope>::with<schema::envelope>,
  // A committed transaction's offsets (txn_offset_commit_request -> txn_offset_commit_response),
  // from a transaction coordinator: written to the group whatever its members' generation.
  caf::replies_to<write_txn_offsets_atom, schema::envelope>::with<schema::envelope>,
  // Share groups (schema/share.hpp): a share-partition leader persists its state with the
  // group's coordinator (share_state_write_request, answered once in the log) and a new leader
  // reads it back (share_state_read_request).
  caf::replies_to<share_state_write_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<share_state_read_atom, schema::envelope>::with<schema::envelope>>;

// Transactions (schema/txn.capnp): answered by the transactional id's coordinator, through the
// node's txn manager (actors/txn_manager.hpp), which forwards to the coordinator's node.
using txn_request_actor = caf::typed_actor<
  caf::replies_to<add_partitions_to_txn_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<txn_offset_commit_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<end_txn_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<list_transactions_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<describe_transactions_atom, schema::envelope>::with<schema::envelope>>;

using node_actor = caf::typed_actor<
  caf::replies_to<produce_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<fetch_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<metadata_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<create_topics_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<delete_topics_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<list_topics_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<list_offsets_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<create_partitions_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<describe_configs_atom, schema::envelope>::with<schema::envelope>,
  // `sluice inspect [ACTOR]`: the node's actor tree with mailbox sizes and each
  // actor's state (its inspect()), rendered as text; the argument filters by
  // actor name ("" for all).
  caf::replies_to<inspect_atom, std::string>::with<std::string>,
  // The same tree with summaries of the node's partition replicas and consumer groups
  // (inspect_request -> inspect_response, schema/inspect.hpp): what `sluice inspect` asks
  // every node of a cluster. The node answers for itself, without its controller.
  caf::replies_to<inspect_atom, schema::envelope>::with<schema::envelope>,
  // An idempotent producer's id and epoch (init_producer_id_request, schema/producer_id.hpp),
  // out of the node's block of ids (actors/producer_id_block.hpp); with a transactional id,
  // answered by its transaction coordinator (through the txn manager).
  caf::replies_to<init_producer_id_atom, schema::envelope>::with<schema::envelope>,
  // A transaction coordinator's markers (write_txn_markers_request, schema/txn_marker.hpp):
  // each (marker, partition) goes to the partition's leader here, answered in request order
  // once the marker is below the partition's high watermark.
  caf::replies_to<write_txn_markers_atom, schema::envelope>::with<schema::envelope>,
  // Cluster mode: answered by (or through) the node's metadata controller, see
  // actors/metadata_interface.hpp. Clients send the first two and the operations below;
  // controllers the first four.
  caf::replies_to<broker_heartbeat_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<cluster_status_atom, schema::envelope>::with<schema::envelope>,
  caf::reacts_to<cluster::raft_atom, schema::envelope>,
  caf::replies_to<controller_write_atom, schema::envelope, bool>::with<schema::envelope, int64_t>,
  caf::replies_to<read_index_atom>::with<int64_t>,
  // Replication: a follower's epoch query (offset_for_leader_epoch_request) to the node of the
  // partitions' leader; its fetches are fetch requests with replica_id set.
  caf::replies_to<epoch_query_atom, schema::envelope>::with<schema::envelope>,
  // Operations (issue 7), through the node's controller to the leader: partition reassignment,
  // preferred leader election, decommissioning a broker.
  caf::replies_to<reassign_partitions_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<elect_leaders_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<decommission_broker_atom, schema::envelope>::with<schema::envelope>,
  // Share groups (schema/share.hpp, actors/share_manager.hpp): acquire records of, and
  // acknowledge them to, the share-partitions this node leads.
  caf::replies_to<share_fetch_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<share_ack_atom, schema::envelope>::with<schema::envelope>>::extend_with<group_request_actor>::extend_with<txn_request_actor>;

} // namespace sluice::actors
