@0x872ce7eaacf427ee;
# Metadata: which brokers exist and who leads each partition. Clients and brokers ask any node;
# every node answers from its copy of the controller's state.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct MetadataRequest {
  allTopics @0 :Bool = true;  # true: every topic, and `topics` is ignored
  topics @1 :List(Text);
}

struct MetadataResponse {
  brokers @0 :List(Broker);
  controllerId @1 :Int32 = -1;  # the active metadata controller, -1 while none is elected
  topics @2 :List(TopicMetadata);

  struct Broker {
    nodeId @0 :Int32;
    host @1 :Text;
    port @2 :UInt16;
    rack @3 :Text;  # empty: no rack configured
  }

  struct TopicMetadata {
    errorCode @0 :Common.ErrorCode;
    errorMessage @1 :Text;
    name @2 :Text;
    partitions @3 :List(PartitionMetadata);
  }

  struct PartitionMetadata {
    errorCode @0 :Common.ErrorCode;
    errorMessage @1 :Text;
    partition @2 :Int32;
    leader @3 :Int32 = -1;       # node id, -1 while no leader is elected
    leaderEpoch @4 :Int32 = -1;
    replicas @5 :List(Int32);    # node ids; the first is the preferred leader
    isr @6 :List(Int32);         # in-sync replicas, a subset of replicas
    # A reassignment in progress (KIP-455): the replicas joining and leaving; both empty
    # when the partition is not moving. `replicas` holds both meanwhile.
    addingReplicas @7 :List(Int32);
    removingReplicas @8 :List(Int32);
  }
}
