#pragma once

// The share manager (one per node, KIP-932's share-partition leader side): hosts the
// share-partitions (actors/share_partition.hpp) of the partitions this node leads, one per
// (share group, topic partition), and answers share fetch and share acknowledge requests for
// them. Node-local: the node routes each request's partitions (topic actor, leader epoch,
// config) and hands them over as plain structs.
//
// A share-partition is loaded on first use from the group's coordinator (share_state_read
// through the node, which forwards it to the coordinator's node; one the coordinator does not
// know is written there at once, so describe lists it) and every change is persisted
// there (share_state_write) before the request that made it is answered: acquisitions (so a
// delivery count survives a failover) and acknowledgements (so an acknowledged record is never
// delivered again). Writes of one share-partition are one at a time; the changes made while a
// write is in flight go out together in the next one. A write or read that fails, or a leader
// epoch newer than the loaded one, drops the share-partition: the next request loads it again
// from what was persisted, so memory never runs ahead of the coordinator for long.
//
// Share fetch long-polls: a round reads each partition's log from where the share-partition
// wants to acquire (no waiting in the partition actor); when nothing was acquired anywhere and
// max_wait_ms has not passed, the round is tried again after poll_interval (new records or an
// expired lock make records available).

#include "actors/atoms.hpp"
#include "actors/node_interface.hpp"
#include "actors/share_partition.hpp"
#include "actors/topic_interface.hpp"
#include "schema/envelope.hpp"
#include "schema/share.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace sluice::actors {

// How the node routed one partition of a share request.
struct share_target {
  schema::error error;   // set: refused by the node (unknown partition, not its leader)
  topic_actor topic;
  leader_epoch epoch{0}; // the partition's leader epoch on this node (0 on a single node)
  share_config config;   // from the topic's share.* configs
};

struct share_fetch_work {
  schema::share_fetch_request request;
  std::vector<share_target> targets; // one per request partition, same order
};

struct share_ack_work {
  schema::share_acknowledge_request request;
  std::vector<share_target> targets;
};

// Where the share manager persists and loads state: the node (which routes to the group
// manager of the coordinator's node).
using share_state_store = caf::typed_actor<
  caf::replies_to<share_state_write_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<share_state_read_atom, schema::envelope>::with<schema::envelope>>;

using share_manager_actor = caf::typed_actor<
  caf::replies_to<share_fetch_atom, share_fetch_work>::with<schema::envelope>,
  caf::replies_to<share_ack_atom, share_ack_work>::with<schema::envelope>,
  // Its state line, then one line per share-partition.
  caf::replies_to<state_atom>::with<std::string>>;

struct share_manager_args {
  share_state_store store;
  std::chrono::milliseconds poll_interval{50};
  int32_t max_wait_ms_limit = 30'000;
  // The clock of lock deadlines, in ms; tests pass their own.
  std::function<int64_t()> now_ms;
};

share_manager_actor spawn_share_manager(caf::actor_system& sys, share_manager_args args);

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::share_fetch_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::share_ack_work)
