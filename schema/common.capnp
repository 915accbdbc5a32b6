@0x97e23557815d1d69;
# Vocabulary shared by every Sluice wire message.
#
# Framing. Each request and each response is its own root struct (ProduceRequest,
# ProduceResponse, ...); there is no union envelope in capnp. Between nodes a message travels
# as a sluice::schema::envelope (schema/envelope.hpp): a message_kind tag naming the root
# struct, plus the bytes of the message in capnp's standard flat-array framing (segment table,
# then segments; not packed). The decoder checks the tag before it reads the bytes, so a typed
# actor handler gets exactly the message it asked for. Separate roots keep each message's
# size to its own fields and let a new message be added without touching the others.
#
# Evolution. Add fields only at the end of a struct with the next ordinal; never renumber,
# retype or remove one. Enums only grow; a reader maps a value it does not know to a safe one
# (an unknown ErrorCode reads as unknownServerError).
#
# Conventions. Topic names are Text; partitions, node ids and leader epochs are Int32;
# offsets and timestamps (milliseconds since the Unix epoch) are Int64, with -1 meaning
# "none" or "unknown" as in Kafka. Every per-partition or per-topic result carries its own
# errorCode and a one-line errorMessage for a human (empty when errorCode is none).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

# The outcome of one request or one partition of it. The names and meanings follow Kafka's
# error codes so that a Kafka protocol listener can map them one to one; the ordinals are
# Sluice's own. Mirrored by sluice::schema::errc (schema/errc.hpp), checked at compile time.
enum ErrorCode {
  none @0;
  unknownTopicOrPartition @1;      # this node does not host the topic or partition
  invalidTopic @2;                 # the name is empty, too long or uses illegal characters
  notLeader @3;                    # this replica is not the leader: refresh metadata, retry
  offsetOutOfRange @4;             # the offset is below log start or above log end
  recordTooLarge @5;               # a batch exceeds the topic's or the node's size limit
  corruptMessage @6;               # bad CRC or length in a batch, or undecodable capnp bytes
  invalidRequest @7;               # decodable bytes holding a value the protocol forbids
  requestTimedOut @8;              # acks = all and the ISR did not confirm before the timeout
  notEnoughReplicas @9;            # ISR below min.insync.replicas: nothing was appended
  topicAlreadyExists @10;
  invalidPartitions @11;           # partition count below 1 or above the node's limit
  invalidReplicationFactor @12;    # below 1 or above the number of live brokers
  invalidConfig @13;               # an unknown topic config key or an unparsable value
  unknownServerError @14;          # a bug or an unexpected failure on the server
  leaderNotAvailable @15;          # an election is in progress: retry later
  fencedLeaderEpoch @16;           # the request's leader epoch is older than the leader's
  unknownLeaderEpoch @17;          # the request's leader epoch is newer than the leader's
  notEnoughReplicasAfterAppend @18;  # appended, but the ISR shrank before it confirmed
  notController @19;               # topic changes go to the active metadata controller
  storageError @20;                # the disk refused a read or write on this replica
  # Consumer groups (schema/group.capnp), as Kafka's group coordinator answers.
  unknownMemberId @21;             # the coordinator does not know this member: rejoin as new
  illegalGeneration @22;           # the member's generation is not the group's: rejoin
  rebalanceInProgress @23;         # the group is rebalancing: rejoin, commit after the rebalance
  fencedInstanceId @24;            # another member now holds this group.instance.id (KIP-345)
  inconsistentGroupProtocol @25;   # no assignor shared with the group's members
  coordinatorNotAvailable @26;     # the group is being loaded or was deleted: retry
  nonEmptyGroup @27;               # the operation needs a group without members
  groupIdNotFound @28;             # no such group
  invalidGroupId @29;              # empty or too long
  invalidSessionTimeout @30;       # outside the node's group.min/max.session.timeout.ms
  # Cluster membership (schema/cluster.capnp).
  staleBrokerEpoch @31;            # the heartbeat's broker epoch is not the broker's registration
  # Partition reassignment (KIP-455) and decommissioning.
  invalidReplicaAssignment @32;    # an empty or duplicated target, or a broker that cannot hold it
  noReassignmentInProgress @33;    # a cancel of a partition that is not moving
  # The idempotent producer (schema/producer_id.capnp, store/producer_state.hpp).
  outOfOrderSequence @34;          # the batch's sequence does not follow the producer's last: an
                                   # earlier batch is missing (retry it first)
  invalidProducerEpoch @35;        # the producer epoch is older than the partition has seen (fenced)
  # Transactions (schema/txn.capnp).
  concurrentTransactions @36;      # the producer's previous transaction is still completing: retry
  invalidTxnState @37;             # the request does not fit the transaction's state
  transactionalIdNotFound @38;     # no such transactional.id
  invalidTransactionTimeout @39;   # above transaction.max.timeout.ms or not positive
  # Log compaction (store/log_cleaner.hpp).
  invalidRecord @40;               # a record the topic refuses: no key on a compacted topic
  # Share groups (schema/share.capnp, KIP-932).
  invalidRecordState @41;          # an acknowledgement of a record this member does not hold
                                   # (never acquired, acknowledged already, or its lock expired)
}

# How far a consumer may read: read_uncommitted up to the high watermark, read_committed up to
# the last stable offset (no open transactions below it).
enum IsolationLevel {
  readUncommitted @0;
  readCommitted @1;
}
