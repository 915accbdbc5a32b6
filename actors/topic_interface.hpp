#pragma once

// The topic actor: one per topic hosted on a node. Routes requests to its partition actors
// (checking the partition is in range), holds the topic's config, restarts a partition actor
// that crashed (from its log), and grows the partition set when the metadata says so.
// Node-local, like the partition actor.

#include "actors/partition_interface.hpp"
#include "actors/topic_spec.hpp"

namespace sluice::actors {

using topic_actor = caf::typed_actor<
  caf::replies_to<produce_atom, partition_id, append_request>::with<append_reply>,
  caf::replies_to<write_txn_markers_atom, partition_id, txn_marker>::with<txn_marker_reply>,
  caf::replies_to<fetch_atom, partition_id, partition_fetch>::with<fetch_reply>,
  caf::reacts_to<fetch_done_atom, partition_id, uint64_t>,
  caf::replies_to<list_offsets_atom, partition_id, offsets_query>::with<offsets_reply>,
  caf::replies_to<epoch_query_atom, partition_id, epoch_query>::with<epoch_reply>,
  // Cluster mode: the replication state of every partition (index = partition).
  caf::reacts_to<partition_states_atom, partition_states>,
  // The metadata changed the topic (more partitions).
  caf::reacts_to<topic_update_atom, topic_spec>,
  // Deletes every partition's data, answers, then quits.
  caf::replies_to<delete_data_atom>::with<bool>,
  // Its own state line, then its partitions' lines indented below it.
  caf::replies_to<state_atom>::with<std::string>,
  // Each hosted partition's replica_status, by partition (one that did not answer: its error).
  caf::replies_to<inspect_atom>::with<std::vector<schema::replica_status>>,
  // The partition's current actor (invalid when out of range): for supervision tests, and
  // for whoever must watch one partition.
  caf::replies_to<lookup_atom, partition_id>::with<partition_actor>>;

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sluice::schema::replica_status>)
