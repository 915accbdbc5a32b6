#pragma once

// The messages Raft replicas exchange (cluster/raft.hpp) and their codec (schema/codec.hpp;
// wire form in schema/raft.capnp): plain values, here beside the other wire messages so that
// the codec can stay the only user of capnp. cluster/raft_types.hpp names them for the core.
// Section numbers cite Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm (Extended Version)", and Ongaro's thesis §9.6 for pre-vote and §5 for snapshots.

#include "schema/codec.hpp"
#include "store/named_type.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace sluice::schema {

// Raft's term: a logical clock that only grows; at most one leader per term (§5.2).
using raft_term = named_type<int64_t, struct raft_term_tag>;
// Position in the replicated log. The first entry is 1; 0 is "before the log" and has term 0.
using log_index = named_type<int64_t, struct log_index_tag>;

struct log_entry {
  raft_term term;
  log_index index;
  // Opaque to Raft. Empty is the no-op a new leader appends (§5.4.2, §8): the state machine
  // skips it; raft_node::propose refuses an empty command so the two cannot be confused.
  std::string command;

  bool operator==(const log_entry&) const = default;
};

// Thesis §9.6: "would you vote for me in `term`?" sent before incrementing any term. `term` is
// the candidate's current term + 1; the receiver does not adopt it.
struct pre_vote_request {
  raft_term term;
  log_index last_index;
  raft_term last_term;

  bool operator==(const pre_vote_request&) const = default;
};

// Granted: `term` echoes the request's term. Refused: `term` is the responder's own term, so a
// pre-candidate that is behind learns the current term.
struct pre_vote_response {
  raft_term term;
  bool granted = false;

  bool operator==(const pre_vote_response&) const = default;
};

// RequestVote (§5.2, §5.4.1).
struct vote_request {
  raft_term term;
  log_index last_index;
  raft_term last_term;

  bool operator==(const vote_request&) const = default;
};

struct vote_response {
  raft_term term;
  bool granted = false;

  bool operator==(const vote_response&) const = default;
};

// AppendEntries (§5.3). An empty `entries` is a heartbeat. `leader` repeats the sender so a
// shell may route it without the envelope.
struct append_request {
  raft_term term;
  node_id leader;
  log_index prev_index;
  raft_term prev_term;
  std::vector<log_entry> entries; // a batch: indexes prev_index+1, prev_index+2, ...
  log_index leader_commit;

  bool operator==(const append_request&) const = default;
};

// Success: the follower's log matches the leader's up to and including `match_index`.
// Failure: `rejected_index` is the prev_index refused, and (hint_index, hint_term) is the
// follower's last entry at or below it whose term is <= the request's prev_term (etcd's
// fast back-off; every index between hint_index and rejected_index is known to conflict).
// A failure with a higher `term` instead tells a stale leader to step down.
struct append_response {
  raft_term term;
  bool success = false;
  log_index match_index;
  log_index rejected_index;
  log_index hint_index;
  raft_term hint_term;

  bool operator==(const append_response&) const = default;
};

// The state machine's state after applying every entry up to and including `index` (§7). It
// replaces that prefix of the log, so (index, term) stands in for its last entry in the
// consistency check of the next append.
struct raft_snapshot {
  log_index index; // the last entry it covers
  raft_term term;  // that entry's term
  std::string data; // opaque to Raft

  bool operator==(const raft_snapshot&) const = default;
};

// InstallSnapshot (§7): sent instead of entries when those a follower needs next were
// compacted away. One message carries the whole snapshot: metadata snapshots are small.
struct install_snapshot_request {
  raft_term term;
  node_id leader;
  raft_snapshot snapshot;

  bool operator==(const install_snapshot_request&) const = default;
};

// The follower's log now matches the leader's through `match_index`: the snapshot's index, or
// the follower's commit index when the snapshot was older than what it had already committed.
struct install_snapshot_response {
  raft_term term;
  log_index match_index;

  bool operator==(const install_snapshot_response&) const = default;
};

// New alternatives go at the end: the index is the wire union's order (schema/raft.capnp).
using raft_payload = std::variant<pre_vote_request, pre_vote_response, vote_request,
                                  vote_response, append_request, append_response,
                                  install_snapshot_request, install_snapshot_response>;

struct raft_message {
  static constexpr message_kind kind = message_kind::raft_message;

  node_id from;
  node_id to;
  raft_payload payload;

  bool operator==(const raft_message&) const = default;
};

envelope encode(const raft_message& x);

template <>
result<raft_message> decode_bytes<raft_message>(std::span<const char> bytes);

} // namespace sluice::schema
