#pragma once

// The transaction manager: one per node, the actor shell around the transaction coordinator's
// protocol (actors/txn_coordinator.hpp), as the group manager is for groups:
//
//   - owns the materialised view of __transaction_state (txn_store, DATA/transactions) and
//     loads each partition of the topic this node leads (a single node: all of them) by
//     replaying its log from the view's applied offset; a transaction found in Prepare* is
//     driven on (markers again, then Complete*). Requests for ids of a partition still loading
//     are answered coordinator_not_available (retriable).
//   - in a cluster, forwards requests for ids of partitions another node leads to that node.
//   - appends the coordinator's records through the local partition actor with acks=all, one
//     append in flight per partition so the view's applied offset only moves forward, and
//     replies only once they are durable.
//   - sends markers as write_txn_markers_request envelopes to the node leading each partition
//     (one request per node per round), and a committed transaction's group offsets to the
//     node's group manager (write_txn_offsets_atom), which routes them to the group.
//   - ticks the coordinator (timeouts, retries) every tick_interval.
//   - takes fresh producer ids from the node (an init_producer_id without transactional id,
//     answered out of the node's block) only when the coordinator needs one.

#include "actors/atoms.hpp"
#include "actors/group_interface.hpp"
#include "actors/metadata_interface.hpp"
#include "actors/node_interface.hpp"
#include "actors/partition_states.hpp"
#include "actors/topic_interface.hpp"
#include "actors/txn_coordinator.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>

namespace sluice::actors {

using txn_manager_actor = txn_request_actor::extend<
  // Transactional producers' InitProducerId (the node routes the ones with a transactional id).
  caf::replies_to<init_producer_id_atom, schema::envelope>::with<schema::envelope>,
  // The node hosts __transaction_state (again, after a restart of its topic actor).
  caf::reacts_to<txn_log_atom, topic_actor>,
  caf::reacts_to<topic_update_atom, topic_spec>,
  caf::reacts_to<topic_deleted_atom, std::string>,
  // Cluster mode: every topic's partition leaders (its own partitions, and where markers go),
  // and the other nodes.
  caf::reacts_to<partition_states_atom, partition_states>,
  caf::reacts_to<peers_atom, controller_peers>,
  caf::reacts_to<tick_atom>,
  caf::replies_to<state_atom>::with<std::string>>;

struct txn_manager_args {
  std::filesystem::path dir; // DATA/transactions: the LMDB view (txn_store.hpp)
  node_id node{0};
  // Cluster mode: only the partitions of __transaction_state this node leads are loaded;
  // requests for the others go to the leader's node (peers).
  bool cluster = false;
  // The node: fresh producer ids, and the markers of partitions no other node is known to lead.
  node_actor self;
  // Where a committed transaction's offsets go (the node's group manager).
  group_request_actor groups;
  std::chrono::milliseconds tick_interval{100}; // timeouts and retries; 0: none (tests)
  txn_limits limits;
  std::function<int64_t()> now_ms; // wall-clock ms (start times outlive the node); default system clock
};

txn_manager_actor spawn_txn_manager(caf::actor_system& sys, txn_manager_args args);

} // namespace sluice::actors
