#include "cluster/partition_follower.hpp"

#include <algorithm>
#include <ranges>

namespace sluice::cluster {

partition_follower::partition_follower(node_id self, partition_replicas state, offset log_end,
                                       offset hw)
    : self_(self), state_(std::move(state)), log_end_(log_end), hw_(std::min(hw, log_end)) {}

offset partition_follower::on_epoch_end(const epoch_end& answer, offset local_end_for_answer) {
  auto cut = std::min(answer.end_offset, log_end_);
  if (answer.epoch >= leader_epoch{0})
    cut = std::min(cut, local_end_for_answer);
  cut = std::max(cut, offset{0});
  log_end_ = cut;
  hw_ = std::min(hw_, log_end_);
  phase_ = phase::fetching;
  return cut;
}

void partition_follower::on_appended(offset log_end) { log_end_ = log_end; }

void partition_follower::on_fetch_answer(repl_errc error, offset leader_hw) {
  switch (error) {
    case repl_errc::none:
      // Never backwards: a new leader's HW may lag behind the one this replica learnt.
      hw_ = std::max(hw_, std::min(leader_hw, log_end_));
      return;
    case repl_errc::fenced_leader_epoch:
    case repl_errc::not_replica:
      phase_ = phase::fenced;
      return;
    case repl_errc::offset_out_of_range:
      phase_ = phase::truncating; // our log runs ahead of the leader's: ask again
      return;
    default:
      return; // not_leader, unknown_leader_epoch: the leader has not heard yet; ask again
  }
}

bool partition_follower::on_metadata(const partition_replicas& state) {
  if (state.epoch < state_.epoch)
    return true;
  if (!state.leader || *state.leader == self_
      || std::ranges::find(state.replicas, self_) == state.replicas.end())
    return false;
  bool new_epoch = state.epoch > state_.epoch || state.leader != state_.leader;
  state_ = state;
  if (new_epoch || phase_ == phase::fenced)
    phase_ = phase::truncating;
  return true;
}

} // namespace sluice::cluster
