@0xd4a1f0c3b2e69a57;
# Consumer groups: Kafka's group coordinator protocol (JoinGroup, SyncGroup, Heartbeat,
# LeaveGroup, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups). The coordinator computes
# the assignment itself (actors/group_membership.hpp), so SyncGroup carries no assignments in
# and JoinGroup carries the subscription as plain fields instead of opaque protocol metadata.
# Framing and conventions: see common.capnp. groupInstanceId is unset (null) for a dynamic
# member; an empty memberId is a member joining for the first time.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct GroupPartition {
  topic @0 :Text;
  partition @1 :Int32;
}

struct JoinGroupRequest {
  groupId @0 :Text;
  sessionTimeoutMs @1 :Int32;
  rebalanceTimeoutMs @2 :Int32;
  memberId @3 :Text;
  groupInstanceId @4 :Text;
  protocolType @5 :Text;                # "consumer"
  protocols @6 :List(Text);             # assignor names, most preferred first
  topics @7 :List(Text);                # the subscription
  owned @8 :List(GroupPartition);       # what the member consumes now (KIP-429)
}

struct JoinGroupResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  generationId @2 :Int32 = -1;
  protocolName @3 :Text;
  leader @4 :Text;
  memberId @5 :Text;
  members @6 :List(Text);
}

struct SyncGroupRequest {
  groupId @0 :Text;
  generationId @1 :Int32;
  memberId @2 :Text;
  groupInstanceId @3 :Text;
}

struct SyncGroupResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  assignment @2 :List(GroupPartition);
}

struct HeartbeatRequest {
  groupId @0 :Text;
  generationId @1 :Int32;
  memberId @2 :Text;
  groupInstanceId @3 :Text;
}

struct HeartbeatResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

struct LeaveGroupRequest {
  groupId @0 :Text;
  memberId @1 :Text;
}

struct LeaveGroupResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

struct OffsetCommitRequest {
  groupId @0 :Text;
  generationId @1 :Int32 = -1;          # -1 with an empty memberId: an admin commit (empty group)
  memberId @2 :Text;
  groupInstanceId @3 :Text;
  partitions @4 :List(Partition);

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
    offset @2 :Int64;                   # the next offset to consume
    leaderEpoch @3 :Int32 = -1;
    metadata @4 :Text;
  }
}

struct OffsetCommitResponse {
  partitions @0 :List(Partition);

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
  }
}

struct OffsetFetchRequest {
  groupId @0 :Text;
  partitions @1 :List(GroupPartition);  # empty: every partition with a committed offset
}

struct OffsetFetchResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  partitions @2 :List(Partition);

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
    offset @2 :Int64 = -1;              # -1: nothing committed
    leaderEpoch @3 :Int32 = -1;
    metadata @4 :Text;
    errorCode @5 :Common.ErrorCode;
    errorMessage @6 :Text;
  }
}

struct ListGroupsRequest {
  statesFilter @0 :List(Text);          # empty: every group
}

struct ListGroupsResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  groups @2 :List(Group);

  struct Group {
    groupId @0 :Text;
    protocolType @1 :Text;
    state @2 :Text;
    members @3 :Int32;
  }
}

struct DescribeGroupsRequest {
  groups @0 :List(Text);
}

struct DescribeGroupsResponse {
  groups @0 :List(Group);

  struct Group {
    errorCode @0 :Common.ErrorCode;
    errorMessage @1 :Text;
    groupId @2 :Text;
    state @3 :Text;                     # empty, preparing_rebalance, completing_rebalance, stable, dead
    protocolType @4 :Text;
    protocol @5 :Text;
    generationId @6 :Int32 = -1;
    leader @7 :Text;
    members @8 :List(Member);
    shares @9 :List(SharePartitionStatus);
    # Share groups (protocolType "share", schema/share.capnp): each share-partition's persisted
    # state; empty for consumer groups.
  }

  struct SharePartitionStatus {
    topic @0 :Text;
    partition @1 :Int32;
    startOffset @2 :Int64;   # SPSO: everything below is finished
    endOffset @3 :Int64;     # SPEO: nothing at or above was delivered yet
    inFlight @4 :Int64;      # records between them not yet acknowledged or archived
    finished @5 :Int64;      # records between them acknowledged or archived
  }

  struct Member {
    memberId @0 :Text;
    groupInstanceId @1 :Text;
    assignment @2 :List(GroupPartition);
  }
}
