#pragma once

// The node a client's group, admin and metadata requests go to (any node will do: each
// forwards what another must answer, e.g. a group request to its coordinator's node). Shared
// by the connection, which replaces a node that failed (connection::recover), and the client's
// actors (the consumer's heartbeat), which read it per request and report a node that did not
// answer. Thread-safe; holds no actor system, so an actor may keep it past the connection.

#include "actors/node_interface.hpp"
#include "client/node_address.hpp"

#include <mutex>
#include <optional>

namespace sluice::client {

class home_node {
public:
  struct entry {
    actors::node_actor node;
    std::optional<node_address> address; // nullopt: an attached in-process node
  };

  explicit home_node(entry e) : e_(std::move(e)) {}

  entry get() const {
    std::lock_guard lock{mtx_};
    return e_;
  }

  // A request to `node` found it gone or silent: until it is replaced, the next blocking call
  // looks for another node first. A report about a node already replaced is dropped.
  void failed(const actors::node_actor& node) {
    std::lock_guard lock{mtx_};
    if (node == e_.node)
      suspect_ = true;
  }

  bool suspect() const {
    std::lock_guard lock{mtx_};
    return suspect_;
  }

  void replace(entry e) {
    std::lock_guard lock{mtx_};
    e_ = std::move(e);
    suspect_ = false;
  }

private:
  mutable std::mutex mtx_;
  entry e_;
  bool suspect_ = false;
};

} // namespace sluice::client
