#include "cluster/placement.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace sluice::cluster {

namespace {

using schema::errc;

// Kafka's replicaIndex: the j-th follower of a partition whose first replica is at `first`.
size_t follower_index(size_t first, size_t shift, size_t j, size_t n) {
  return (first + 1 + (shift + j) % (n - 1)) % n;
}

// a1 b1 c1 a2 b2 c2 ...: consecutive brokers of the list are on different racks as long as
// racks have brokers left (Kafka's getRackAlternatedBrokerList).
std::vector<broker_info> rack_alternated(const std::vector<broker_info>& brokers) {
  std::map<std::string, std::vector<broker_info>> by_rack;
  for (auto& b : brokers)
    by_rack[*b.rack].push_back(b);
  std::vector<broker_info> out;
  for (size_t round = 0; out.size() < brokers.size(); ++round)
    for (auto& [rack, members] : by_rack)
      if (round < members.size())
        out.push_back(members[round]);
  return out;
}

} // namespace

schema::result<replica_assignment> assign_replicas(std::vector<broker_info> brokers,
                                                   const placement_request& req) {
  auto n = brokers.size();
  if (req.replication_factor < 1 || static_cast<size_t>(req.replication_factor) > n)
    return schema::error{errc::invalid_replication_factor,
                         "replication factor " + std::to_string(req.replication_factor)
                           + " needs that many live brokers; " + std::to_string(n)
                           + " are live"};
  if (req.partitions < 1)
    return schema::error{errc::invalid_partitions,
                         "partition count must be at least 1, not " + std::to_string(req.partitions)};
  auto with_rack = std::ranges::count_if(brokers, [](auto& b) { return b.rack.has_value(); });
  if (with_rack != 0 && static_cast<size_t>(with_rack) != n)
    return schema::error{errc::invalid_config,
                         std::to_string(with_rack) + " of " + std::to_string(n)
                           + " live brokers have a rack: give every broker a rack or none"};
  std::ranges::sort(brokers, {}, [](auto& b) { return b.id; });
  if (with_rack != 0)
    brokers = rack_alternated(brokers);
  std::set<std::string> all_racks;
  for (auto& b : brokers)
    if (b.rack)
      all_racks.insert(*b.rack);

  auto r = static_cast<size_t>(req.replication_factor);
  size_t start = req.start % n;
  size_t shift = n > 1 ? req.shift % (n - 1) : 0;
  replica_assignment out;
  out.reserve(static_cast<size_t>(req.partitions));
  for (int32_t i = 0; i < req.partitions; ++i) {
    auto p = static_cast<size_t>(req.existing_partitions + i);
    // The follower shift grows by one every n partitions (Kafka: nextReplicaShift += 1).
    size_t shift_now = n > 1 ? (shift + p / n) % (n - 1) : 0;
    size_t first = (start + p) % n;
    std::vector<node_id> replicas{brokers[first].id};
    std::set<std::string> racks;
    if (brokers[first].rack)
      racks.insert(*brokers[first].rack);
    // Walk the followers in order; with racks, skip a broker whose rack is taken while some
    // rack is still without a replica of this partition.
    for (size_t j = 0; replicas.size() < r && j < 2 * n * n; ++j) {
      auto& b = brokers[follower_index(first, shift_now, j, n)];
      if (std::ranges::find(replicas, b.id) != replicas.end())
        continue;
      if (b.rack && racks.contains(*b.rack) && racks.size() < all_racks.size())
        continue;
      replicas.push_back(b.id);
      if (b.rack)
        racks.insert(*b.rack);
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

std::optional<node_id> choose_replacement(const std::vector<broker_info>& candidates,
                                          const std::vector<broker_info>& keep,
                                          const std::map<node_id, int32_t>& load) {
  std::set<std::string> racks_kept;
  for (auto& b : keep)
    if (b.rack)
      racks_kept.insert(*b.rack);
  auto holds = [&](const broker_info& c) {
    return std::ranges::any_of(keep, [&](auto& k) { return k.id == c.id; });
  };
  auto new_rack = [&](const broker_info& c) { return c.rack && !racks_kept.contains(*c.rack); };
  bool any_new_rack = std::ranges::any_of(candidates, [&](auto& c) { return !holds(c) && new_rack(c); });
  auto load_of = [&](node_id id) {
    auto it = load.find(id);
    return it == load.end() ? 0 : it->second;
  };
  std::optional<broker_info> best;
  for (auto& c : candidates) {
    if (holds(c) || (any_new_rack && !new_rack(c)))
      continue;
    if (!best || load_of(c.id) < load_of(best->id)
        || (load_of(c.id) == load_of(best->id) && c.id < best->id))
      best = c;
  }
  if (!best)
    return std::nullopt;
  return best->id;
}

} // namespace sluice::cluster
