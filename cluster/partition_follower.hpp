#pragma once

// The follower side of one partition's replication, as a pure state machine (no CAF, clock or
// I/O). The shell (the partition actor in follower role) owns the log and its leader-epoch
// history and sends what this core asks for to the leader named by the metadata.
//
// A follower that starts following a leader epoch first truncates its divergent tail the way
// KIP-101 / KIP-279 do, never by its high watermark alone (which lost acknowledged records in
// Kafka before KIP-101): it asks the leader where the follower's latest epoch ends in the
// leader's log, and cuts its own log there:
//
//   ask (latest local epoch E)  ->  leader answers (L, end): L the largest leader epoch <= E,
//                                   end the first offset after L's records in the leader's log
//   truncate to min(end, where L's records end locally, local log end); if L == -1 (the leader
//   has no epoch <= E) to min(end, local log end), `end` being where the leader's log starts.
//
// Records below the truncation point are the leader's too (log matching by epoch), so then it
// fetches from its log end; the fetch answer brings records and the leader's HW, and the
// follower's HW is min(leader HW, its log end). A fenced answer (the follower's epoch is old)
// waits for newer metadata; not_leader or unknown_leader_epoch (the leader has not heard of its
// election yet) retries.
//
// Invariant checked by the simulator: a truncation never goes below the follower's HW (every
// record below a HW is on every ISR member, and the leader came from the ISR).

#include "cluster/replication_types.hpp"

#include <cstdint>
#include <optional>

namespace sluice::cluster {

class partition_follower {
public:
  enum class phase : uint8_t {
    truncating, // an epoch query is due or in flight
    fetching,
    fenced,     // the leader said our epoch is old: wait for metadata
  };

  partition_follower(node_id self, partition_replicas state, offset log_end, offset hw);

  phase current() const { return phase_; }
  node_id leader() const { return *state_.leader; }
  leader_epoch epoch() const { return state_.epoch; }

  // The leader's answer to the epoch query; `local_end_for_answer` is where the answer's epoch
  // ends in the local log (the local history's end offset for that epoch; ignored when the
  // answer's epoch is -1). Returns the offset the shell must truncate the local log to (no
  // change when it equals the log end).
  offset on_epoch_end(const epoch_end& answer, offset local_end_for_answer);

  // The local log now ends at `log_end` (after appending a fetch's records).
  void on_appended(offset log_end);
  // A fetch's answer other than records: the leader's HW, or an error.
  void on_fetch_answer(repl_errc error, offset leader_hw);

  // The metadata changed. Returns false when this replica should no longer follow (it leads
  // now, or it is no replica); on a new epoch the next step is a truncation again.
  bool on_metadata(const partition_replicas& state);

  offset fetch_offset() const { return log_end_; }
  offset high_watermark() const { return hw_; }
  offset log_end() const { return log_end_; }

private:
  node_id self_;
  partition_replicas state_;
  offset log_end_;
  offset hw_;
  phase phase_ = phase::truncating;
};

} // namespace sluice::cluster
