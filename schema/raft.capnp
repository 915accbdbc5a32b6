@0xe6b1c2d3a4f50917;
# Raft between controller nodes (cluster/raft.hpp): one message per envelope, the payload a
# union of the Raft messages. Field meanings are those of cluster/raft_types.hpp.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

struct RaftMessage {
  from @0 :Int32;
  to @1 :Int32;
  payload :union {
    preVoteRequest @2 :VoteRequest;
    preVoteResponse @3 :VoteResponse;
    voteRequest @4 :VoteRequest;
    voteResponse @5 :VoteResponse;
    appendRequest @6 :AppendRequest;
    appendResponse @7 :AppendResponse;
    installSnapshotRequest @8 :InstallSnapshotRequest;
    installSnapshotResponse @9 :InstallSnapshotResponse;
  }
  # New members take new ordinals at the end; existing ones are never renumbered.
  # A discriminant this build does not know makes the message invalidRequest.

  struct VoteRequest {
    term @0 :Int64;
    lastIndex @1 :Int64;
    lastTerm @2 :Int64;
  }

  struct VoteResponse {
    term @0 :Int64;
    granted @1 :Bool;
  }

  struct Entry {
    term @0 :Int64;
    index @1 :Int64;
    command @2 :Data;   # empty: the no-op a new leader appends
  }

  struct AppendRequest {
    term @0 :Int64;
    leader @1 :Int32;
    prevIndex @2 :Int64;
    prevTerm @3 :Int64;
    entries @4 :List(Entry);
    leaderCommit @5 :Int64;
  }

  struct AppendResponse {
    term @0 :Int64;
    success @1 :Bool;
    matchIndex @2 :Int64;
    rejectedIndex @3 :Int64;
    hintIndex @4 :Int64;
    hintTerm @5 :Int64;
  }

  struct Snapshot {
    index @0 :Int64;    # the last entry it covers
    term @1 :Int64;     # that entry's term
    data @2 :Data;      # the state machine's state after applying through `index`
  }

  struct InstallSnapshotRequest {
    term @0 :Int64;
    leader @1 :Int32;
    snapshot @2 :Snapshot;
  }

  struct InstallSnapshotResponse {
    term @0 :Int64;
    matchIndex @1 :Int64;
  }
}
