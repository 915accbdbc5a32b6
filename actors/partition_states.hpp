#pragma once

// What a node hears of the replication state of a topic's partitions (cluster mode): the
// metadata actor's view of each partition's replicas, leader, leader epoch and ISR, sent to
// its subscribers whenever one of them changes. Node-local, like topic_spec updates; a single
// node sends none (every partition is then a sole leader).

#include "cluster/replication_types.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <string>
#include <vector>

namespace sluice::actors {

struct partition_states {
  std::string topic;
  std::vector<cluster::partition_replicas> partitions; // index = partition
};

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::partition_states)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::cluster::partition_replicas)
