@0x9460b66d07d62d46;
# Describe configs: the effective configuration of topics, each key with its value and whether
# it is the node's default or a topic override. Goes to any node.
# Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct DescribeConfigsRequest {
  topics @0 :List(Text);
}

# One entry per requested topic, in request order.
struct DescribeConfigsResponse {
  topics @0 :List(TopicConfigs);

  struct TopicConfigs {
    name @0 :Text;
    errorCode @1 :Common.ErrorCode;
    errorMessage @2 :Text;
    configs @3 :List(Entry);  # every known key, sorted by key
  }

  struct Entry {
    key @0 :Text;
    value @1 :Text;
    isDefault @2 :Bool = true;  # false: a topic override
  }
}
