#pragma once

// Asks a node for what its HTTP endpoints show (tools/sluiced/node_snapshot.hpp), from a
// thread outside the actor system (an HTTP worker): the node's inspection, then each
// coordinated group's committed offsets, each request bounded by `timeout`. The actors
// answer from their own mailboxes; nothing here touches their state.

#include "actors/node_interface.hpp"
#include "tools/sluiced/node_snapshot.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <string>
#include <variant>

namespace sluice::tools {

// The snapshot, or one line saying why the node did not answer.
std::variant<node_snapshot, std::string> take_snapshot(caf::actor_system& sys, const actors::node_actor& node,
                                                       std::chrono::milliseconds timeout);

} // namespace sluice::tools
