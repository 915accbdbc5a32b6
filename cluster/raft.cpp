#include "cluster/raft.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace sluice::cluster {

const char* message_name(const raft_payload& p) noexcept {
  static constexpr const char* names[] = {"pre_vote_request", "pre_vote_response",
                                          "vote_request",     "vote_response",
                                          "append_request",   "append_response"};
  return names[p.index()];
}

const char* to_string(raft_role r) noexcept {
  switch (r) {
    case raft_role::follower: return "follower";
    case raft_role::pre_candidate: return "pre_candidate";
    case raft_role::candidate: return "candidate";
    case raft_role::leader: return "leader";
  }
  return "?";
}

const char* to_string(propose_errc e) noexcept {
  switch (e) {
    case propose_errc::none: return "none";
    case propose_errc::not_leader: return "not_leader";
    case propose_errc::busy: return "busy";
    case propose_errc::empty_command: return "empty_command";
  }
  return "?";
}

raft_node::raft_node(node_id self, std::vector<node_id> voters, raft_config cfg, uint64_t seed,
                     raft_persisted restart)
    : self_(self), voters_(std::move(voters)), cfg_(cfg), rng_(seed),
      term_(restart.hard.term), voted_for_(restart.hard.voted_for), log_(std::move(restart.log)),
      persisted_hard_(restart.hard) {
  std::ranges::sort(voters_);
  if (voters_.empty() || std::ranges::find(voters_, self_) == voters_.end()
      || std::ranges::adjacent_find(voters_) != voters_.end())
    fail("voters must be distinct and include self");
  if (cfg_.election_timeout_min_ms <= cfg_.heartbeat_interval_ms
      || cfg_.election_timeout_max_ms < cfg_.election_timeout_min_ms
      || cfg_.max_entries_per_append == 0 || cfg_.max_inflight_appends == 0)
    fail("bad raft_config");
  for (size_t i = 0; i < log_.size(); ++i) {
    if (log_[i].index != log_index{int64_t(i + 1)}
        || (i > 0 && log_[i].term < log_[i - 1].term) || log_[i].term > term_)
      fail("restart log is not contiguous from 1 with non-decreasing terms <= hard term");
  }
}

// ---- inputs -----------------------------------------------------------------------------------

void raft_node::start(int64_t now_ms) {
  now_ms_ = now_ms;
  if (started_)
    return;
  started_ = true;
  reset_election_deadline(now_ms);
}

void raft_node::tick(int64_t now_ms) {
  start(now_ms);
  if (role_ == raft_role::leader) {
    if (now_ms >= heartbeat_deadline_ms_) {
      broadcast_heartbeat();
      heartbeat_deadline_ms_ = now_ms + cfg_.heartbeat_interval_ms;
    }
  } else if (now_ms >= election_deadline_ms_) {
    become_pre_candidate(now_ms);
  }
}

void raft_node::step(const raft_message& msg, int64_t now_ms) {
  start(now_ms);
  if (msg.to != self_ || msg.from == self_ || !std::ranges::binary_search(voters_, msg.from))
    return;
  const auto& p = msg.payload;
  raft_term t = std::visit([](const auto& m) { return m.term; }, p);
  if (t > term_) {
    // A pre-vote request's term is only proposed, and a granted pre-vote echoes it: adopting
    // either would be exactly the disruption pre-vote exists to prevent (thesis §9.6).
    bool proposed_only = std::holds_alternative<pre_vote_request>(p)
                         || (std::holds_alternative<pre_vote_response>(p)
                             && std::get<pre_vote_response>(p).granted);
    if (!proposed_only) {
      std::optional<node_id> lead;
      if (std::holds_alternative<append_request>(p))
        lead = msg.from;
      become_follower(t, lead, now_ms); // §5.1: any higher term demotes
    }
  } else if (t < term_) {
    // Stale sender: tell it our term so a deposed leader or lagging candidate catches up.
    if (std::holds_alternative<append_request>(p))
      send(msg.from, append_response{term_, false, {}, {}, {}, {}});
    else if (std::holds_alternative<pre_vote_request>(p))
      send(msg.from, pre_vote_response{term_, false});
    else if (std::holds_alternative<vote_request>(p))
      send(msg.from, vote_response{term_, false});
    return;
  }
  std::visit(
    [&](const auto& m) {
      using T = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<T, pre_vote_request>)
        on_pre_vote_request(msg.from, m, now_ms);
      else if constexpr (std::is_same_v<T, pre_vote_response>)
        on_pre_vote_response(msg.from, m, now_ms);
      else if constexpr (std::is_same_v<T, vote_request>)
        on_vote_request(msg.from, m, now_ms);
      else if constexpr (std::is_same_v<T, vote_response>)
        on_vote_response(msg.from, m, now_ms);
      else if constexpr (std::is_same_v<T, append_request>)
        on_append_request(msg.from, m, now_ms);
      else
        on_append_response(msg.from, m);
    },
    p);
}

propose_result raft_node::propose(std::string command, int64_t now_ms) {
  start(now_ms);
  if (command.empty())
    return {propose_errc::empty_command, {}, {}, {}};
  if (role_ != raft_role::leader)
    return {propose_errc::not_leader, {}, {}, leader_};
  if (last_index() - commit_ >= int64_t(cfg_.max_uncommitted_entries))
    return {propose_errc::busy, {}, {}, self_};
  log_index index = last_index() + 1;
  append({term_, index, std::move(command)});
  for (auto& [id, pr] : progress_)
    while (send_append(id, pr, false)) {
    }
  maybe_commit();
  return {propose_errc::none, index, term_, self_};
}

// ---- output -----------------------------------------------------------------------------------

bool raft_node::has_ready() const {
  return !ready_.empty() || hard_state{term_, voted_for_} != persisted_hard_ || commit_ > applied_;
}

raft_ready raft_node::take_ready() {
  raft_ready r = std::move(ready_);
  ready_ = {};
  hard_state hs{term_, voted_for_};
  if (hs != persisted_hard_) {
    r.hard = hs;
    persisted_hard_ = hs;
  }
  // Safe to hand out entries that are in this same ready's `entries`: the caller persists
  // before applying.
  for (log_index i = applied_ + 1; i <= commit_; ++i)
    r.committed.push_back(log_[size_t(i() - 1)]);
  applied_ = commit_;
  return r;
}

// ---- roles ------------------------------------------------------------------------------------

void raft_node::reset_election_deadline(int64_t now_ms) {
  auto span = uint64_t(cfg_.election_timeout_max_ms - cfg_.election_timeout_min_ms + 1);
  election_deadline_ms_ = now_ms + cfg_.election_timeout_min_ms + int64_t(rng_() % span);
}

void raft_node::become_follower(raft_term term, std::optional<node_id> leader, int64_t now_ms) {
  if (term < term_)
    fail("term going back");
  if (term > term_) {
    term_ = term;
    voted_for_.reset(); // a vote is per term (§5.2)
  }
  role_ = raft_role::follower;
  leader_ = leader;
  if (leader)
    leader_contact_ms_ = now_ms;
  votes_.clear();
  progress_.clear();
  reset_election_deadline(now_ms);
}

void raft_node::become_pre_candidate(int64_t now_ms) {
  role_ = raft_role::pre_candidate;
  leader_.reset();
  progress_.clear();
  votes_ = {self_};
  reset_election_deadline(now_ms);
  if (quorum(votes_.size()))
    return become_candidate(now_ms);
  for (auto v : voters_)
    if (v != self_)
      send(v, pre_vote_request{term_ + 1, last_index(), last_term()});
}

void raft_node::become_candidate(int64_t now_ms) {
  ++term_;
  voted_for_ = self_;
  role_ = raft_role::candidate;
  leader_.reset();
  votes_ = {self_};
  reset_election_deadline(now_ms);
  if (quorum(votes_.size()))
    return become_leader(now_ms);
  for (auto v : voters_)
    if (v != self_)
      send(v, vote_request{term_, last_index(), last_term()});
}

void raft_node::become_leader(int64_t now_ms) {
  role_ = raft_role::leader;
  leader_ = self_;
  votes_.clear();
  progress_.clear();
  for (auto v : voters_) {
    if (v == self_)
      continue;
    progress pr; // match unknown (0); next optimistic, just past our log (§5.3)
    pr.next = last_index() + 1;
    progress_[v] = pr;
  }
  // §5.4.2: entries of earlier terms commit only under an entry of this term; the no-op makes
  // that happen without waiting for a client proposal (§8).
  append({term_, last_index() + 1, std::string{}});
  heartbeat_deadline_ms_ = now_ms + cfg_.heartbeat_interval_ms;
  for (auto& [id, pr] : progress_)
    send_append(id, pr, false);
  maybe_commit();
}

bool raft_node::leader_is_live(int64_t now_ms) const {
  if (role_ == raft_role::leader)
    return true;
  return leader_ && now_ms - leader_contact_ms_ < cfg_.election_timeout_min_ms;
}

// §5.4.1: the voter's log must not be more up to date than the candidate's.
bool raft_node::log_up_to_date(log_index last_index, raft_term last_term) const {
  auto mine = this->last_term();
  return last_term > mine || (last_term == mine && last_index >= this->last_index());
}

// ---- elections --------------------------------------------------------------------------------

void raft_node::on_pre_vote_request(node_id from, const pre_vote_request& m, int64_t now_ms) {
  bool granted = m.term > term_ && !leader_is_live(now_ms)
                 && log_up_to_date(m.last_index, m.last_term);
  send(from, pre_vote_response{granted ? m.term : term_, granted});
}

void raft_node::on_pre_vote_response(node_id from, const pre_vote_response& m, int64_t now_ms) {
  if (role_ != raft_role::pre_candidate || m.term != term_ + 1 || !m.granted)
    return;
  votes_.insert(from);
  if (quorum(votes_.size()))
    become_candidate(now_ms);
}

void raft_node::on_vote_request(node_id from, const vote_request& m, int64_t now_ms) {
  // m.term == term_ here. One vote per term, and none once a leader of the term is known.
  bool can_vote = voted_for_ == from || (!voted_for_ && !leader_);
  bool granted = can_vote && log_up_to_date(m.last_index, m.last_term);
  if (granted) {
    voted_for_ = from;
    reset_election_deadline(now_ms);
  }
  send(from, vote_response{term_, granted});
}

void raft_node::on_vote_response(node_id from, const vote_response& m, int64_t now_ms) {
  if (role_ != raft_role::candidate || m.term != term_ || !m.granted)
    return;
  votes_.insert(from);
  if (quorum(votes_.size()))
    become_leader(now_ms);
}

// ---- replication: follower side ---------------------------------------------------------------

void raft_node::on_append_request(node_id from, const append_request& m, int64_t now_ms) {
  // m.term == term_ here.
  if (role_ == raft_role::leader || (leader_ && *leader_ != from))
    fail("two leaders in term " + std::to_string(term_()));
  become_follower(term_, from, now_ms);
  if (m.prev_index < log_index{0})
    return;
  if (m.prev_index > last_index() || term_at(m.prev_index) != m.prev_term)
    return send(from, reject_with_hint(m.prev_index, m.prev_term));
  log_index expected = m.prev_index + 1;
  for (const auto& e : m.entries) {
    if (e.index != expected || e.term > m.term)
      return; // malformed batch: drop it whole
    ++expected;
    if (e.index <= last_index()) {
      if (term_at(e.index) == e.term)
        continue; // log matching (§5.3): same index and term, same prefix
      if (e.index <= commit_)
        fail("leader overwrites committed index " + std::to_string(e.index()));
      truncate_from(e.index);
    }
    append(e);
  }
  // Only the prefix through last_new is known to match the leader's log; a commit index beyond
  // it could cover an entry of ours that the leader does not have.
  log_index last_new = m.prev_index + int64_t(m.entries.size());
  auto c = std::min(m.leader_commit, last_new);
  if (c > commit_)
    set_commit(c);
  send(from, append_response{term_, true, last_new, {}, {}, {}});
}

append_response raft_node::reject_with_hint(log_index prev_index, raft_term prev_term) const {
  // Every entry of ours in (hint, prev_index] has a term > prev_term, so none can match the
  // leader's entry there (the leader's terms up to prev_index are <= prev_term).
  log_index hint = std::min(prev_index, last_index());
  while (hint > log_index{0} && term_at(hint) > prev_term)
    hint = hint - 1;
  return {term_, false, {}, prev_index, hint, term_at(hint)};
}

// ---- replication: leader side -----------------------------------------------------------------

// Sends at most one append; returns whether another may follow at once (pipelining). A
// heartbeat always sends something, so the follower's election timer stays quiet.
bool raft_node::send_append(node_id to, progress& pr, bool heartbeat) {
  if (pr.replicating) {
    if (pr.inflight.size() >= cfg_.max_inflight_appends || pr.next > last_index()) {
      // Nothing new may go out: an empty append at the known match carries the commit index
      // without disturbing the pipeline.
      if (heartbeat)
        send(to, append_request{term_, self_, pr.match, term_at(pr.match), {}, commit_});
      return false;
    }
  } else if (pr.probe_sent && !heartbeat) {
    return false;
  }
  append_request req{term_, self_, pr.next - 1, term_at(pr.next - 1), {}, commit_};
  auto end = std::min(last_index(), pr.next + int64_t(cfg_.max_entries_per_append - 1));
  for (log_index i = pr.next; i <= end; ++i)
    req.entries.push_back(log_[size_t(i() - 1)]);
  bool more = false;
  if (pr.replicating) {
    if (pr.inflight.empty())
      pr.stalled_since_ms = now_ms_;
    pr.inflight.push_back(end);
    pr.next = end + 1;
    more = true;
  } else {
    pr.probe_sent = true; // one probe at a time; the next heartbeat retries a lost one
  }
  send(to, std::move(req));
  return more;
}

void raft_node::broadcast_heartbeat() {
  for (auto& [id, pr] : progress_) {
    if (pr.replicating && !pr.inflight.empty()
        && now_ms_ - pr.stalled_since_ms >= cfg_.election_timeout_min_ms) {
      pr.replicating = false; // the pipeline was lost: probe again from what is known to match
      pr.inflight.clear();
      pr.next = pr.match + 1;
    }
    if (!pr.replicating)
      pr.probe_sent = false;
    send_append(id, pr, true);
  }
}

void raft_node::on_append_response(node_id from, const append_response& m) {
  if (role_ != raft_role::leader || m.term != term_)
    return;
  auto it = progress_.find(from);
  if (it == progress_.end())
    return;
  auto& pr = it->second;
  if (m.success) {
    if (m.match_index > last_index())
      fail("follower acknowledged entries the leader does not have");
    pr.match = std::max(pr.match, m.match_index);
    while (!pr.inflight.empty() && pr.inflight.front() <= pr.match) {
      pr.inflight.pop_front();
      pr.stalled_since_ms = now_ms_;
    }
    if (!pr.replicating) {
      pr.replicating = true;
      pr.inflight.clear();
      pr.next = pr.match + 1;
    }
    pr.next = std::max(pr.next, pr.match + 1);
    maybe_commit();
    while (send_append(from, pr, false)) {
    }
    return;
  }
  if (m.rejected_index <= pr.match)
    return; // stale: that prefix is known to match by now
  if (!pr.replicating && m.rejected_index != pr.next - 1)
    return; // answers an older probe
  // The follower's entries in (hint_index, rejected_index] conflict. Ours in (k, hint_index]
  // have terms > hint_term >= the follower's there, so they conflict too: probe at k.
  log_index k = std::min(m.hint_index, last_index());
  while (k > log_index{0} && term_at(k) > m.hint_term)
    k = k - 1;
  pr.next = std::max(pr.match + 1, std::min(k + 1, m.rejected_index));
  pr.replicating = false;
  pr.inflight.clear();
  pr.probe_sent = false;
  send_append(from, pr, false);
}

// §5.3/§5.4.2: the highest index stored on a majority commits if its entry is of this term
// (then log matching commits everything before it too).
void raft_node::maybe_commit() {
  if (role_ != raft_role::leader)
    return;
  std::vector<log_index> matches{last_index()};
  for (auto& [id, pr] : progress_)
    matches.push_back(pr.match);
  std::ranges::sort(matches, std::greater<>{});
  log_index n = matches[voters_.size() / 2];
  if (n > commit_ && term_at(n) == term_)
    set_commit(n);
}

// ---- log --------------------------------------------------------------------------------------

raft_term raft_node::term_at(log_index i) const {
  if (i == log_index{0})
    return raft_term{0};
  if (i < log_index{0} || i > last_index())
    fail("term_at out of range: " + std::to_string(i()));
  return log_[size_t(i() - 1)].term;
}

void raft_node::append(log_entry e) {
  if (e.index != last_index() + 1 || e.term < last_term() || e.term > term_)
    fail("append breaks the log's order");
  log_.push_back(e);
  ready_.entries.push_back(std::move(e));
}

void raft_node::truncate_from(log_index i) {
  if (i <= commit_)
    fail("truncating committed entries");
  log_.resize(size_t(i() - 1));
  auto& pending = ready_.entries;
  if (!pending.empty() && pending.front().index <= i) {
    // The cut falls inside what the caller has not persisted yet: nothing durable to drop.
    pending.resize(size_t(i - pending.front().index));
    return;
  }
  pending.clear();
  ready_.truncate_from = ready_.truncate_from ? std::min(*ready_.truncate_from, i) : i;
}

void raft_node::set_commit(log_index c) {
  if (c < commit_ || c > last_index())
    fail("commit index out of order");
  commit_ = c;
}

void raft_node::send(node_id to, raft_payload p) {
  ready_.messages.push_back({self_, to, std::move(p)});
}

void raft_node::fail(const std::string& what) const {
  throw std::logic_error("raft node " + std::to_string(self_()) + " term "
                         + std::to_string(term_()) + ": " + what);
}

std::map<node_id, log_index> raft_node::matches() const {
  std::map<node_id, log_index> out;
  if (role_ == raft_role::leader)
    for (auto& [id, pr] : progress_)
      out.emplace(id, pr.match);
  return out;
}

} // namespace sluice::cluster
