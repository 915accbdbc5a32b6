#pragma once

// The metadata actor of a cluster (sluiced --controllers): the metadata_actor interface backed
// by a Raft group over the controller nodes instead of a local LMDB table.
//
// Every controller runs one: a Raft actor (cluster/raft_actor.hpp) replicating the metadata
// log, and the metadata_image (actors/metadata_image.hpp) it applies committed records to, so
// every controller answers from its own copy and the subscribers on its node (the node's topic
// hosting) hear every change in log order.
//
// Writes (create/delete topics, add partitions, broker registrations and fencing) are validated
// by the leader against its image, placed (cluster/placement.hpp) and proposed as records; a
// controller that does not lead forwards the request to the leader's node and, before
// answering, waits until its own image applied the leader's answer (read-your-writes on the node
// a client talks to). Reads are linearizable: the leader appends a barrier record and answers
// once it applied it; a follower asks the leader for that index and answers from its own image
// once it got there. With no leader known a request waits for one up to request_timeout, then
// fails with not_controller.
//
// Broker membership: every node heartbeats to the leader (the first heartbeat registers it;
// its broker epoch is the Raft index of the registration). The leader keeps heartbeat times in
// memory only; a broker silent for broker_session_timeout_ms is fenced (a record), and
// unfenced by its next heartbeat. A new leader gives every broker a full session.
//
// The node is told the topic table only once this controller caught up with the leader (one
// linearizable read), so a restarting node never mistakes a stale table for deleted topics.

#include "actors/metadata_interface.hpp"
#include "actors/topic_table.hpp"
#include "cluster/raft.hpp"
#include "schema/result.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

struct controller_address {
  node_id id{0};
  std::string host;
  uint16_t port = 0;

  bool operator==(const controller_address&) const = default;
};

// "id@host:port". invalid_config naming the entry otherwise.
schema::result<controller_address> parse_controller_address(std::string_view s);
// A whole --controllers list: 1, 3 or 5 distinct ids.
schema::result<std::vector<controller_address>> parse_controllers(const std::vector<std::string>& list);

struct controller_args {
  node_id self{0};
  std::string host; // advertised: where clients and other nodes reach this node
  uint16_t port = 0;
  std::optional<std::string> rack;
  std::vector<controller_address> controllers; // includes self
  std::filesystem::path raft_dir;              // DATA/raft
  topic_config defaults;
  topic_limits limits;
  cluster::raft_config raft;
  uint64_t seed = 1;
  size_t snapshot_every = 1000; // applied records between snapshots
  int64_t broker_session_timeout_ms = 9000;
  int64_t broker_heartbeat_interval_ms = 2000;
  std::chrono::milliseconds request_timeout{10'000}; // waiting for a leader
  std::chrono::milliseconds tick_interval{100};      // leader's session checks, retries
};

metadata_actor spawn_controller(caf::actor_system& sys, controller_args args);

} // namespace sluice::actors
