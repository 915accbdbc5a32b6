#pragma once

// The "consumer" protocol type's embedded formats (Kafka's ConsumerProtocol): the opaque
// metadata a consumer sends per assignor in JoinGroup (its subscription) and the opaque
// assignment a SyncGroup response carries. Big-endian like the rest of the protocol:
//
//   Subscription  version i16, topics [string], user_data bytes,
//                 (v1+) owned_partitions [topic string, partitions [i32]], (v2+) ...
//   Assignment    version i16, partitions [topic string, partitions [i32]], user_data bytes
//
// Readers take any version >= 0 and read the fields they know (later versions only append),
// as Kafka's ConsumerProtocol does.

#include "kafka/wire.hpp"
#include "schema/group.hpp"
#include "schema/result.hpp"

#include <string>
#include <vector>

namespace sluice::kafka {

struct subscription {
  std::vector<std::string> topics;
  std::vector<schema::group_partition> owned;
};

schema::result<subscription> decode_subscription(bytes_view bytes);
std::vector<std::byte> encode_subscription(const subscription& s); // version 1

// Version 0, empty user data; partitions grouped by topic in the order given.
std::vector<std::byte> encode_assignment(const std::vector<schema::group_partition>& partitions);
schema::result<std::vector<schema::group_partition>> decode_assignment(bytes_view bytes);

} // namespace sluice::kafka
