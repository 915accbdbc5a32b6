#pragma once

// The vocabulary of the Raft core (cluster/raft.hpp): terms, indexes, log entries and the
// messages replicas exchange (defined with their codec in schema/raft.hpp), and what a replica
// persists. Plain values, no CAF.

#include "schema/raft.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sluice::cluster {

using schema::append_request;
using schema::append_response;
using schema::install_snapshot_request;
using schema::install_snapshot_response;
using schema::log_entry;
using schema::log_index;
using schema::pre_vote_request;
using schema::pre_vote_response;
using schema::raft_message;
using schema::raft_payload;
using schema::raft_snapshot;
using schema::raft_term;
using schema::vote_request;
using schema::vote_response;

// What survives a crash: the caller persists it whenever raft_ready::hard carries it. The
// commit index is not persisted: after a restart it starts at the snapshot's index (everything
// a snapshot covers was committed), the rest is re-learnt from the leader, and the state
// machine is rebuilt from the snapshot and by re-applying the log after it.
struct hard_state {
  raft_term term;
  std::optional<node_id> voted_for; // in `term`

  bool operator==(const hard_state&) const = default;
};

// What a node restarts from: its last persisted hard state, snapshot and log. The log holds
// indexes snapshot->index + 1, + 2, ... (1, 2, ... without a snapshot).
struct raft_persisted {
  hard_state hard;
  std::vector<log_entry> log;
  std::optional<raft_snapshot> snapshot = {};
};

const char* message_name(const raft_payload& p) noexcept;

} // namespace sluice::cluster
