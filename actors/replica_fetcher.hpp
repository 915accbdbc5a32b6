#pragma once

// One replica fetcher per (this node, leader broker): it fetches for every partition this node
// follows from that broker with one request at a time, batched over the partitions and long
// polling at the leader (Kafka's ReplicaFetcherThread). A round first asks the leader where
// the epochs of partitions that start following end (offset_for_leader_epoch, KIP-279), then
// fetches the others from their log ends; each partition's part goes to its partition actor,
// whose answer says where to go on, and the next round starts when every part was handled.
// Records are appended by the partition actor, never copied here beyond the response.
// A round that is not done within the long poll plus a slack is abandoned by a watchdog
// and started again (replica_fetcher.cpp says why and how).

#include "actors/node_interface.hpp"
#include "actors/replica_manager.hpp"

namespace sluice::actors {

using replica_fetcher_actor = caf::typed_actor<
  caf::reacts_to<follow_atom, follow_entry>,
  caf::reacts_to<unfollow_atom, follow_entry>,
  // The leader broker's node actor; invalid while the link is down.
  caf::reacts_to<peers_atom, node_actor>,
  caf::reacts_to<fetch_round_atom>,
  // Self-sent: the round watchdog checks the deadline of the round under way.
  caf::reacts_to<tick_atom>,
  caf::replies_to<state_atom>::with<std::string>>;

struct replica_fetcher_args {
  node_id self{0};
  node_id leader{0};
  node_actor leader_node; // may be invalid at first
  replica_manager_args limits;
};

replica_fetcher_actor spawn_replica_fetcher(caf::actor_system& sys, replica_fetcher_args args);

} // namespace sluice::actors
