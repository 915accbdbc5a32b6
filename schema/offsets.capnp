@0xc0b71d30e09dedb2;
# List offsets: find a partition's earliest offset, latest offset, or the first offset at or
# after a timestamp (seek by time, reset-offsets --to-earliest/--to-latest).
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct ListOffsetsRequest {
  replicaId @0 :Int32 = -1;   # -1 for clients, as in FetchRequest
  isolationLevel @1 :Common.IsolationLevel;
  partitions @2 :List(PartitionQuery);

  struct PartitionQuery {
    topic @0 :Text;
    partition @1 :Int32;
    currentLeaderEpoch @2 :Int32 = -1;  # as in FetchRequest (KIP-320)
    query :union {
      earliest @3 :Void;      # log start offset
      latest @4 :Void;        # high watermark (read_uncommitted) or last stable offset
      timestamp @5 :Int64;    # first offset whose record timestamp is >= this (ms)
    }
    # A discriminant this build does not know makes the whole request invalidRequest.
  }
}

struct ListOffsetsResponse {
  partitions @0 :List(PartitionOffset);

  struct PartitionOffset {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
    timestampMs @4 :Int64 = -1;  # timestamp of the record found; -1 for earliest and latest
    offset @5 :Int64 = -1;       # -1 when no record is at or after the timestamp
    leaderEpoch @6 :Int32 = -1;
  }
}
