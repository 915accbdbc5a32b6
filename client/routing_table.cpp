#include "client/routing_table.hpp"

#include <algorithm>
#include <set>

namespace sluice::client {

routing_table::topic_entry& routing_table::entry(std::string_view topic) {
  auto i = topics_.find(topic);
  if (i == topics_.end())
    i = topics_.emplace(std::string{topic}, topic_entry{}).first;
  return i->second;
}

void routing_table::track(std::string_view topic) { (void)entry(topic); }

routing_table::route routing_table::lookup(std::string_view topic, partition_id p) {
  auto& t = entry(topic);
  route r;
  using state = topic_entry::state;
  if (t.st == state::unknown) {
    refresh_wanted_ = true; // it may exist by now
    r.what = route::kind::unknown_topic;
    return r;
  }
  if (t.st != state::known)
    return r; // asked or about to be: wait
  if (p.value < 0 || static_cast<size_t>(p.value) >= t.partitions.size()) {
    refresh_wanted_ = true; // partition counts grow
    r.what = route::kind::unknown_partition;
    return r;
  }
  auto& pe = t.partitions[static_cast<size_t>(p.value)];
  if (pe.invalid || pe.leader.value < 0)
    return r;
  r.address = find_broker(pe.leader);
  if (!r.address) {
    refresh_wanted_ = true; // a leader the broker list does not name (fenced meanwhile)
    return r;
  }
  r.what = route::kind::leader;
  r.leader = pe.leader;
  r.epoch = pe.epoch;
  return r;
}

void routing_table::invalidate(std::string_view topic, partition_id p) {
  refresh_wanted_ = true;
  auto i = topics_.find(topic);
  if (i == topics_.end() || p.value < 0 || static_cast<size_t>(p.value) >= i->second.partitions.size())
    return;
  i->second.partitions[static_cast<size_t>(p.value)].invalid = true;
}

std::vector<std::string> routing_table::topics() const {
  std::vector<std::string> out;
  out.reserve(topics_.size());
  for (auto& [name, t] : topics_)
    out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

void routing_table::refresh_sent(clock::time_point now) {
  last_attempt_ = now;
  for (auto& [name, t] : topics_)
    if (t.st == topic_entry::state::never_asked)
      t.st = topic_entry::state::asked;
}

void routing_table::update(const schema::metadata_response& md, clock::time_point now) {
  last_success_ = now;
  refresh_wanted_ = false;
  if (!md.brokers.empty())
    brokers_ = md.brokers;
  for (auto& tm : md.topics) {
    auto i = topics_.find(tm.name);
    if (i == topics_.end())
      continue; // not asked for
    auto& t = i->second;
    if (tm.error.code == schema::errc::unknown_topic_or_partition) {
      t.st = topic_entry::state::unknown;
      t.partitions.clear();
      continue;
    }
    if (!tm.error.ok() || tm.partitions.empty()) {
      refresh_wanted_ = true; // keep what was known, ask again
      continue;
    }
    t.st = topic_entry::state::known;
    int32_t count = 0;
    for (auto& pm : tm.partitions)
      count = std::max(count, pm.partition.value + 1);
    // Counts only grow: an older answer from a lagging broker does not take partitions away.
    if (static_cast<size_t>(count) > t.partitions.size())
      t.partitions.resize(static_cast<size_t>(count));
    for (auto& pe : t.partitions)
      pe.invalid = false;
    for (auto& pm : tm.partitions) {
      if (pm.partition.value < 0)
        continue;
      auto& pe = t.partitions[static_cast<size_t>(pm.partition.value)];
      pe.leader = pm.leader;
      pe.epoch = pm.epoch;
    }
  }
  // Asked-for topics the answer left out, partitions without a leader or with a leader the
  // broker list does not name: ask again after the backoff.
  for (auto& [name, t] : topics_) {
    if (t.st == topic_entry::state::asked) {
      refresh_wanted_ = true;
      continue;
    }
    if (t.st != topic_entry::state::known)
      continue;
    for (auto& pe : t.partitions)
      if (pe.leader.value < 0 || !find_broker(pe.leader))
        refresh_wanted_ = true;
  }
  count_leaders();
}

void routing_table::count_leaders() {
  std::set<int32_t> leaders;
  for (auto& [name, t] : topics_)
    for (auto& pe : t.partitions)
      if (pe.leader.value >= 0)
        leaders.insert(pe.leader.value);
  leader_count_ = std::max<size_t>(1, leaders.size());
}

bool routing_table::refresh_wanted() const {
  if (refresh_wanted_)
    return true;
  return std::any_of(topics_.begin(), topics_.end(), [](auto& kv) {
    return kv.second.st == topic_entry::state::never_asked || kv.second.st == topic_entry::state::asked;
  });
}

std::optional<routing_table::clock::time_point> routing_table::next_refresh() const {
  if (topics_.empty())
    return std::nullopt;
  bool never_asked = std::any_of(topics_.begin(), topics_.end(), [](auto& kv) {
    return kv.second.st == topic_entry::state::never_asked;
  });
  if (never_asked || !last_attempt_)
    return clock::time_point::min();
  if (refresh_wanted())
    return *last_attempt_ + options_.refresh_backoff;
  if (!last_success_)
    return *last_attempt_ + options_.refresh_backoff;
  return *last_success_ + options_.max_age;
}

const routing_table::broker* routing_table::find_broker(node_id id) const {
  auto i = std::find_if(brokers_.begin(), brokers_.end(), [&](auto& b) { return b.id == id; });
  return i == brokers_.end() ? nullptr : &*i;
}

std::optional<int32_t> routing_table::partition_count(std::string_view topic) const {
  auto i = topics_.find(topic);
  if (i == topics_.end() || i->second.st != topic_entry::state::known)
    return std::nullopt;
  return static_cast<int32_t>(i->second.partitions.size());
}

node_address dial_address(const routing_table::broker& b, const std::optional<node_address>& bootstrap) {
  bool wildcard = b.host.empty() || b.host == "0.0.0.0" || b.host == "::" || b.host == "[::]";
  if (wildcard && bootstrap)
    return {bootstrap->host, b.port};
  return {b.host, b.port};
}

} // namespace sluice::client
