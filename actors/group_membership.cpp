#include "actors/group_membership.hpp"

#include <algorithm>
#include <cassert>

namespace sluice::actors {

const char* to_string(group_errc e) noexcept {
  switch (e) {
    case group_errc::none: return "none";
    case group_errc::unknown_member_id: return "unknown_member_id";
    case group_errc::illegal_generation: return "illegal_generation";
    case group_errc::rebalance_in_progress: return "rebalance_in_progress";
    case group_errc::fenced_instance_id: return "fenced_instance_id";
    case group_errc::inconsistent_group_protocol: return "inconsistent_group_protocol";
    case group_errc::coordinator_not_available: return "coordinator_not_available";
    case group_errc::non_empty_group: return "non_empty_group";
  }
  return "?";
}

const char* to_string(group_state s) noexcept {
  switch (s) {
    case group_state::empty: return "empty";
    case group_state::preparing_rebalance: return "preparing_rebalance";
    case group_state::completing_rebalance: return "completing_rebalance";
    case group_state::stable: return "stable";
    case group_state::dead: return "dead";
  }
  return "?";
}

namespace {

bool known_protocol(const std::string& p) {
  return p == range_protocol || p == round_robin_protocol || p == cooperative_sticky_protocol;
}

std::vector<std::string> known_only(const std::vector<std::string>& protocols) {
  std::vector<std::string> out;
  std::ranges::copy_if(protocols, std::back_inserter(out), known_protocol);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::ranges::find(v, x) != v.end();
}

} // namespace

group_membership::group_membership(partition_counts counts, std::string member_id_prefix,
                                   generation_id generation)
  : counts_(std::move(counts)), member_id_prefix_(std::move(member_id_prefix)),
    generation_(generation) {}

bool group_membership::set_partition_counts(partition_counts counts, int64_t now_ms) {
  auto count = [](const partition_counts& c, const std::string& t) {
    auto it = c.find(t);
    return it == c.end() ? 0 : it->second;
  };
  bool changed = std::ranges::any_of(members_, [&](auto& m) {
    return std::ranges::any_of(m.second.topics, [&](const std::string& t) {
      return count(counts_, t) != count(counts, t);
    });
  });
  counts_ = std::move(counts);
  if (!changed || (state_ != group_state::stable && state_ != group_state::completing_rebalance))
    return false;
  prepare_rebalance(now_ms);
  return true;
}

// ---- join (JoinGroup) -----------------------------------------------------------------------

join_result group_membership::join(const join_request& req, int64_t now_ms) {
  if (state_ == group_state::dead)
    return {group_errc::coordinator_not_available, req.member_id, {}};
  if (!supports(req.protocols))
    return {group_errc::inconsistent_group_protocol, req.member_id, {}};
  if (req.member_id.empty())
    return join_new(req, now_ms);
  return join_known(req, now_ms);
}

// Kafka's GroupMetadata.supportsProtocols: an empty group takes any protocol; otherwise the
// member must share one with every current member.
bool group_membership::supports(const std::vector<std::string>& protocols) const {
  auto mine = known_only(protocols);
  if (mine.empty())
    return false;
  return std::ranges::any_of(mine, [&](const std::string& p) {
    return std::ranges::all_of(members_, [&](auto& m) { return contains(m.second.protocols, p); });
  });
}

join_result group_membership::join_new(const join_request& req, int64_t now_ms) {
  if (req.group_instance_id) {
    auto it = static_members_.find(*req.group_instance_id);
    if (it != static_members_.end())
      return replace_static(it->second, req, now_ms);
  }
  auto id = next_member_id();
  members_[id] = member{req.group_instance_id, known_only(req.protocols), req.topics, req.owned,
                        req.session_timeout_ms, req.rebalance_timeout_ms, now_ms, true, false};
  if (req.group_instance_id)
    static_members_[*req.group_instance_id] = id;
  join_result out{group_errc::none, id, {}};
  prepare_rebalance(now_ms);
  maybe_complete_join(out.effects);
  return out;
}

join_result group_membership::join_known(const join_request& req, int64_t now_ms) {
  if (auto err = check_member(req.member_id, req.group_instance_id))
    return {*err, req.member_id, {}};
  auto& m = members_.at(req.member_id);
  m.protocols = known_only(req.protocols);
  m.topics = req.topics;
  m.owned = req.owned;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.last_seen_ms = now_ms;
  m.awaiting_join = true;
  join_result out{group_errc::none, req.member_id, {}};
  prepare_rebalance(now_ms);
  maybe_complete_join(out.effects);
  return out;
}

// KIP-345: a static member that restarts (new JoinGroup with an empty member id and a known
// group.instance.id) takes over the old member's slot under a fresh id, fencing the old id.
// The generation and the assignment stay, so no rebalance: the member syncs and gets back
// exactly what it had. If a rebalance is under way it simply joins it in the old one's place.
join_result group_membership::replace_static(std::string old_id, const join_request& req,
                                             int64_t now_ms) {
  auto node = members_.extract(old_id);
  assert(!node.empty());
  join_result out{group_errc::none, next_member_id(), {}};
  if (node.mapped().awaiting_join)
    out.effects.joins.push_back({old_id, group_errc::fenced_instance_id, no_generation, {}, {}, {}});
  node.key() = out.member_id;
  node.mapped().last_seen_ms = now_ms;
  node.mapped().synced = false;
  members_.insert(std::move(node));
  static_members_[*req.group_instance_id] = out.member_id;
  if (leader_ == old_id)
    leader_ = out.member_id;
  if (auto a = assignment_.extract(old_id); !a.empty()) {
    a.key() = out.member_id;
    assignment_.insert(std::move(a));
  }
  if (state_ == group_state::preparing_rebalance) {
    members_.at(out.member_id).awaiting_join = true;
    maybe_complete_join(out.effects);
  } else {
    out.effects.joins.push_back(response_for(out.member_id));
  }
  return out;
}

// Kafka's validation order: unknown member, then a static member's fencing (KIP-345).
std::optional<group_errc>
group_membership::check_member(const std::string& member_id,
                               const std::optional<std::string>& instance_id) const {
  if (state_ == group_state::dead)
    return group_errc::coordinator_not_available;
  if (instance_id) {
    auto it = static_members_.find(*instance_id);
    if (it != static_members_.end() && it->second != member_id)
      return group_errc::fenced_instance_id;
  }
  if (!members_.contains(member_id))
    return group_errc::unknown_member_id;
  return std::nullopt;
}

// ---- rebalance --------------------------------------------------------------------------------

// Every member must rejoin; the rebalance timeout (the largest of the members', as Kafka's
// DelayedJoin) bounds how long the group waits for them.
void group_membership::prepare_rebalance(int64_t now_ms) {
  if (state_ == group_state::preparing_rebalance)
    return;
  state_ = group_state::preparing_rebalance;
  int64_t timeout_ms = 0;
  for (auto& [id, m] : members_) {
    timeout_ms = std::max(timeout_ms, m.rebalance_timeout_ms);
    m.synced = false;
  }
  rebalance_deadline_ms_ = now_ms + timeout_ms;
}

void group_membership::maybe_complete_join(group_effects& fx) {
  if (state_ != group_state::preparing_rebalance)
    return;
  if (std::ranges::all_of(members_, [](auto& m) { return m.second.awaiting_join; }))
    complete_join(fx);
}

// Kafka's onCompleteJoin + initNextGeneration: bump the generation even when no member is
// left (the group becomes empty), else pick protocol and leader, assign, answer every join.
void group_membership::complete_join(group_effects& fx) {
  ++generation_;
  if (members_.empty()) {
    state_ = group_state::empty;
    protocol_.clear();
    leader_.clear();
    assignment_.clear();
    revocations_pending_ = false;
    return;
  }
  state_ = group_state::completing_rebalance;
  protocol_ = select_protocol();
  if (!members_.contains(leader_))
    leader_ = members_.begin()->first;
  compute_assignment();
  for (auto& [id, m] : members_) {
    m.awaiting_join = false;
    fx.joins.push_back(response_for(id));
  }
}

// Kafka's GroupMetadata.selectProtocol: among the protocols every member supports, each
// member votes for its most preferred one; most votes wins (ties: lexicographically first).
std::string group_membership::select_protocol() const {
  std::map<std::string, int> votes;
  for (auto& [id, m] : members_)
    for (auto& p : m.protocols)
      if (std::ranges::all_of(members_, [&](auto& o) { return contains(o.second.protocols, p); })) {
        ++votes[p];
        break;
      }
  assert(!votes.empty()); // join admits only members sharing a protocol with the group
  return std::ranges::max_element(votes, {}, [](auto& v) { return v.second; })->first;
}

void group_membership::compute_assignment() {
  std::vector<member_subscription> subs;
  for (auto& [id, m] : members_)
    subs.push_back({id, m.instance_id, m.topics, m.owned});
  if (protocol_ == range_protocol)
    assignment_ = assign_range(counts_, subs);
  else if (protocol_ == round_robin_protocol)
    assignment_ = assign_round_robin(counts_, subs);
  else
    assignment_ = assign_cooperative_sticky(counts_, subs);
  revocations_pending_ =
    protocol_ == cooperative_sticky_protocol && !revocations(subs, assignment_).empty();
}

// completing_rebalance ends once every member holds its assignment. With revocations owed
// (KIP-429), the coordinator starts the follow-up rebalance so the revoked partitions reach
// their new owners.
void group_membership::maybe_stabilize(int64_t now_ms) {
  if (state_ != group_state::completing_rebalance)
    return;
  if (!std::ranges::all_of(members_, [](auto& m) { return m.second.synced; }))
    return;
  state_ = group_state::stable;
  if (revocations_pending_) {
    revocations_pending_ = false;
    prepare_rebalance(now_ms);
  }
}

join_response group_membership::response_for(const std::string& id) const {
  return {id, group_errc::none, generation_, protocol_, leader_, member_ids()};
}

std::string group_membership::next_member_id() {
  return member_id_prefix_ + "-" + std::to_string(next_member_seq_++);
}

// Removes a member; a parked join of it is answered with `reason`. The caller rebalances.
void group_membership::remove_member(const std::string& id, group_errc reason,
                                     group_effects& fx) {
  auto it = members_.find(id);
  assert(it != members_.end());
  if (it->second.awaiting_join)
    fx.joins.push_back({id, reason, no_generation, {}, {}, {}});
  if (it->second.instance_id)
    static_members_.erase(*it->second.instance_id);
  members_.erase(it);
}

// ---- sync, heartbeat, leave, commit -----------------------------------------------------------

// SyncGroup. The coordinator already holds every assignment, so the sync is answered at once.
sync_response group_membership::sync(const std::string& member_id, generation_id gen,
                                     int64_t now_ms,
                                     const std::optional<std::string>& instance_id) {
  if (auto err = check_member(member_id, instance_id))
    return {*err, {}};
  if (gen != generation_)
    return {group_errc::illegal_generation, {}};
  if (state_ == group_state::preparing_rebalance)
    return {group_errc::rebalance_in_progress, {}};
  auto& m = members_.at(member_id);
  m.last_seen_ms = now_ms;
  m.synced = true;
  sync_response out{group_errc::none, assignment_[member_id]};
  maybe_stabilize(now_ms);
  return out;
}

// Heartbeat. Only a current member of the current generation is heard: a zombie's heartbeat
// (old generation) changes nothing, in particular not its session deadline.
group_errc group_membership::heartbeat(const std::string& member_id, generation_id gen,
                                       int64_t now_ms,
                                       const std::optional<std::string>& instance_id) {
  if (auto err = check_member(member_id, instance_id))
    return *err;
  if (gen != generation_)
    return group_errc::illegal_generation;
  members_.at(member_id).last_seen_ms = now_ms;
  if (state_ == group_state::preparing_rebalance)
    return group_errc::rebalance_in_progress; // the member must rejoin
  return group_errc::none;
}

leave_result group_membership::leave(const std::string& member_id, int64_t now_ms) {
  if (auto err = check_member(member_id, std::nullopt))
    return {*err, {}};
  leave_result out;
  remove_member(member_id, group_errc::unknown_member_id, out.effects);
  prepare_rebalance(now_ms);
  maybe_complete_join(out.effects);
  return out;
}

group_effects group_membership::tick(int64_t now_ms) {
  group_effects fx;
  if (state_ == group_state::dead || state_ == group_state::empty)
    return fx;
  expire_sessions(now_ms, fx);
  if (state_ == group_state::preparing_rebalance && now_ms >= rebalance_deadline_ms_)
    drop_laggards(fx);
  return fx;
}

// A member whose join is parked is kept alive by it (Kafka's shouldKeepAlive).
void group_membership::expire_sessions(int64_t now_ms, group_effects& fx) {
  std::vector<std::string> expired;
  for (auto& [id, m] : members_)
    if (!m.awaiting_join && now_ms >= m.last_seen_ms + m.session_timeout_ms)
      expired.push_back(id);
  for (auto& id : expired)
    remove_member(id, group_errc::unknown_member_id, fx);
  if (!expired.empty()) {
    prepare_rebalance(now_ms);
    maybe_complete_join(fx);
  }
}

// The rebalance timeout passed: members that did not rejoin are out; the rest go on.
void group_membership::drop_laggards(group_effects& fx) {
  std::vector<std::string> laggards;
  for (auto& [id, m] : members_)
    if (!m.awaiting_join)
      laggards.push_back(id);
  for (auto& id : laggards)
    remove_member(id, group_errc::unknown_member_id, fx);
  complete_join(fx);
}

// OffsetCommit validation, as Kafka's doCommitOffsets: a consumer outside any group (generation
// -1) may commit only to an empty group; a member commits with its current generation, and not
// while its assignment is being handed out (completing_rebalance).
group_errc group_membership::validate_commit(const std::string& member_id, generation_id gen,
                                             const std::optional<std::string>& instance_id) const {
  if (gen < generation_id{0} && member_id.empty() && !instance_id && state_ == group_state::empty)
    return group_errc::none;
  if (auto err = check_member(member_id, instance_id))
    return *err;
  if (gen != generation_)
    return group_errc::illegal_generation;
  if (state_ == group_state::completing_rebalance)
    return group_errc::rebalance_in_progress;
  return group_errc::none;
}

group_errc group_membership::remove_group() {
  if (state_ == group_state::dead)
    return group_errc::coordinator_not_available;
  if (!members_.empty())
    return group_errc::non_empty_group;
  state_ = group_state::dead;
  return group_errc::none;
}

// ---- views ------------------------------------------------------------------------------------

std::vector<std::string> group_membership::member_ids() const {
  std::vector<std::string> out;
  for (auto& [id, m] : members_)
    out.push_back(id);
  return out;
}

std::optional<std::string> group_membership::instance_of(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? std::nullopt : it->second.instance_id;
}

group_status group_membership::status() const {
  group_status s{to_string(state_), generation_(), protocol_, leader_, members_.size(), 0, 0};
  for (auto& [id, m] : members_) {
    s.awaiting_join += m.awaiting_join ? 1 : 0;
    s.awaiting_sync += (state_ == group_state::completing_rebalance && !m.synced) ? 1 : 0;
  }
  return s;
}

} // namespace sluice::actors
