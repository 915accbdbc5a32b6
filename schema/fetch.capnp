@0x9e259c11a2307e85;
# Fetch: consumers read, and followers replicate, by pulling batches from partition leaders.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct FetchRequest {
  replicaId @0 :Int32 = -1;
  # -1 for a consumer; the follower's node id when a replica fetches, which is how the leader
  # learns a follower's log end offset for the ISR and the high watermark.

  maxWaitMs @1 :Int32 = 500;   # long poll: the leader answers once minBytes are there or this passes
  minBytes @2 :Int32 = 1;
  maxBytes @3 :Int32 = 52428800;  # bound on the whole response (KIP-74); at least one batch is returned
  isolationLevel @4 :Common.IsolationLevel;
  partitions @5 :List(PartitionRequest);

  filter @6 :Text;
  # A consumer's filter expression (filter/filter_expr.hpp), the same for every partition; empty
  # or absent (older clients): no filter. The leader returns only matching records and sets
  # nextFetchOffset; a malformed one refuses the whole request (invalidRequest, with the
  # position). Ignored for a replica's fetch: followers copy the log whole.

  struct PartitionRequest {
    topic @0 :Text;
    partition @1 :Int32;
    currentLeaderEpoch @2 :Int32 = -1;
    # The epoch the fetcher believes current (KIP-320); -1 skips the check. A stale epoch gets
    # fencedLeaderEpoch, a newer one unknownLeaderEpoch.
    fetchOffset @3 :Int64;
    maxBytes @4 :Int32 = 1048576;
  }
}

struct FetchResponse {
  partitions @0 :List(PartitionResponse);

  struct PartitionResponse {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
    highWatermark @4 :Int64 = -1;     # consumers may read below it: every ISR member has it
    logStartOffset @5 :Int64 = -1;
    lastStableOffset @6 :Int64 = -1;  # the read_committed bound
    records @7 :Data;
    # Whole record batches as stored (store/batch_format.hpp), back to back; the consumer
    # skips records below its fetch offset inside the first batch.

    nextFetchOffset @8 :Int64 = -1;
    # Filtered fetches only: where the next fetch starts, past every record scanned, matching
    # or not (-1: read it from the last batch, as without a filter). It moves a consumer past a
    # range where nothing matched and so no batch came back.

    abortedTransactions @9 :List(AbortedTransaction);
    # read_committed fetches only: the aborted transactions whose data may lie in `records`
    # (first offset below the end of what is returned, abort marker at or after fetchOffset).
    # The consumer drops a producer's transactional batches from firstOffset up to that
    # producer's abort marker; control batches are never shown to applications.
  }

  struct AbortedTransaction {
    producerId @0 :Int64;
    firstOffset @1 :Int64;
  }
}
