@0xe7a3c1d5b2f49861;
# Transactions (issue 9; Kafka's KIP-98). Framing and conventions: see common.capnp.
#
# A transactional producer talks to its transaction coordinator: the node leading the partition
# of the internal topic `__transaction_state` its transactional.id hashes to. Any node accepts
# these requests and forwards them there, as with consumer groups.
#
#   InitProducerId (schema/producer_id.capnp, transactionalId set)
#       fences older incarnations (epoch + 1) and aborts or completes their open transaction
#   AddPartitionsToTxn   before the first batch to a partition in a transaction
#   TxnOffsetCommit      a consume-transform-produce job's input offsets, committed with the
#                        transaction (not before): the coordinator keeps them in its log and
#                        writes them to the group when the commit completes
#   EndTxn               commit or abort; the coordinator writes PrepareCommit/PrepareAbort to
#                        its log (the decision point), then the markers (schema/txn_marker.capnp)
#                        to every partition, then CompleteCommit/CompleteAbort
#
# Errors: invalidProducerEpoch (fenced: a newer incarnation of the transactional.id exists),
# concurrentTransactions (the previous transaction is still completing: retry), invalidTxnState
# (e.g. EndTxn with no transaction), transactionalIdNotFound, coordinatorNotAvailable and
# notCoordinator-like forwarding failures are retriable.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct TxnTopicPartition {
  topic @0 :Text;
  partition @1 :Int32;
}

struct AddPartitionsToTxnRequest {
  transactionalId @0 :Text;
  producerId @1 :Int64 = -1;
  producerEpoch @2 :Int16 = -1;
  partitions @3 :List(TxnTopicPartition);
}

struct AddPartitionsToTxnResponse {
  # One outcome for the whole request: partitions are added together or not at all.
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

struct TxnOffsetCommitRequest {
  transactionalId @0 :Text;
  producerId @1 :Int64 = -1;
  producerEpoch @2 :Int16 = -1;
  groupId @3 :Text;
  offsets @4 :List(Offset);

  struct Offset {
    topic @0 :Text;
    partition @1 :Int32;
    offset @2 :Int64;            # the next offset to consume
    leaderEpoch @3 :Int32 = -1;
    metadata @4 :Text;
  }
}

struct TxnOffsetCommitResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

struct EndTxnRequest {
  transactionalId @0 :Text;
  producerId @1 :Int64 = -1;
  producerEpoch @2 :Int16 = -1;
  commit @3 :Bool;               # false: abort
}

struct EndTxnResponse {
  # Answered once the decision is durable in the coordinator's log (Kafka answers at
  # PrepareCommit too); markers follow, and the producer's next transaction waits for them
  # (concurrentTransactions).
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}

struct ListTransactionsRequest {
  states @0 :List(Text);         # empty: every state (see TransactionDescription.state)
}

struct ListTransactionsResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  transactions @2 :List(Listing);

  struct Listing {
    transactionalId @0 :Text;
    producerId @1 :Int64;
    state @2 :Text;
    coordinator @3 :Int32;       # the node coordinating it
  }
}

struct DescribeTransactionsRequest {
  transactionalIds @0 :List(Text);
}

struct DescribeTransactionsResponse {
  transactions @0 :List(Description);

  struct Description {
    errorCode @0 :Common.ErrorCode;    # transactionalIdNotFound, coordinatorNotAvailable, ...
    errorMessage @1 :Text;
    transactionalId @2 :Text;
    state @3 :Text;
    # Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead
    producerId @4 :Int64 = -1;
    producerEpoch @5 :Int16 = -1;
    timeoutMs @6 :Int32;
    startTimeMs @7 :Int64 = -1;        # when the ongoing transaction began; -1: none
    partitions @8 :List(TxnTopicPartition);
    groups @9 :List(Text);             # groups with offsets in the transaction
    coordinator @10 :Int32;
  }
}
