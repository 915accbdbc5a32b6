#pragma once

// The node as seen from inside one of the client's actors: its handle while the connection
// lives, and the way back after it dropped (an asynchronous connect through the middleman,
// so the actor never blocks). An attached in-process node has no address and no way back.

#include "actors/node_interface.hpp"
#include "client/error.hpp"
#include "client/node_address.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace sluice::client {

class node_link {
public:
  node_link(actors::node_actor node, std::optional<node_address> address)
    : node_(std::move(node)), address_(std::move(address)) {}

  // Monitor the node from `self` (call from make_behavior, then route down_msgs to on_down).
  void watch(caf::event_based_actor* self);
  // Returns whether the down message was about the node (which is then forgotten).
  bool on_down(const caf::down_msg& dm);

  bool up() const { return static_cast<bool>(node_); }
  bool connecting() const { return connecting_; }
  bool can_reconnect() const { return address_.has_value(); }
  const actors::node_actor& node() const { return node_; }
  std::string peer() const;

  // One connect attempt unless one is running; `done` runs in `self`'s context with the result.
  void reconnect(caf::event_based_actor* self, std::chrono::milliseconds timeout,
                 std::function<void(const error&)> done);

private:
  actors::node_actor node_;
  std::optional<node_address> address_;
  bool connecting_ = false;
};

} // namespace sluice::client
