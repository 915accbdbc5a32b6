#pragma once

// `sluice inspect` across a cluster: which nodes to ask, and asking all of them at once, each
// within its own timeout, so that a dead or stuck node costs its own line and never the
// others' (the nodes answer for themselves: actors/node_inspect.cpp).

#include "client/connection.hpp"
#include "client/node_address.hpp"
#include "client/result.hpp"
#include "schema/inspect.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace sluice::client {

struct inspect_target {
  node_id id{-1}; // -1: not known (an address given by hand)
  node_address address;
  std::string note; // what the controllers say of it ("fenced"); empty: nothing to say
};

struct node_inspection {
  inspect_target target;
  result<schema::inspect_response> answer; // unreachable / timed_out when it did not answer
};

// Who to ask, with a warning to show when the list is a fallback.
struct inspect_plan {
  std::vector<inspect_target> targets; // by node id
  std::string warning;
};

// The nodes of the cluster: every broker the controllers registered, fenced ones included (a
// fenced broker may still run: paused, cut off); a single node (no controllers) is the only
// one. Without a controller quorum (cluster status fails or takes longer than 2 s), the
// controllers the connection's home node (the bootstrap node that answered) was started with,
// and a warning saying so.
result<inspect_plan> list_nodes(const connection& conn, std::chrono::milliseconds timeout);

// Asks every target concurrently (connect, then inspect_request) from one actor of the
// connection's system and returns one inspection per target, in order, after at most
// `timeout` and some scheduling slack. The connection's home node is asked over its own
// link; an attached in-process node stands for every address (tests).
std::vector<node_inspection> inspect_nodes(const connection& conn,
                                           const std::vector<inspect_target>& targets,
                                           const std::string& filter,
                                           std::chrono::milliseconds timeout);

struct cluster_inspection {
  std::vector<node_inspection> nodes; // by node id
  std::string warning;                // how the nodes were found, when not from the controllers
};

// One snapshot of the whole cluster: the connection's home node first (its answer says
// whether it is alone, and names the controllers when the quorum is gone; when it does not
// answer, the connection moves to the next node it knows), then every other node of
// list_nodes at once; no node is asked twice. `known` holds the nodes of the previous
// snapshot and is updated: when no home node answers they are asked instead (a watch
// outlives the nodes it started with). Fails only when no home node answers and `known` is
// empty.
result<cluster_inspection> inspect_cluster(const connection& conn, const std::string& filter,
                                           std::chrono::milliseconds timeout,
                                           std::vector<inspect_target>& known);

} // namespace sluice::client
