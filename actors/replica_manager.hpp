#pragma once

// The node's replica fetchers (cluster mode): a follower partition registers here with the
// broker it follows (follow), and the manager hands it to the fetcher of that broker
// (actors/replica_fetcher.hpp), spawning one per leader broker, so that every partition this
// node follows from one broker shares one long-poll fetch (Kafka's ReplicaFetcherManager).
// The node tells it where the other brokers' node actors are (peers) as links come and go.

#include "actors/metadata_interface.hpp"
#include "actors/partition_interface.hpp"

#include <caf/actor_system.hpp>

#include <string>

namespace sluice::actors {

struct follow_entry {
  std::string topic;
  partition_id partition{0};
  node_id leader{-1};
  partition_actor actor;
  follower_position position;
};

using replica_manager_actor = caf::typed_actor<
  caf::reacts_to<follow_atom, follow_entry>,
  // Stop fetching for the partition (it leads now, or follows nobody); only `actor`'s entry.
  caf::reacts_to<unfollow_atom, follow_entry>,
  caf::reacts_to<peers_atom, controller_peers>,
  caf::replies_to<state_atom>::with<std::string>>;

struct replica_manager_args {
  node_id self{0};
  int32_t max_wait_ms = 500;        // a fetch's long poll at the leader
  int32_t max_bytes = 16 << 20;     // per fetch response
  int32_t partition_max_bytes = 1 << 20;
};

replica_manager_actor spawn_replica_manager(caf::actor_system& sys, replica_manager_args args);

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::follow_entry)
