@0xe2eca57f267ab22a;
# Topic administration: create, delete, list. Create and delete go to the metadata controller
# (others answer notController); list goes to any node.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct CreateTopicsRequest {
  topics @0 :List(Topic);
  timeoutMs @1 :Int32 = 30000;  # how long the controller waits for the topics to have leaders
  validateOnly @2 :Bool;        # check names, counts and configs; create nothing

  struct Topic {
    name @0 :Text;
    partitions @1 :Int32;
    replicationFactor @2 :Int16;
    configs @3 :List(Config);   # topic config overrides, e.g. retention.ms
  }

  struct Config {
    key @0 :Text;
    value @1 :Text;
  }
}

# One result per requested topic, in request order.
struct TopicResult {
  name @0 :Text;
  errorCode @1 :Common.ErrorCode;
  errorMessage @2 :Text;
}

struct CreateTopicsResponse {
  topics @0 :List(TopicResult);
}

struct DeleteTopicsRequest {
  names @0 :List(Text);
  timeoutMs @1 :Int32 = 30000;
}

struct DeleteTopicsResponse {
  topics @0 :List(TopicResult);
}

struct ListTopicsRequest {
  includeInternal @0 :Bool;  # also list internal topics such as __consumer_offsets
}

struct ListTopicsResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
  topics @2 :List(Listing);

  struct Listing {
    name @0 :Text;
    partitions @1 :Int32;
    replicationFactor @2 :Int16;
    internal @3 :Bool;
  }
}

# Raises topics' partition counts (Kafka's CreatePartitions). Counts never shrink: a total at or
# below the current count is invalidPartitions. Goes to the metadata controller.
struct CreatePartitionsRequest {
  topics @0 :List(Topic);
  timeoutMs @1 :Int32 = 30000;

  struct Topic {
    name @0 :Text;
    newTotal @1 :Int32;  # the partition count wanted, not the number to add
  }
}

struct CreatePartitionsResponse {
  topics @0 :List(TopicResult);
}
