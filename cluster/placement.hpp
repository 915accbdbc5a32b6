#pragma once

// Replica placement: which brokers hold the replicas of each partition of a new topic (or of the
// partitions added to one). Pure: no CAF, no clock; the metadata state machine calls it with
// the live brokers and its own seed, so every controller replica computes the same answer.
//
// Kafka's AdminUtils.assignReplicasToBrokers, which users know the shape of:
//   rack-unaware   partition p's first replica is broker (start + p) % n (the preferred
//                  leader, so leadership spreads evenly), the others follow at a shift that
//                  grows by one every n partitions, so followers spread evenly too.
//   rack-aware     brokers are interleaved rack by rack (a1 b1 c1 a2 b2 ...) and the same walk
//                  runs over that list, skipping a broker whose rack already holds a replica of
//                  the partition (or that already holds one) while another rack is still free.
// Rack-aware placement applies when every broker has a rack; a mix is refused, as Kafka does.
//
// Guarantees (tests/cluster/placement_test.cpp): every partition gets R distinct brokers; over
// a topic the first replicas differ by at most one between brokers, and so do all replicas
// when R <= n; with racks, a partition spans min(R, racks) racks.

#include "schema/result.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cluster {

struct broker_info {
  node_id id{0};
  std::optional<std::string> rack;
};

// One list per partition, preferred leader first.
using replica_assignment = std::vector<std::vector<node_id>>;

struct placement_request {
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  // Where the walk starts and how followers are shifted; the metadata actor derives them from
  // its seed (random in Kafka). Taken modulo the broker count.
  uint32_t start = 0;
  uint32_t shift = 0;
  // The partitions already assigned (adding partitions to a topic): new ones continue the walk
  // after them, so leadership stays spread over the whole topic.
  int32_t existing_partitions = 0;
};

// Errors: invalid_replication_factor (R < 1, or R above the live broker count, with both numbers
// in the message), invalid_partitions (count < 1), invalid_config (some brokers have a rack and
// others do not).
schema::result<replica_assignment> assign_replicas(std::vector<broker_info> brokers,
                                                   const placement_request& req);

// Decommissioning (issue 7): the broker that takes over one replica of a partition from a
// broker leaving it. Among `candidates` (the brokers that may take replicas; the leaving one is
// not among them) that are not in `keep` (the partition's other replicas), by:
//   1. racks: one whose rack no broker of `keep` is on, while such a candidate exists (so a
//      partition keeps spanning min(R, racks) racks, as assign_replicas places it);
//   2. load: the fewest replicas by `load` (absent: 0), so moves spread like placement;
//   3. the lowest id, so every controller picks the same.
// nullopt when every candidate already holds a replica of the partition.
std::optional<node_id> choose_replacement(const std::vector<broker_info>& candidates,
                                          const std::vector<broker_info>& keep,
                                          const std::map<node_id, int32_t>& load);

} // namespace sluice::cluster
