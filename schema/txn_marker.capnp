@0xb84f2e6a9c1d3057;
# Transaction markers (issue 9; Kafka's WriteTxnMarkers): a transaction coordinator -> the node
# leading each partition of a transaction, once the commit or abort is decided. The partition
# leader appends a control batch (store/batch_format.hpp attr_control) that ends the producer's
# open transaction in that partition; read_committed consumers then read past it. Framing and
# conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct WriteTxnMarkersRequest {
  markers @0 :List(Marker);

  struct Marker {
    producerId @0 :Int64;
    producerEpoch @1 :Int16;
    commit @2 :Bool;                 # false: abort
    coordinatorEpoch @3 :Int32;      # the coordinator's leader epoch of its __transaction_state partition
    partitions @4 :List(Partition);
  }

  struct Partition {
    topic @0 :Text;
    partition @1 :Int32;
  }
}

struct WriteTxnMarkersResponse {
  # Same order as the request's markers and partitions. A partition's marker is answered once
  # it is committed (below the high watermark); notLeader and the like are retried by the
  # coordinator, invalidProducerEpoch means a newer epoch already ended the transaction.
  markers @0 :List(MarkerResult);

  struct MarkerResult {
    producerId @0 :Int64;
    partitions @1 :List(PartitionResult);
  }

  struct PartitionResult {
    topic @0 :Text;
    partition @1 :Int32;
    errorCode @2 :Common.ErrorCode;
    errorMessage @3 :Text;
  }
}
