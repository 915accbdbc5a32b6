#pragma once

// A node as seen from inside one of the client's actors: its handle while the connection
// lives, and the way back after it dropped (an asynchronous connect, so the actor never
// blocks). An attached in-process node has no address and no way back.

#include "actors/node_interface.hpp"
#include "client/error.hpp"
#include "client/node_address.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace sluice::client {

// How a link reaches the node at an address: the middleman's connect for real nodes
// (middleman_connector, over TLS when the actor system has it), a lookup of in-process nodes
// in tests (connection::attach_cluster).
// `done` runs later in `self`'s context, with the node's handle or why there is none.
using connect_done = std::function<void(actors::node_actor, const error&)>;
using node_connector = std::function<void(caf::event_based_actor* self, const node_address& addr,
                                          std::chrono::milliseconds timeout, connect_done done)>;

node_connector middleman_connector();

class node_link {
public:
  node_link(actors::node_actor node, std::optional<node_address> address, node_connector connector = {})
    : node_(std::move(node)), address_(std::move(address)), connector_(std::move(connector)) {}

  // Monitor the node from `self` (call from make_behavior, then route down_msgs to on_down).
  void watch(caf::event_based_actor* self);
  // Returns whether the down message was about the node (which is then forgotten).
  bool on_down(const caf::down_msg& dm);

  bool up() const { return static_cast<bool>(node_); }
  bool connecting() const { return connecting_; }
  bool can_reconnect() const { return address_.has_value() && static_cast<bool>(connector_); }
  const actors::node_actor& node() const { return node_; }
  const std::optional<node_address>& address() const { return address_; }
  const node_connector& connector() const { return connector_; }
  std::string peer() const;

  // One connect attempt unless one is running; `done` runs in `self`'s context with the result.
  // The link must stay where it is until then.
  void reconnect(caf::event_based_actor* self, std::chrono::milliseconds timeout,
                 std::function<void(const error&)> done);

private:
  actors::node_actor node_;
  std::optional<node_address> address_;
  node_connector connector_;
  bool connecting_ = false;
};

} // namespace sluice::client
