#pragma once

#include "actors/group_coordinator.hpp"
#include "actors/group_interface.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <filesystem>

namespace sluice::actors {

struct group_manager_args {
  std::filesystem::path dir;          // DATA/groups: the LMDB view (group_store.hpp)
  node_id node{0};
  std::chrono::milliseconds tick_interval{100}; // coordinators' session checks; 0: none
  group_limits limits;
  // Makes member ids unique per coordinator incarnation; 0: drawn at random.
  uint64_t incarnation = 0;
  // Cluster mode: a partition of __consumer_offsets is loaded, and its groups coordinated,
  // only while this node leads it (partition_states); requests for the others go to the
  // leader's node (peers). On a single node every partition is local.
  bool cluster = false;
};

// See group_interface.hpp. Until the node hands it __consumer_offsets (offsets_log_atom) and a
// partition is loaded, requests for that partition's groups are answered with
// coordinator_not_available, which clients retry.
group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_args args);

} // namespace sluice::actors
