#pragma once

// The responses of one Kafka connection in request order. Kafka clients pipeline requests and
// match responses by correlation id but expect them in the order sent (the protocol guide:
// "the server guarantees that on a single TCP connection, requests will be processed in the
// order they are sent and responses will return in that order"). The listener answers requests
// concurrently, so a later request may finish first: its response waits here until every
// earlier one is out. Pure: no I/O, no CAF.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace sluice::kafka {

class response_queue {
public:
  using bytes = std::vector<std::byte>;

  // Reserves the next slot; returns its sequence number.
  uint64_t open() {
    slots_.emplace_back();
    return first_ + slots_.size() - 1;
  }

  // Fills slot `seq` (empty bytes: the request gets no response, as a Produce with acks=0).
  // A sequence number not open (already flushed, never opened) is ignored.
  void complete(uint64_t seq, bytes response) {
    if (seq < first_ || seq - first_ >= slots_.size())
      return;
    auto& slot = slots_[seq - first_];
    if (!slot)
      slot = std::move(response);
  }

  // Hands every response ready at the front, in order, to `out(bytes&)`; returns how many.
  template <class F>
  size_t flush(F&& out) {
    size_t n = 0;
    while (!slots_.empty() && slots_.front()) {
      if (!slots_.front()->empty())
        out(*slots_.front());
      slots_.pop_front();
      ++first_;
      ++n;
    }
    return n;
  }

  size_t in_flight() const { return slots_.size(); }

private:
  uint64_t first_ = 0; // sequence number of slots_.front()
  std::deque<std::optional<bytes>> slots_;
};

} // namespace sluice::kafka
