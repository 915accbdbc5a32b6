#pragma once

// The text `sluice inspect` prints of each node (README, "Inspection across nodes"): a header
// line, the actor tree with mailbox sizes, the partition replicas the node hosts (role,
// epoch, log, HW, ISR and, on a leader, each follower's position, lag and time since it was
// last caught up) and the consumer groups it coordinates. Lines are stable for scripts: a
// replica line starts with "<topic>-<partition>  <role>", a follower line with "follower N",
// an unreachable node's only line with "node N  HOST:PORT ... unreachable: ".

#include "client/cluster_inspect.hpp"

#include <string>
#include <vector>

namespace sluice::client {

struct report_options {
  bool tree_only = false; // an actor filter was given: its lines only, no summaries
};

// One node's block, ending in a newline.
std::string render_node(const node_inspection& n, const report_options& opts = {});

// "3 nodes  2 answered  1 unreachable", for the top of a snapshot.
std::string render_tally(const std::vector<node_inspection>& nodes);

} // namespace sluice::client
