#pragma once

// The long-poll fetches a partition holds back (Kafka's fetch purgatory), as a pure container:
// no CAF, no clock. A fetch that found fewer than min_bytes parks here with what it saw; every
// append adds to each parked fetch's count; the owner completes those that reach min_bytes
// (on_append) or their deadline (on_timer) by reading the log again.
//
// Timers: the owner sends itself a timer message per time park() or on_timer() returns, and
// calls on_timer when one arrives. A new timer is asked for only when none in flight fires at
// or before the earliest deadline; a timer that fires after its entries were completed finds
// nothing to do.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace sluice::actors {

template <class Payload>
class fetch_waitlist {
public:
  using time_point = std::chrono::steady_clock::time_point;

  struct entry {
    uint64_t id = 0;        // unique per requester; see partition_interface.hpp
    int64_t min_bytes = 1;
    int64_t bytes_seen = 0; // available when parked, plus every append since
    time_point deadline;
    Payload payload;
  };

  // A bound on parked fetches: beyond it the owner answers at once instead of parking.
  explicit fetch_waitlist(size_t max_entries) : max_entries_(max_entries) {}

  bool full() const { return entries_.size() >= max_entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t timers_in_flight() const { return armed_.size(); }

  // Precondition: !full().
  std::optional<time_point> park(entry e) {
    auto deadline = e.deadline;
    entries_.push_back(std::move(e));
    return arm(deadline);
  }

  // `bytes` were appended; returns the entries that now have min_bytes, in parking order.
  std::vector<entry> on_append(int64_t bytes) {
    for (auto& e : entries_)
      e.bytes_seen += bytes;
    return take_if([](const entry& e) { return e.bytes_seen >= e.min_bytes; });
  }

  // A timer fired at `now`: returns the expired entries; `rearm` gets the next timer, if due.
  std::vector<entry> on_timer(time_point now, std::optional<time_point>& rearm) {
    auto out = take_if([now](const entry& e) { return e.deadline <= now; });
    armed_.erase(armed_.begin(), armed_.upper_bound(now));
    rearm.reset();
    if (!entries_.empty()) {
      auto next = std::min_element(entries_.begin(), entries_.end(),
                                   [](auto& a, auto& b) { return a.deadline < b.deadline; });
      rearm = arm(next->deadline);
    }
    return out;
  }

  std::optional<entry> take(uint64_t id) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [id](auto& e) { return e.id == id; });
    if (it == entries_.end())
      return std::nullopt;
    auto out = std::move(*it);
    entries_.erase(it);
    return out;
  }

  std::vector<entry> take_all() {
    auto out = std::move(entries_);
    entries_.clear();
    return out;
  }

  template <class F>
  void for_each(F&& f) const {
    for (auto& e : entries_)
      f(e);
  }

private:
  std::optional<time_point> arm(time_point deadline) {
    if (!armed_.empty() && *armed_.begin() <= deadline)
      return std::nullopt;
    armed_.insert(deadline);
    return deadline;
  }

  template <class Pred>
  std::vector<entry> take_if(Pred pred) {
    std::vector<entry> out;
    auto keep = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (pred(*it)) {
        out.push_back(std::move(*it));
      } else {
        if (keep != it)
          *keep = std::move(*it);
        ++keep;
      }
    }
    entries_.erase(keep, entries_.end());
    return out;
  }

  std::vector<entry> entries_;
  size_t max_entries_;
  std::set<time_point> armed_; // timers in flight; at most one per park() that moved it earlier
};

} // namespace sluice::actors
