@0xe948d0c9c7756c06;
# Cluster membership and status (issue 6). A broker registers with the controller quorum and
# then heartbeats (both BrokerHeartbeat, as KRaft's BrokerRegistration + BrokerHeartbeat); any
# node answers ClusterStatus by asking the controller leader. Brokers send these to any
# controller's node; a follower controller forwards them to its leader. A partition leader
# asks for ISR changes with AlterPartition (Kafka's AlterPartition, issue 7). Operators move
# partitions (ReassignPartitions, KIP-455), elect preferred leaders and decommission brokers
# through any node, whose controller forwards them to its leader.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct BrokerHeartbeatRequest {
  nodeId @0 :Int32;
  host @1 :Text;            # advertised address of the broker
  port @2 :UInt16;
  rack @3 :Text;            # empty: no rack
  brokerEpoch @4 :Int64 = -1;  # -1: register (a new process); else the epoch it registered with
}

struct BrokerHeartbeatResponse {
  errorCode @0 :Common.ErrorCode;  # staleBrokerEpoch: register again; notController: retry
  errorMessage @1 :Text;
  brokerEpoch @2 :Int64 = -1;      # the registration's epoch (the Raft index of its record)
  fenced @3 :Bool;                 # the broker missed its session and leads no partition
  leaderId @4 :Int32 = -1;         # the controller leader that answered
}

struct ClusterStatusRequest {
  unused @0 :Bool;  # no fields yet
}

struct ClusterStatusResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  leaderId @2 :Int32 = -1;      # the controller leader, -1 while none is elected
  term @3 :Int64;               # the leader's Raft term
  commitIndex @4 :Int64;        # of the metadata log
  controllers @5 :List(Controller);
  brokers @6 :List(Broker);

  struct Controller {
    nodeId @0 :Int32;
    host @1 :Text;
    port @2 :UInt16;
    matchIndex @3 :Int64 = -1;  # how far its log matches the leader's; -1: unknown
  }

  struct Broker {
    nodeId @0 :Int32;
    host @1 :Text;
    port @2 :UInt16;
    rack @3 :Text;
    brokerEpoch @4 :Int64;
    fenced @5 :Bool;
    lastHeartbeatMsAgo @6 :Int64 = -1;  # -1: none since this leader took over
    replicas @7 :Int32;                 # partition replicas assigned to it
    leaderOf @8 :Int32;                 # partitions it leads
    decommissioned @9 :Bool;            # takes no new replicas; its own are moving away
  }
}

struct AlterPartitionRequest {
  topic @0 :Text;
  partition @1 :Int32;
  leaderId @2 :Int32;        # the proposing leader
  leaderEpoch @3 :Int32;     # its epoch
  partitionEpoch @4 :Int32;  # the state the proposal was computed from
  isr @5 :List(Int32);       # the whole new ISR, leader included
  seq @6 :UInt64;            # increasing per leader epoch; a refused seq stays refused
}

struct AlterPartitionResponse {
  errorCode @0 :Common.ErrorCode;  # none: committed; else refused (final for this seq)
  errorMessage @1 :Text;
  leaderId @2 :Int32 = -1;         # the partition's state after the request
  leaderEpoch @3 :Int32 = -1;
  partitionEpoch @4 :Int32 = -1;
  isr @5 :List(Int32);
}

struct OffsetForLeaderEpochRequest {
  # A follower starting a leader epoch asks where its latest epoch ends in the leader's log
  # (KIP-101 / KIP-279) and truncates its divergent tail there before fetching.
  replicaId @0 :Int32;
  partitions @1 :List(PartitionRequest);

  struct PartitionRequest {
    topic @0 :Text;
    partition @1 :Int32;
    currentLeaderEpoch @2 :Int32 = -1;  # the epoch the follower follows; fenced when stale
    leaderEpoch @3 :Int32;              # the follower's latest epoch in its own log (-1: none)
  }
}

struct OffsetForLeaderEpochResponse {
  partitions @0 :List(PartitionResponse);

  struct PartitionResponse {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
    leaderEpoch @4 :Int32 = -1;  # the largest epoch of the leader <= the one asked (-1: none)
    endOffset @5 :Int64 = -1;    # where it ends in the leader's log
  }
}

struct ReassignPartitionsRequest {
  # KIP-455's AlterPartitionReassignments: each partition moves to its target replicas while it
  # serves (the target and the original replicas together until every target replica is in
  # the ISR), or its move in progress is cancelled (back to the original replicas).
  partitions @0 :List(Partition);

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
    replicas @2 :List(Int32);  # the target, preferred leader first; empty with cancel
    cancel @3 :Bool;
  }
}

struct ReassignPartitionsResponse {
  partitions @0 :List(Partition);  # one per partition asked, in request order

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;  # invalidReplicaAssignment, noReassignmentInProgress, ...
    errorMessage @3 :Text;
    replicas @4 :List(Int32);        # the partition's replicas after the request
    addingReplicas @5 :List(Int32);  # both empty: no move in progress (done at once, or none)
    removingReplicas @6 :List(Int32);
  }
}

struct ElectLeadersRequest {
  # Preferred leader election: each partition whose first replica is alive, in the ISR and not
  # leading gets it as leader (next leader epoch).
  topic @0 :Text;  # empty: every topic
}

struct ElectLeadersResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  elected @2 :List(Election);  # the leaderships that moved

  struct Election {
    topic @0 :Text;
    partition @1 :Int32;
    from @2 :Int32 = -1;  # the leader before, -1: none (offline)
    to @3 :Int32;
    leaderEpoch @4 :Int32;
  }
}

struct DecommissionBrokerRequest {
  # The broker takes no new replicas and every replica it holds moves to another live broker
  # (all partitions or none); `cancel` makes it a placement candidate again.
  nodeId @0 :Int32;
  cancel @1 :Bool;
}

struct DecommissionBrokerResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  moves @2 :List(Move);  # the moves this request started or redirected

  struct Move {
    topic @0 :Text;
    partition @1 :Int32;
    replicas @2 :List(Int32);  # the new target
  }
}
