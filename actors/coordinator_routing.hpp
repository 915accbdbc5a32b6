#pragma once

// Where the coordinator of a key lives when keys are placed on the partitions of an internal
// topic (consumer groups on __consumer_offsets, transactional ids on __transaction_state):
// with the leader of the key's partition. A single node leads every partition; in a cluster
// the metadata says who leads each one, and a request for a partition another node leads is
// forwarded to that node. Owned by one manager actor; no locking.

#include "actors/node_interface.hpp"
#include "schema/errc.hpp"
#include "store/types.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

struct coordinator_routing {
  std::string topic; // the internal topic, for messages
  node_id self{0};
  bool cluster = false;
  std::vector<std::optional<node_id>> leaders; // cluster mode: per partition of `topic`
  std::map<node_id, node_actor> nodes;         // cluster mode: the nodes to forward to

  bool leads(size_t p) const {
    return !cluster || (p < leaders.size() && leaders[p] == self);
  }

  // The node leading partition `p` when it is another node; nullopt when it is this one, or
  // when nobody can coordinate `what` now (`err` set: retriable coordinator_not_available).
  std::optional<node_actor> other_leader(size_t p, const std::string& what,
                                         schema::error& err) const {
    if (!cluster)
      return std::nullopt;
    auto leader = p < leaders.size() ? leaders[p] : std::nullopt;
    if (!leader) {
      err = {schema::errc::coordinator_not_available,
             topic + "-" + std::to_string(p) + " (the coordinator of " + what
               + ") has no leader right now: retry"};
      return std::nullopt;
    }
    if (*leader == self)
      return std::nullopt;
    auto n = nodes.find(*leader);
    if (n == nodes.end()) {
      err = {schema::errc::coordinator_not_available,
             "the coordinator of " + what + " is on node " + std::to_string(leader->value)
               + ", which this node cannot reach: retry"};
      return std::nullopt;
    }
    return n->second;
  }
};

} // namespace sluice::actors
