#pragma once

// The node actor: one per process. Spawns and supervises the metadata actor and one topic
// actor per hosted topic (which own the partition actors), restores the topics the metadata
// store holds, and answers the client interface (actors/node_interface.hpp): it decodes each
// envelope, fans the request out per topic and partition, gathers the answers and encodes the
// response. It never throws out of a handler and keeps serving after any bad input.
//
// Publishing it on a port is the caller's job (tools/sluiced): publish the node_actor view
// once `ready` has answered.

#include "actors/metadata_interface.hpp"
#include "actors/node_config.hpp"
#include "actors/node_interface.hpp"
#include "actors/partition_interface.hpp"

#include <caf/actor_system.hpp>

namespace sluice::actors {

using node_internal_actor = node_actor::extend<
  // The metadata's changes (the node subscribes to them).
  caf::reacts_to<topic_update_atom, topic_spec>,
  caf::reacts_to<topic_deleted_atom, std::string>,
  caf::reacts_to<partition_states_atom, partition_states>,
  // Parked fetches of multi-partition requests reporting appended bytes.
  caf::reacts_to<fetch_progress_atom, uint64_t, int64_t>,
  // Self-sent: a fetch session's deadline (node_data.cpp).
  caf::reacts_to<fetch_expire_atom, uint64_t>,
  // True once the topics of the metadata store are restored; an error if the store did not
  // open (the node cannot serve).
  caf::replies_to<ready_atom>::with<bool>,
  // Cluster mode: connect (again) to the node of this controller.
  caf::reacts_to<peers_atom, node_id>,
  // Create __consumer_offsets if it does not exist yet.
  caf::reacts_to<ensure_offsets_atom>>;

node_internal_actor spawn_node(caf::actor_system& sys, node_config config);

} // namespace sluice::actors
