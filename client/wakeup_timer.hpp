#pragma once

// Wake-ups of one of the client's actors: (timeout_atom, due) sent to itself with a delay.
// A wake-up is sent only when none is pending at or before the time asked for, and a pending
// one is remembered until it arrives, so a far one (metadata.max.age.ms, delivery.timeout.ms)
// is sent once and not again every time a near one fired. Pending: at most one per arm() that
// was earlier than all others pending.

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>

namespace sluice::client {

class wakeup_timer {
public:
  using clock = std::chrono::steady_clock;

  void arm(caf::event_based_actor* self, clock::time_point at) {
    auto due = at.time_since_epoch().count();
    if (!pending_.empty() && *pending_.begin() <= due)
      return;
    pending_.insert(due);
    auto delay = std::max(at - clock::now(), clock::duration::zero());
    self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(delay) + std::chrono::microseconds{1},
                       caf::timeout_atom_v, int64_t{due});
  }

  // The actor got (timeout_atom, due).
  void fired(int64_t due) { pending_.erase(due); }

private:
  std::set<int64_t> pending_; // steady_clock ticks of the wake-ups on their way
};

} // namespace sluice::client
