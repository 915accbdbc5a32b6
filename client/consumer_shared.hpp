#pragma once

// The state a consumer's application thread and its fetcher actor share, under one mutex:
// the assignment with each partition's fetch position, the fetched chunks poll() hands out,
// and an error for the next poll(). The application assigns, seeks and polls; the fetcher
// resolves positions, fetches and fills the buffer.

#include "client/consumer_config.hpp"
#include "client/consumer_records.hpp"
#include "client/error.hpp"
#include "client/latency_histogram.hpp"
#include "client/topic_partition.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace sluice::client {

struct consumer_shared {
  struct partition_state {
    std::optional<offset> fetch_position; // nullopt: resolve with `reset` first
    offset_reset reset = offset_reset::latest;
    uint64_t epoch = 0;                   // bumped by every seek: older fetches are dropped
    std::optional<offset> consumed;       // the position after what poll() returned
    // The fetch position was reached by fetching (not set by seek, reset or list offsets):
    // the records below it were served below a leader's high watermark, so every later
    // leader (elected cleanly) has them. See consumer_fetcher::reset_position.
    bool fetched = false;
    // A retry topic partition held at a record not yet due (client/retry_hold.hpp): the
    // fetcher leaves it alone until then.
    std::optional<std::chrono::steady_clock::time_point> held_until;
  };

  std::mutex mtx;
  std::condition_variable ready; // a chunk or an error arrived
  std::map<topic_partition, partition_state> assignment;
  std::deque<fetched_chunk> buffered;
  size_t buffered_bytes = 0;
  std::optional<error> failure; // handed to the next poll()
  latency_histogram fetch_latency_us;
  bool closed = false;
  bool group_wakeup = false; // the group needs the application thread (rejoin)
  std::atomic<bool> wake_pending{false};

  // Drops buffered chunks of `tp` (after a seek or unassign).
  void purge(const topic_partition& tp) {
    for (auto i = buffered.begin(); i != buffered.end();) {
      if (i->tp == tp) {
        buffered_bytes -= i->bytes.size();
        i = buffered.erase(i);
      } else {
        ++i;
      }
    }
  }
};

} // namespace sluice::client
