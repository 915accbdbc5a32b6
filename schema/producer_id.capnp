@0xc3f1d2a4b5e69788;
# Producer ids for idempotent producers (issue 9). Framing and conventions: see common.capnp.
#
# A client asks any node for a producer id (Kafka's InitProducerId); the node hands one out of
# the block of ids it holds, and asks the metadata controller for the next block when it runs
# out (Kafka's AllocateProducerIds, KIP-730). Blocks never overlap: the controller commits each
# one through the metadata log, so ids are unique in the cluster and survive restarts.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct InitProducerIdRequest {
  transactionalId @0 :Text;       # empty: an idempotent producer without transactions
  producerId @1 :Int64 = -1;      # a producer starting over under its id (later: epoch bump)
  producerEpoch @2 :Int16 = -1;
  transactionTimeoutMs @3 :Int32 = 60000;
  # Transactional producers: an open transaction older than this is aborted by its coordinator
  # (and the producer fenced by an epoch bump).
}

struct InitProducerIdResponse {
  errorCode @0 :Common.ErrorCode;  # notController while no block can be had: retry
  errorMessage @1 :Text;
  producerId @2 :Int64 = -1;
  producerEpoch @3 :Int16 = -1;
}

struct AllocateProducerIdsRequest {
  # A node -> the metadata controller.
  brokerId @0 :Int32;
}

struct AllocateProducerIdsResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  firstProducerId @2 :Int64 = -1;  # the block [first, first + count)
  count @3 :Int32;
}
