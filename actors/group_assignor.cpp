#include "actors/group_assignor.hpp"

#include <algorithm>
#include <cassert>
#include <set>
#include <string_view>

namespace sluice::actors {

std::string to_string(const topic_partition_ref& tp) {
  return tp.topic + "-" + std::to_string(tp.partition());
}

namespace {

using member_list = std::vector<const member_subscription*>;
using partition_list = std::vector<topic_partition_ref>;

// Kafka's MemberInfo order (2.4+): static members first, by group.instance.id; then dynamic
// members by member id.
bool member_before(const member_subscription* a, const member_subscription* b) {
  const auto& ia = a->group_instance_id;
  const auto& ib = b->group_instance_id;
  if (ia && ib)
    return *ia != *ib ? *ia < *ib : a->member_id < b->member_id;
  if (ia || ib)
    return ia.has_value();
  return a->member_id < b->member_id;
}

member_list sorted_members(const std::vector<member_subscription>& members) {
  member_list out;
  for (const auto& m : members)
    out.push_back(&m);
  std::ranges::sort(out, member_before);
  return out;
}

bool subscribes(const member_subscription& m, std::string_view topic) {
  return std::ranges::find(m.topics, topic) != m.topics.end();
}

member_list subscribers(const member_list& order, std::string_view topic) {
  member_list out;
  for (auto* m : order)
    if (subscribes(*m, topic))
      out.push_back(m);
  return out;
}

assignment empty_assignment(const std::vector<member_subscription>& members) {
  assignment out;
  for (const auto& m : members)
    out[m.member_id];
  return out;
}

void sort_lists(assignment& a) {
  for (auto& [member, tps] : a)
    std::ranges::sort(tps);
}

// Every partition of a topic that some member subscribes to, sorted by (topic, partition).
partition_list subscribed_partitions(const partition_counts& counts, const member_list& order) {
  partition_list out;
  for (const auto& [topic, count] : counts) {
    if (subscribers(order, topic).empty())
      continue;
    for (int32_t p = 0; p < count; ++p)
      out.push_back({topic, partition_id{p}});
  }
  return out;
}

// RangeAssignor for one topic: member i of n gets count/n partitions, plus one if
// i < count % n, as one contiguous range starting after member i-1's.
void assign_ranges(const std::string& topic, int32_t count, const member_list& subs,
                   assignment& out) {
  if (subs.empty() || count <= 0)
    return;
  auto n = static_cast<int32_t>(subs.size());
  int32_t per_member = count / n;
  int32_t extra = count % n;
  for (int32_t i = 0; i < n; ++i) {
    int32_t start = per_member * i + std::min(i, extra);
    int32_t length = per_member + (i < extra ? 1 : 0);
    for (int32_t p = start; p < start + length; ++p)
      out[subs[i]->member_id].push_back({topic, partition_id{p}});
  }
}

} // namespace

assignment assign_range(const partition_counts& counts,
                        const std::vector<member_subscription>& members) {
  auto out = empty_assignment(members);
  auto order = sorted_members(members);
  for (const auto& [topic, count] : counts)
    assign_ranges(topic, count, subscribers(order, topic), out);
  sort_lists(out);
  return out;
}

// RoundRobinAssignor: deal the sorted partitions over the sorted members in a circle; a member
// not subscribed to a partition's topic is skipped for that partition (and the deal continues
// from the member after the one that took it, as Kafka's CircularIterator does).
assignment assign_round_robin(const partition_counts& counts,
                              const std::vector<member_subscription>& members) {
  auto out = empty_assignment(members);
  auto order = sorted_members(members);
  size_t next = 0;
  for (const auto& tp : subscribed_partitions(counts, order)) {
    // Ends: subscribed_partitions only lists topics some member subscribes to.
    while (!subscribes(*order[next], tp.topic))
      next = (next + 1) % order.size();
    out[order[next]->member_id].push_back(tp);
    next = (next + 1) % order.size();
  }
  sort_lists(out);
  return out;
}

namespace {

// Who owns each partition now, by the members' own claims. More than one claimant means the
// previous generation's revocations have not completed (or a bug upstream).
using claim_map = std::map<topic_partition_ref, std::vector<std::string>>;

claim_map claims_of(const std::vector<member_subscription>& members) {
  claim_map out;
  for (const auto& m : members)
    for (const auto& tp : m.owned)
      if (auto& v = out[tp]; v.empty() || v.back() != m.member_id) // a member listing tp twice
        v.push_back(m.member_id);
  return out;
}

bool exists(const partition_counts& counts, const topic_partition_ref& tp) {
  auto i = counts.find(tp.topic);
  return i != counts.end() && tp.partition() >= 0 && tp.partition() < i->second;
}

// The working state of the sticky step: members in MemberInfo order (index = tie-break) and
// what each holds in the target being built.
struct sticky_state {
  member_list order;
  std::vector<std::set<topic_partition_ref>> held;
  std::vector<std::set<topic_partition_ref>> kept; // owned partitions the member may keep

  size_t load(size_t i) const { return held[i].size(); }
};

// A member keeps an owned partition only if it still exists, the member is still subscribed
// to its topic, and no one else claims it.
sticky_state keep_owned(const partition_counts& counts, const member_list& order,
                        const claim_map& claims) {
  sticky_state st{order, std::vector<std::set<topic_partition_ref>>(order.size()), {}};
  for (size_t i = 0; i < order.size(); ++i)
    for (const auto& tp : order[i]->owned)
      if (exists(counts, tp) && subscribes(*order[i], tp.topic) && claims.at(tp).size() == 1)
        st.held[i].insert(tp);
  st.kept = st.held;
  return st;
}

// The eligible member holding the fewest partitions (ties: MemberInfo order), or none.
std::optional<size_t> least_loaded(const sticky_state& st, std::string_view topic) {
  std::optional<size_t> best;
  for (size_t i = 0; i < st.order.size(); ++i)
    if (subscribes(*st.order[i], topic) && (!best || st.load(i) < st.load(*best)))
      best = i;
  return best;
}

// Give each unheld partition to the least loaded eligible member. Partitions with fewer
// eligible members go first, as in Kafka's AbstractStickyAssignor, so that they are not
// crowded out by partitions that could go anywhere.
void place_unheld(const partition_counts& counts, sticky_state& st) {
  std::set<topic_partition_ref> held_any;
  for (const auto& h : st.held)
    held_any.insert(h.begin(), h.end());
  std::vector<std::pair<size_t, topic_partition_ref>> todo;
  for (auto& tp : subscribed_partitions(counts, st.order))
    if (!held_any.contains(tp))
      todo.emplace_back(subscribers(st.order, tp.topic).size(), tp);
  std::ranges::sort(todo);
  for (const auto& [eligible, tp] : todo)
    st.held[*least_loaded(st, tp.topic)].insert(tp);
}

// From giver g, the partition receiver r may take: one g did not own before if possible
// (stickiness), the last in sort order among equals (determinism).
std::optional<topic_partition_ref> pick_movable(const sticky_state& st, size_t g, size_t r) {
  std::optional<topic_partition_ref> best;
  bool best_kept = true;
  for (const auto& tp : st.held[g]) {
    if (!subscribes(*st.order[r], tp.topic))
      continue;
    bool was_kept = st.kept[g].contains(tp);
    if (!best || (best_kept && !was_kept) || was_kept == best_kept) {
      best = tp;
      best_kept = was_kept;
    }
  }
  return best;
}

std::vector<size_t> indices_by_load(const sticky_state& st, bool descending) {
  std::vector<size_t> idx(st.order.size());
  for (size_t i = 0; i < idx.size(); ++i)
    idx[i] = i;
  std::ranges::stable_sort(idx, [&](size_t a, size_t b) {
    return descending ? st.load(a) > st.load(b) : st.load(a) < st.load(b);
  });
  return idx;
}

// One step of balancing: move a partition from the most loaded member that can give one to
// an eligible member holding at least two fewer. False when no such move exists.
bool move_one(sticky_state& st) {
  auto receivers = indices_by_load(st, false);
  for (size_t g : indices_by_load(st, true)) {
    for (size_t r : receivers) {
      if (st.load(r) + 2 > st.load(g))
        break;
      if (auto tp = pick_movable(st, g, r)) {
        st.held[g].erase(*tp);
        st.held[r].insert(*tp);
        return true;
      }
    }
  }
  return false;
}

// Each move lowers the sum of squared loads by at least 2 (a >= b + 2 gives
// (a-1)^2 + (b+1)^2 = a^2 + b^2 - 2(a - b) + 2), so that sum bounds the number of moves.
void balance(sticky_state& st) {
  size_t squares = 0;
  for (size_t i = 0; i < st.order.size(); ++i)
    squares += st.load(i) * st.load(i);
  size_t moves = 0;
  while (move_one(st)) {
    ++moves;
    assert(moves <= squares);
  }
  (void)squares;
  (void)moves;
}

// KIP-429: drop from the target every partition some other member still owns; it is revoked
// now and assigned in the follow-up rebalance.
void withhold_transfers(assignment& target, const claim_map& claims) {
  for (auto& [member, tps] : target)
    std::erase_if(tps, [&, &member = member](const topic_partition_ref& tp) {
      auto i = claims.find(tp);
      return i != claims.end() &&
             std::ranges::any_of(i->second, [&](const auto& m) { return m != member; });
    });
}

} // namespace

assignment assign_cooperative_sticky(const partition_counts& counts,
                                     const std::vector<member_subscription>& members) {
  auto claims = claims_of(members);
  auto st = keep_owned(counts, sorted_members(members), claims);
  place_unheld(counts, st);
  balance(st);
  auto out = empty_assignment(members);
  for (size_t i = 0; i < st.order.size(); ++i)
    out[st.order[i]->member_id].assign(st.held[i].begin(), st.held[i].end());
  withhold_transfers(out, claims);
  return out;
}

std::map<std::string, std::vector<topic_partition_ref>>
revocations(const std::vector<member_subscription>& members, const assignment& target) {
  std::map<std::string, std::vector<topic_partition_ref>> out;
  for (const auto& m : members) {
    auto i = target.find(m.member_id);
    for (const auto& tp : m.owned)
      if (i == target.end() || std::ranges::find(i->second, tp) == i->second.end())
        out[m.member_id].push_back(tp);
  }
  for (auto& [member, tps] : out)
    std::ranges::sort(tps);
  return out;
}

} // namespace sluice::actors
