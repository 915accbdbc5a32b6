@0xf55a0e80232e35e7;
# Inspection (issue 8): what `sluice inspect` shows of one node. A client asks every node of a
# cluster on its own (a node answers for itself only, so an inspection needs no controller
# quorum and a dead node costs only its own answer): the actor tree as text, and structured
# summaries of the partition replicas the node hosts and the consumer groups it coordinates,
# taken from the partition actors' replication cores and the group coordinators.
# Framing and conventions: see common.capnp. The summaries are for people: a replica or group
# that did not answer in time carries an error text instead of its fields.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct InspectRequest {
  filter @0 :Text;  # keep the tree's actors whose name contains it; empty: every actor
}

struct InspectResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  nodeId @2 :Int32;
  tree @3 :Text;                  # "<kind> <name> (mailbox N): <state>", children indented
  replicas @4 :List(Replica);     # sorted by topic, then partition
  groups @5 :List(Group);         # sorted by group id
  controllers @6 :List(Peer);     # the controllers the node was started with (cluster mode)
  requests @7 :List(RequestStats); # the node's request meters since it started (issue 11)

  struct Replica {
    topic @0 :Text;
    partition @1 :Int32;
    role @2 :Text;                # leader, follower, none
    leaderId @3 :Int32 = -1;      # as the metadata says; -1: none (offline)
    leaderEpoch @4 :Int32 = -1;
    logStart @5 :Int64 = -1;      # this replica's log
    logEnd @6 :Int64 = -1;
    highWatermark @7 :Int64 = -1;
    replicas @8 :List(Int32);
    isr @9 :List(Int32);
    followers @10 :List(Follower);  # the leader's view of the other replicas
    error @11 :Text;              # empty: the fields above hold
  }

  struct Follower {
    nodeId @0 :Int32;
    fetchOffset @1 :Int64 = -1;   # its log end, as its last fetch showed; -1: none this epoch
    lagRecords @2 :Int64 = -1;    # the leader's log end minus fetchOffset; -1: unknown
    caughtUpMsAgo @3 :Int64 = -1; # since it last reached the leader's log end (at most since
                                  # the leader's epoch began)
    inIsr @4 :Bool;
  }

  struct Group {
    groupId @0 :Text;
    state @1 :Text;               # empty, preparing_rebalance, completing_rebalance, stable, dead
    generation @2 :Int32 = -1;
    protocol @3 :Text;            # the assignor chosen
    leader @4 :Text;              # member id of the group leader
    offsetsPartition @5 :Int32;   # the partition of __consumer_offsets that holds it
    members @6 :List(Member);
    error @7 :Text;

    struct Member {
      memberId @0 :Text;
      groupInstanceId @1 :Text;   # empty: a dynamic member
      partitions @2 :Int32;       # assigned to it
    }
  }

  # One kind of request the node answered (produce, fetch, replica_fetch): how many, how many
  # bytes they carried, and a histogram of the time from arrival to answer.
  struct RequestStats {
    kind @0 :Text;
    count @1 :UInt64;
    errors @2 :UInt64;            # answered with an error for at least one partition
    bytes @3 :UInt64;             # produced record bytes in, fetched record bytes out
    latencySumMicros @4 :UInt64;
    latencyBuckets @5 :List(UInt64); # per bound of schema::latency_bounds_us (not cumulative),
                                     # then one for everything above the last bound
  }

  struct Peer {
    nodeId @0 :Int32;
    host @1 :Text;
    port @2 :UInt16;
  }
}
