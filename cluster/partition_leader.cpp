#include "cluster/partition_leader.hpp"

#include <algorithm>

namespace sluice::cluster {

const char* to_string(repl_errc e) noexcept {
  switch (e) {
    case repl_errc::none: return "none";
    case repl_errc::not_leader: return "not_leader";
    case repl_errc::fenced_leader_epoch: return "fenced_leader_epoch";
    case repl_errc::unknown_leader_epoch: return "unknown_leader_epoch";
    case repl_errc::not_replica: return "not_replica";
    case repl_errc::offset_out_of_range: return "offset_out_of_range";
    case repl_errc::not_enough_replicas: return "not_enough_replicas";
    case repl_errc::not_enough_replicas_after_append: return "not_enough_replicas_after_append";
    case repl_errc::request_timed_out: return "request_timed_out";
  }
  return "unknown";
}

partition_leader::partition_leader(node_id self, partition_replicas state, offset log_end,
                                   offset hw, leader_config cfg, int64_t now_ms)
    : self_(self), state_(std::move(state)), cfg_(cfg), log_end_(log_end),
      hw_(std::min(hw, log_end)), epoch_start_(log_end) {
  for (auto id : state_.replicas)
    if (id != self_)
      followers_[id] = follower{offset{-1}, now_ms}; // ISR members get a full lag period
  maybe_advance_hw();
}

repl_errc partition_leader::check_produce(int acks) const {
  if (acks == -1 && static_cast<int32_t>(state_.isr.size()) < cfg_.min_insync_replicas)
    return repl_errc::not_enough_replicas;
  return repl_errc::none;
}

void partition_leader::on_append(offset log_end, int64_t now_ms) {
  log_end_ = std::max(log_end_, log_end);
  maybe_advance_hw(); // alone in the ISR, HW follows the log end
  maybe_propose(now_ms);
}

void partition_leader::await(uint64_t id, offset end, int64_t now_ms) {
  waits_.push_back({id, end, now_ms});
  complete_waits();
}

void partition_leader::expire(int64_t now_ms, int64_t timeout_ms) {
  std::erase_if(waits_, [&](const wait& w) {
    if (now_ms - w.since_ms < timeout_ms)
      return false;
    completed_.emplace_back(w.id, repl_errc::request_timed_out);
    return true;
  });
}

partition_leader::fetch_answer partition_leader::on_fetch(node_id from, leader_epoch epoch,
                                                          offset fetch_offset, int64_t now_ms) {
  if (epoch < state_.epoch)
    return {repl_errc::fenced_leader_epoch, hw_};
  if (epoch > state_.epoch)
    return {repl_errc::unknown_leader_epoch, hw_};
  auto it = followers_.find(from);
  if (it == followers_.end())
    return {repl_errc::not_replica, hw_};
  if (fetch_offset > log_end_ || fetch_offset < offset{0})
    return {repl_errc::offset_out_of_range, hw_};
  auto& f = it->second;
  f.end = fetch_offset;
  if (fetch_offset >= log_end_)
    f.caught_up_ms = now_ms;
  maybe_advance_hw();
  maybe_propose(now_ms, from);
  return {repl_errc::none, hw_};
}

void partition_leader::tick(int64_t now_ms) { maybe_propose(now_ms); }

std::optional<isr_proposal> partition_leader::take_proposal() {
  if (in_flight_ || !due_)
    return std::nullopt;
  in_flight_ = std::move(due_);
  due_.reset();
  return in_flight_;
}

bool partition_leader::on_metadata(const partition_replicas& state, int64_t now_ms) {
  if (state.epoch < state_.epoch)
    return true; // older than what made this replica leader: a late notification
  if (state.epoch > state_.epoch || state.leader != self_)
    return false;
  if (state.version < state_.version)
    return true;
  if (in_flight_ && state.version > in_flight_->version)
    in_flight_.reset(); // committed (the new state includes it) or dead (its version is gone)
  if (state.version > state_.version) {
    due_.reset(); // recomputed against the new state below
    expand_held_until_ms_ = 0;
  }
  state_ = state;
  for (auto id : state_.replicas)
    if (id != self_ && !followers_.count(id))
      followers_[id] = follower{offset{-1}, now_ms};
  std::erase_if(followers_, [&](auto& f) {
    return std::ranges::find(state_.replicas, f.first) == state_.replicas.end();
  });
  maybe_advance_hw(); // a committed shrink may let HW move
  complete_waits();
  maybe_propose(now_ms);
  return true;
}

void partition_leader::on_refused(uint64_t seq, int64_t now_ms) {
  if (!in_flight_ || in_flight_->seq != seq)
    return;
  bool expanded = std::ranges::any_of(in_flight_->isr, [&](node_id id) { return !in_isr(id); });
  if (expanded)
    expand_held_until_ms_ = now_ms + cfg_.isr_refusal_backoff_ms;
  in_flight_.reset();
  maybe_advance_hw(); // members it would have added no longer hold HW back
  maybe_propose(now_ms);
}

std::vector<std::pair<uint64_t, repl_errc>> partition_leader::take_completed() {
  return std::exchange(completed_, {});
}

// A follower counts from the moment an expansion adding it is computed (due, before it is even
// sent): it then holds everything below HW, and HW cannot pass its log end from there on, so
// when the expansion commits and it becomes eligible as leader it has every record a client
// was told is committed.
std::vector<node_id> partition_leader::maximal_isr() const {
  auto out = state_.isr;
  for (auto* p : {&in_flight_, &due_})
    if (*p)
      for (auto id : (*p)->isr)
        if (std::ranges::find(out, id) == out.end())
          out.push_back(id);
  return out;
}

std::map<node_id, offset> partition_leader::follower_ends() const {
  std::map<node_id, offset> out;
  for (auto& [id, f] : followers_)
    out[id] = f.end;
  return out;
}

std::vector<partition_leader::follower_progress> partition_leader::progress(int64_t now_ms) const {
  std::vector<follower_progress> out;
  for (auto& [id, f] : followers_) {
    auto lag = f.end.value < 0 ? int64_t{-1} : log_end_.value - f.end.value;
    out.push_back({id, f.end, lag, now_ms - f.caught_up_ms, in_isr(id)});
  }
  return out;
}

bool partition_leader::in_isr(node_id id) const {
  return std::ranges::find(state_.isr, id) != state_.isr.end();
}

void partition_leader::maybe_advance_hw() {
  auto candidate = log_end_;
  for (auto id : maximal_isr()) {
    if (id == self_)
      continue;
    auto it = followers_.find(id);
    candidate = std::min(candidate, it == followers_.end() ? offset{-1} : it->second.end);
  }
  if (candidate > hw_)
    hw_ = candidate;
  complete_waits();
}

// One proposal at a time (Kafka's AlterPartition): the ISR without the followers that lagged
// more than lag_time_max_ms, plus the follower fetching now if it caught up with HW and with
// this epoch's first offset (so an added follower holds everything this leader exposed and its
// own epoch's records from the start). Only a fetch adds a follower, as in Kafka's
// maybeExpandIsr: a broker that died caught up (its last fetch at an idle partition's end)
// would otherwise be proposed on every other input until it lagged, each refused by the
// controller because the broker is fenced.
void partition_leader::maybe_propose(int64_t now_ms, std::optional<node_id> fetching) {
  if (in_flight_ || due_)
    return;
  std::vector<node_id> isr{self_};
  bool may_expand = now_ms >= expand_held_until_ms_;
  for (auto& [id, f] : followers_) {
    bool member = in_isr(id);
    bool lagging = now_ms - f.caught_up_ms > cfg_.lag_time_max_ms;
    bool caught_up = f.end >= hw_ && f.end >= epoch_start_;
    if ((member && !lagging) || (!member && may_expand && fetching == id && caught_up && !lagging))
      isr.push_back(id);
  }
  auto sorted = [](std::vector<node_id> v) {
    std::ranges::sort(v);
    return v;
  };
  if (sorted(isr) != sorted(state_.isr))
    due_ = isr_proposal{state_.epoch, state_.version, isr, next_seq_++};
}

void partition_leader::complete_waits() {
  auto enough = static_cast<int32_t>(state_.isr.size()) >= cfg_.min_insync_replicas;
  std::erase_if(waits_, [&](const wait& w) {
    if (w.end > hw_)
      return false;
    completed_.emplace_back(w.id, enough ? repl_errc::none
                                         : repl_errc::not_enough_replicas_after_append);
    return true;
  });
}

} // namespace sluice::cluster
