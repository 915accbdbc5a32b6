#pragma once

// The delay manager: one per node, the actor shell around the delivery schedulers of the
// `__delayed` partitions this node leads (actors/delay_scheduler.hpp; README "Delayed
// delivery"), as the txn manager is for transaction coordinators:
//
//   - owns the node's index of `__delayed` (delay_store, DATA/delayed) and, for each partition
//     it leads (a single node: all of them), a scheduler that reads the partition's committed
//     records from its indexed-through offset on, with long-polling fetches (a new leader
//     catches its index up from the log this way);
//   - ticks every scheduler every tick_interval (and right after each read), so a record is
//     sent well within a second of its deliver-at;
//   - appends the schedulers' control records through the local partition actor with
//     acks=all, and sends deliveries as produce requests to the node leading each target
//     partition (known from the metadata's partition states; this node when unknown);
//   - takes a producer id from the node (an idempotent producer's InitProducerId) once per
//     partition, which the scheduler records in the partition's log.
//
// A partition this node stops leading is dropped at once: answers for it are ignored.

#include "actors/atoms.hpp"
#include "actors/delay_scheduler.hpp"
#include "actors/metadata_interface.hpp"
#include "actors/node_interface.hpp"
#include "actors/partition_states.hpp"
#include "actors/topic_interface.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>

namespace sluice::actors {

using delay_manager_actor = caf::typed_actor<
  // The node hosts __delayed (again, after a restart of its topic actor).
  caf::reacts_to<delayed_log_atom, topic_actor>,
  caf::reacts_to<topic_update_atom, topic_spec>,
  caf::reacts_to<topic_deleted_atom, std::string>,
  // Cluster mode: every topic's partition leaders (its own partitions, and where deliveries
  // go), and the other nodes.
  caf::reacts_to<partition_states_atom, partition_states>,
  caf::reacts_to<peers_atom, controller_peers>,
  caf::reacts_to<tick_atom>,
  caf::replies_to<state_atom>::with<std::string>>;

struct delay_manager_args {
  std::filesystem::path dir; // DATA/delayed: the LMDB index (delay_store.hpp)
  node_id node{0};
  bool cluster = false;
  node_actor self; // producer ids, and deliveries to partitions no other node is known to lead
  std::chrono::milliseconds tick_interval{100}; // 0: none (tests)
  delay_limits limits;
  std::function<int64_t()> now_ms; // wall-clock ms (deliver-at times are); default system clock
};

delay_manager_actor spawn_delay_manager(caf::actor_system& sys, delay_manager_args args);

} // namespace sluice::actors
