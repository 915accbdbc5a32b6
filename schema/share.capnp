@0xbdea3ac414098f7e;
# Share groups (KIP-932): queue-style consumption where many members read the same partition and
# acknowledge each record. ShareFetch and ShareAcknowledge go from a share consumer to a
# partition's leader, which hosts the share-partition (actors/share_partition.hpp); the leader
# persists the share-partition's state with the group's coordinator (ShareStateWrite, node to
# node) and a new leader reads it back (ShareStateRead). Framing and conventions: see
# common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

enum AcknowledgeType {
  accept @0;   # processed: never delivered again
  release @1;  # give it back: available to any member again, its delivery count kept
  reject @2;   # unprocessable: archived, never delivered again
}

enum RecordState {
  available @0;
  acquired @1;     # never stored: a lock does not survive its leader
  acknowledged @2;
  archived @3;
}

struct SharePartition {
  topic @0 :Text;
  partition @1 :Int32;
}

struct ShareFetchRequest {
  groupId @0 :Text;
  memberId @1 :Text;      # the consumer's own id (a UUID-like string it made); not empty
  maxWaitMs @2 :Int32 = 500;   # long poll: answer once records were acquired or this passes
  maxRecords @3 :Int32 = 500;  # per partition
  maxBytes @4 :Int32 = 1048576; # per partition; at least one batch is returned regardless
  partitions @5 :List(SharePartition);
}

struct ShareFetchResponse {
  partitions @0 :List(PartitionResponse);

  struct PartitionResponse {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
    records @4 :Data;
    # Whole record batches as stored (store/batch_format.hpp); only the records at offsets of
    # `acquired` are the member's: the others in these batches belong to someone else.
    acquired @5 :List(AcquiredRange);
  }

  struct AcquiredRange {
    firstOffset @0 :Int64;
    lastOffset @1 :Int64;     # inclusive
    deliveryCount @2 :Int16;  # 1 on the first delivery
  }
}

struct ShareAcknowledgeRequest {
  groupId @0 :Text;
  memberId @1 :Text;
  partitions @2 :List(PartitionAcks);

  struct PartitionAcks {
    topic @0 :Text;
    partition @1 :Int32;
    batches @2 :List(AckBatch);  # sorted by offset, not overlapping
  }

  struct AckBatch {
    firstOffset @0 :Int64;
    lastOffset @1 :Int64;  # inclusive
    type @2 :AcknowledgeType;
  }
}

struct ShareAcknowledgeResponse {
  partitions @0 :List(PartitionResult);

  struct PartitionResult {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;   # none: every acknowledgement of the partition is persisted
    errorMessage @3 :Text;
  }
}

# A share-partition's persisted state: start (SPSO) and end (SPEO) offsets and the in-flight
# records between them as ranges covering [start, end) in order.
struct ShareState {
  startOffset @0 :Int64;
  endOffset @1 :Int64;
  ranges @2 :List(StateRange);

  struct StateRange {
    firstOffset @0 :Int64;
    lastOffset @1 :Int64;
    state @2 :RecordState;
    deliveryCount @3 :Int16;
  }
}

# Partition leader -> the group's coordinator: replace the share-partition's state. Refused
# (fencedLeaderEpoch) when the coordinator holds a state written under a newer leader epoch: a
# deposed leader must not overwrite its successor.
struct ShareStateWriteRequest {
  groupId @0 :Text;
  topic @1 :Text;
  partition @2 :Int32;
  leaderEpoch @3 :Int32;
  state @4 :ShareState;
}

struct ShareStateWriteResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

# Partition leader -> the group's coordinator: the state a previous leader persisted.
struct ShareStateReadRequest {
  groupId @0 :Text;
  topic @1 :Text;
  partition @2 :Int32;
}

struct ShareStateReadResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  found @2 :Bool;          # false: a new share-partition (state unset)
  leaderEpoch @3 :Int32 = -1;  # the epoch the state was written under
  state @4 :ShareState;
}
