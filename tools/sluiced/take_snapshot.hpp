#pragma once

// Asks a node for what its HTTP endpoints show (tools/sluiced/node_snapshot.hpp), from a
// thread outside the actor system (an HTTP worker): the node's inspection, then each
// coordinated group's committed offsets, each request bounded by `timeout`. The actors
// answer from their own mailboxes; nothing here touches their state.

#include "actors/node_interface.hpp"
#include "tools/sluiced/node_snapshot.hpp"
#include "tools/sluiced/scheduler_probe.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <string>
#include <variant>

namespace sluice::tools {

// Whom a snapshot asks: the node, and sluiced's scheduler probe.
struct snapshot_sources {
  actors::node_actor node;
  scheduler_probe probe;
};

// The snapshot, or one line saying why the node did not answer (a probe that does not answer
// leaves the scheduler delay empty).
std::variant<node_snapshot, std::string> take_snapshot(caf::actor_system& sys, const snapshot_sources& from,
                                                       std::chrono::milliseconds timeout);

} // namespace sluice::tools
