@0x87e97c260a3c2ce4;
# Produce: a client (or the Kafka listener) hands record batches to partition leaders.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct ProduceRequest {
  acks @0 :Int16 = 1;
  # 0: the producer awaits no reply; 1: the leader has appended; -1: the whole ISR has.
  # Any other value makes the whole request invalidRequest.

  timeoutMs @1 :Int32 = 30000;
  # How long the leader may wait for the ISR when acks = -1 (then requestTimedOut).

  partitions @2 :List(PartitionData);

  struct PartitionData {
    topic @0 :Text;
    partition @1 :Int32;
    records @2 :Data;
    # One or more record batches back to back, exactly as store/batch_format.hpp lays them out
    # (base offsets relative, 0). Opaque here: the leader validates length and CRC of each
    # batch, assigns offsets in place and appends the same bytes. Records are never re-encoded.
  }
}

struct ProduceResponse {
  partitions @0 :List(PartitionResponse);

  struct PartitionResponse {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
    baseOffset @4 :Int64 = -1;       # offset given to the first record of the first batch
    logAppendTimeMs @5 :Int64 = -1;  # -1 unless the topic uses log-append time
    logStartOffset @6 :Int64 = -1;   # the partition's first retained offset
  }
}
