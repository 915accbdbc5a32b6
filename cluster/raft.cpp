#include "cluster/raft.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <variant>

namespace sluice::cluster {

const char* message_name(const raft_payload& p) noexcept {
  static constexpr const char* names[] = {"pre_vote_request",         "pre_vote_response",
                                          "vote_request",             "vote_response",
                                          "append_request",           "append_response",
                                          "install_snapshot_request", "install_snapshot_response"};
  static_assert(std::size(names) == std::variant_size_v<raft_payload>);
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
      term_(restart.hard.term), voted_for_(restart.hard.voted_for),
      snapshot_(restart.snapshot.value_or(raft_snapshot{})), log_(std::move(restart.log)),
      commit_(snapshot_.index), applied_(snapshot_.index), persisted_hard_(restart.hard) {
  std::ranges::sort(voters_);
  if (voters_.empty() || std::ranges::find(voters_, self_) == voters_.end()
      || std::ranges::adjacent_find(voters_) != voters_.end())
    fail("voters must be distinct and include self");
  if (cfg_.election_timeout_min_ms <= cfg_.heartbeat_interval_ms
      || cfg_.election_timeout_max_ms < cfg_.election_timeout_min_ms
      || cfg_.max_entries_per_append == 0 || cfg_.max_inflight_appends == 0)
    fail("bad raft_config");
  if (restart.snapshot
      && (snapshot_.index < log_index{1} || snapshot_.term < raft_term{1} || snapshot_.term > term_))
    fail("restart snapshot has no entry's index and term <= hard term");
  for (size_t i = 0; i < log_.size(); ++i) {
    auto previous_term = i > 0 ? log_[i - 1].term : snapshot_.term;
    if (log_[i].index != first_index() + int64_t(i) || log_[i].term < previous_term
        || log_[i].term > term_)
      fail("restart log does not follow the snapshot contiguously with non-decreasing terms "
           "<= hard term");
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
    if (!quorum_active(now_ms))
      return become_follower(term_, std::nullopt, now_ms); // check-quorum (thesis §6.2)
    if (now_ms >= heartbeat_deadline_ms_) {
      broadcast_heartbeat();
      heartbeat_deadline_ms_ = now_ms + cfg_.heartbeat_interval_ms;
    }
  } else if (now_ms >= election_deadline_ms_) {
    become_pre_candidate(now_ms);
  }
}

void raft_node::peer_unreachable(node_id peer, int64_t now_ms) {
  start(now_ms);
  if (role_ == raft_role::leader || leader_ != peer)
    return;
  leader_contact_ms_ = now_ms - cfg_.election_timeout_min_ms; // no longer live (pre-votes)
  auto soon = now_ms + int64_t(rng_() % uint64_t(cfg_.heartbeat_interval_ms + 1));
  election_deadline_ms_ = std::min(election_deadline_ms_, soon);
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
      if (std::holds_alternative<append_request>(p)
          || std::holds_alternative<install_snapshot_request>(p))
        lead = msg.from;
      become_follower(t, lead, now_ms); // §5.1: any higher term demotes
    }
  } else if (t < term_) {
    // Stale sender: tell it our term so a deposed leader or lagging candidate catches up.
    if (std::holds_alternative<append_request>(p))
      send(msg.from, append_response{term_, false, {}, {}, {}, {}});
    else if (std::holds_alternative<install_snapshot_request>(p))
      send(msg.from, install_snapshot_response{term_, {}});
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
      else if constexpr (std::is_same_v<T, append_response>)
        on_append_response(msg.from, m);
      else if constexpr (std::is_same_v<T, install_snapshot_request>)
        on_install_snapshot_request(msg.from, m, now_ms);
      else
        on_install_snapshot_response(msg.from, m);
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

void raft_node::compact(log_index index, std::string data) {
  if (index <= snapshot_.index || index > applied_)
    fail("compact at " + std::to_string(index()) + " outside (snapshot "
         + std::to_string(snapshot_.index()) + ", applied " + std::to_string(applied_()) + "]");
  // Entries still pending in ready_ are all beyond applied_ (entries are handed out with the
  // ready that commits them or an earlier one), so none of them is dropped here.
  auto t = term_at(index);
  log_.erase(log_.begin(), log_.begin() + (index - snapshot_.index));
  snapshot_ = raft_snapshot{index, t, std::move(data)};
  ready_.snapshot = snapshot_;
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
    r.committed.push_back(entry_at(i));
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
    pr.heard_ms = now_ms; // check-quorum counts from the election
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

void raft_node::accept_leader(node_id from, int64_t now_ms) {
  // The message's term is term_ here.
  if (role_ == raft_role::leader || (leader_ && *leader_ != from))
    fail("two leaders in term " + std::to_string(term_()));
  become_follower(term_, from, now_ms);
}

void raft_node::on_append_request(node_id from, const append_request& m, int64_t now_ms) {
  accept_leader(from, now_ms);
  if (m.prev_index < log_index{0})
    return;
  log_index expected = m.prev_index + 1;
  for (const auto& e : m.entries) {
    if (e.index != expected || e.term > m.term)
      return; // malformed batch: drop it whole
    ++expected;
  }
  // Entries up to our snapshot were committed, so the leader holds them too (leader
  // completeness, §5.4): only a prev_index beyond the snapshot needs checking.
  if (m.prev_index >= snapshot_.index
      && (m.prev_index > last_index() || term_at(m.prev_index) != m.prev_term))
    return send(from, reject_with_hint(m.prev_index, m.prev_term));
  for (const auto& e : m.entries) {
    if (e.index <= snapshot_.index)
      continue;
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

void raft_node::on_install_snapshot_request(node_id from, const install_snapshot_request& m,
                                            int64_t now_ms) {
  accept_leader(from, now_ms);
  const auto& snap = m.snapshot;
  if (snap.index < log_index{1} || snap.term < raft_term{1} || snap.term > m.term)
    return; // malformed: a snapshot covers at least one entry of a term up to the leader's
  if (snap.index <= commit_) // stale or duplicate: what we committed already matches
    return send(from, install_snapshot_response{term_, commit_});
  // snap.index > commit_ >= snapshot_.index: nothing here is committed beyond commit_.
  if (snap.index <= last_index() && term_at(snap.index) == snap.term) {
    // Log matching: our log equals the leader's through snap.index, and what follows may be
    // the leader's too (later appends settle that); keep it.
    log_.erase(log_.begin(), log_.begin() + (snap.index - snapshot_.index));
    std::erase_if(ready_.entries, [&](const log_entry& e) { return e.index <= snap.index; });
    if (ready_.truncate_from && *ready_.truncate_from <= snap.index)
      ready_.truncate_from = snap.index + 1; // the snapshot already drops the entries below
  } else {
    log_.clear(); // conflicts or ends before the snapshot: the leader's log replaces it
    ready_.entries.clear();
    ready_.truncate_from = snap.index + 1;
  }
  snapshot_ = snap;
  commit_ = snap.index;
  applied_ = snap.index; // the caller restores before applying what follows
  ready_.snapshot = snap;
  ready_.restore = snap;
  send(from, install_snapshot_response{term_, snap.index});
}

append_response raft_node::reject_with_hint(log_index prev_index, raft_term prev_term) const {
  // Every entry of ours in (hint, prev_index] has a term > prev_term, so none can match the
  // leader's entry there (the leader's terms up to prev_index are <= prev_term).
  // Stops at our snapshot at the latest: prev_index >= snapshot_.index here, and the leader's
  // terms up to prev_index are >= its term at our snapshot's (committed) index.
  log_index hint = std::min(prev_index, last_index());
  while (hint > snapshot_.index && term_at(hint) > prev_term)
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
      // without disturbing the pipeline. A match compacted away has no term here; (0, 0)
      // matches every log, so it still keeps the follower's election timer quiet.
      if (heartbeat) {
        if (pr.match >= snapshot_.index)
          send(to, append_request{term_, self_, pr.match, term_at(pr.match), {}, commit_});
        else
          send(to, append_request{term_, self_, log_index{0}, raft_term{0}, {}, commit_});
      }
      return false;
    }
  } else if (pr.probe_sent && !heartbeat) {
    return false;
  }
  if (pr.next <= snapshot_.index) {
    send_snapshot(to, pr);
    return false;
  }
  append_request req{term_, self_, pr.next - 1, term_at(pr.next - 1), {}, commit_};
  auto end = std::min(last_index(), pr.next + int64_t(cfg_.max_entries_per_append - 1));
  for (log_index i = pr.next; i <= end; ++i)
    req.entries.push_back(entry_at(i));
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

// The entries the follower needs next are gone: it gets the snapshot, as a probe (one at a time,
// re-sent at each heartbeat until answered; the answer resumes replication after its match).
void raft_node::send_snapshot(node_id to, progress& pr) {
  pr.replicating = false;
  pr.inflight.clear();
  pr.probe_sent = true;
  send(to, install_snapshot_request{term_, self_, snapshot_});
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
  pr.heard_ms = now_ms_;
  if (m.success)
    return on_follower_match(from, pr, m.match_index);
  if (m.rejected_index <= pr.match) {
    // Stale (that prefix is known to match by now), unless the follower's log ends below what
    // it matched: it lost its log (a wiped or replaced disk, which Raft assumes never happens;
    // the heartbeats at the old match would be refused forever). It is replicated to again
    // from scratch; a late stale refusal taken for one only costs a probe.
    if (m.hint_index >= pr.match)
      return;
    pr.match = log_index{0};
  }
  if (!pr.replicating && m.rejected_index != pr.next - 1)
    return; // answers an older probe
  // The follower's entries in (hint_index, rejected_index] conflict. Ours in (k, hint_index]
  // have terms > hint_term >= the follower's there, so they conflict too: probe at k.
  // Below our snapshot the terms are unknown: k then ends below it, and the follower gets the
  // snapshot.
  log_index k = std::min(m.hint_index, last_index());
  while (k > log_index{0} && k >= snapshot_.index && term_at(k) > m.hint_term)
    k = k - 1;
  pr.next = std::max(pr.match + 1, std::min(k + 1, m.rejected_index));
  pr.replicating = false;
  pr.inflight.clear();
  pr.probe_sent = false;
  send_append(from, pr, false);
}

void raft_node::on_install_snapshot_response(node_id from, const install_snapshot_response& m) {
  if (role_ != raft_role::leader || m.term != term_)
    return;
  auto it = progress_.find(from);
  if (it == progress_.end())
    return;
  it->second.heard_ms = now_ms_;
  on_follower_match(from, it->second, m.match_index);
}

// The follower's log matches ours through `match` (an append's or a snapshot's success).
void raft_node::on_follower_match(node_id from, progress& pr, log_index match) {
  if (match > last_index())
    fail("follower acknowledged entries the leader does not have");
  pr.match = std::max(pr.match, match);
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
}

// Whether a majority of voters (self included) answered within the longest election timeout:
// one cut off from it cannot commit, and a new leader may already have been elected beyond it.
bool raft_node::quorum_active(int64_t now_ms) const {
  size_t active = 1;
  for (auto& [id, pr] : progress_)
    active += now_ms - pr.heard_ms < cfg_.election_timeout_max_ms ? 1 : 0;
  return quorum(active);
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
  if (i == snapshot_.index)
    return snapshot_.term;
  if (i == log_index{0})
    return raft_term{0};
  if (i < snapshot_.index || i > last_index())
    fail("term_at out of range: " + std::to_string(i()) + " (snapshot "
         + std::to_string(snapshot_.index()) + ", last " + std::to_string(last_index()()) + ")");
  return entry_at(i).term;
}

const log_entry& raft_node::entry_at(log_index i) const {
  if (i < first_index() || i > last_index())
    fail("entry_at out of range: " + std::to_string(i()));
  return log_[size_t(i - first_index())];
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
  log_.resize(size_t(i - first_index()));
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
