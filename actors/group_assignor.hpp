#pragma once

// Partition assignors of consumer groups (issue 5): given each topic's partition count and the
// members' subscriptions, decide which member consumes which partition. Pure functions (no CAF,
// no clock, no I/O): the group leader's step of the group core calls one per rebalance, and the
// simulator can call them with any input.
//
// Semantics follow Kafka's client assignors:
//   assign_range               RangeAssignor: per topic, contiguous ranges, first members +1.
//   assign_round_robin         RoundRobinAssignor: all partitions dealt over all members.
//   assign_cooperative_sticky  CooperativeStickyAssignor (KIP-54 stickiness, KIP-429 protocol).
//
// Shared contract:
//   - member ids are distinct (precondition); every member gets an entry, maybe empty;
//   - a partition goes only to a member subscribed to its topic, and to at most one member;
//   - topics missing from the partition counts (unknown or deleted) are skipped;
//   - output is deterministic: members and partitions are sorted, never hashed, and each
//     member's list is sorted by (topic, partition).

#include "store/types.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::actors {

struct topic_partition_ref {
  std::string topic;
  partition_id partition;

  auto operator<=>(const topic_partition_ref&) const = default;
};

// "topic-partition", as Kafka prints a TopicPartition.
std::string to_string(const topic_partition_ref& tp);

struct member_subscription {
  std::string member_id;
  // Static membership (KIP-345): when set, range and round robin order members by it, so a
  // restarted static member gets back the same partitions (Kafka 2.4+ MemberInfo order).
  std::optional<std::string> group_instance_id;
  std::vector<std::string> topics;
  // What the member consumes now (cooperative protocol, KIP-429); ignored by range and round
  // robin, which are eager: every member revokes everything before a rebalance.
  std::vector<topic_partition_ref> owned;
};

using partition_counts = std::map<std::string, int32_t>;
using assignment = std::map<std::string, std::vector<topic_partition_ref>>;

assignment assign_range(const partition_counts& counts,
                        const std::vector<member_subscription>& members);

assignment assign_round_robin(const partition_counts& counts,
                              const std::vector<member_subscription>& members);

// Balanced (in the common case where all members subscribe to the same topics, member
// counts differ by at most one once the protocol converges), sticky (a member keeps as many of
// its owned partitions as balance allows) and cooperative (KIP-429): a partition that moves
// from A to B is not given to B in this rebalance, only revoked from A; B gets it in the
// follow-up rebalance, once A no longer owns it. Hence the invariant: a partition appears in a
// member's assignment only if no other member currently owns it. A partition claimed by two
// members (a protocol bug upstream) is withheld until both have revoked it.
assignment assign_cooperative_sticky(const partition_counts& counts,
                                     const std::vector<member_subscription>& members);

// What each member must revoke before `target` applies: the partitions it owns that `target`
// does not give it. Only members with something to revoke appear. A non-empty result means the
// group leader must trigger the follow-up rebalance of KIP-429.
std::map<std::string, std::vector<topic_partition_ref>>
revocations(const std::vector<member_subscription>& members, const assignment& target);

} // namespace sluice::actors
