#pragma once

// The leader side of one partition's replication, as a pure state machine (no CAF, clock or
// I/O): the shell (the partition actor in leader role) appends to the log, serves the records
// of follower fetches and talks to the metadata actor; this core decides what the high
// watermark is, who is in sync, when an acks=all produce completes and when to ask for an ISR
// change. Time comes in as now_ms on every input.
//
// Invariants:
//   - HW never decreases, and HW <= the log end of every member of the maximal ISR: the
//     committed ISR plus the followers a due or in-flight expansion adds (Kafka's "maximal
//     ISR": a follower counts from the moment the expansion is computed, when its log end is
//     at least HW, so when the expansion commits and it becomes eligible as leader it holds
//     everything below HW). Found by the simulator: counting it only once the proposal was
//     sent let HW run past it in between, and a record acknowledged then was lost when it
//     became leader.
//   - A shrink takes effect only once the metadata actor committed it: until then the removed
//     follower still holds HW back. With the metadata actor refusing proposals made against an
//     older partition epoch, the ISR the controller elects from always holds every record below
//     any HW a leader exposed.
//   - acks=all completes with success only when HW passed its last record and the ISR then has
//     at least min.insync.replicas members (else not_enough_replicas_after_append, as Kafka);
//     a produce is refused before appending when the ISR is below min.insync.replicas.
//
// A follower's fetch at offset F with the leader's epoch tells its log end (F: it holds
// everything below, having truncated per KIP-279 first). A follower is caught up when F >= the
// leader's log end at the time; it is in sync while it was caught up within lag_time_max_ms.

#include "cluster/replication_types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace sluice::cluster {

struct leader_config {
  int32_t min_insync_replicas = 1;
  int64_t lag_time_max_ms = 30'000; // replica.lag.time.max.ms
  // After a refused proposal that added members, no expansion is proposed again for this long
  // (shrinks are never held), unless a newer partition state comes first. A refusal for a
  // reason outside the partition state (a fenced follower that still fetches) would otherwise
  // be proposed again on the very next fetch, one metadata record per fetch round.
  int64_t isr_refusal_backoff_ms = 500;
};

class partition_leader {
public:
  // `state` is the metadata actor's view in which `self` leads; `log_end` and `hw` are the
  // local log's (HW as last checkpointed, possibly behind: it only moves up from here).
  partition_leader(node_id self, partition_replicas state, offset log_end, offset hw,
                   leader_config cfg, int64_t now_ms);

  // Before appending an acks=all produce (acks 0 and 1 are never refused here).
  repl_errc check_produce(int acks) const;

  // The local log grew to `log_end` (an append of this epoch).
  void on_append(offset log_end, int64_t now_ms);

  // An acks=all produce whose records end before `end` waits for HW >= end; its outcome comes
  // out of take_completed() under `id`. One that already passed completes at once.
  void await(uint64_t id, offset end, int64_t now_ms);
  // Gives up on waits older than `timeout_ms` (request_timed_out).
  void expire(int64_t now_ms, int64_t timeout_ms);

  struct fetch_answer {
    repl_errc error = repl_errc::none;
    offset high_watermark{0};
  };
  // A follower fetches from `fetch_offset` under `epoch`. The shell serves the records from
  // there only when error is none.
  fetch_answer on_fetch(node_id follower, leader_epoch epoch, offset fetch_offset, int64_t now_ms);

  // Checks lagging followers (ISR shrink) and expires nothing else; call periodically.
  void tick(int64_t now_ms);

  // An ISR change to send to the metadata actor, if one is due and none is in flight.
  std::optional<isr_proposal> take_proposal();
  // The metadata actor's current state of the partition (any change, or the same state again).
  // Returns false when `self` no longer leads in it (or in a newer epoch): the shell then stops
  // being leader. A proposal computed against an older version is over (it can no longer
  // commit); one against this version stays in flight until answered.
  bool on_metadata(const partition_replicas& state, int64_t now_ms);
  // The metadata actor refused proposal `seq` (final; see isr_proposal).
  void on_refused(uint64_t seq, int64_t now_ms);

  // Completed acks=all waits, in completion order.
  std::vector<std::pair<uint64_t, repl_errc>> take_completed();

  offset high_watermark() const { return hw_; }
  offset log_end() const { return log_end_; }
  leader_epoch epoch() const { return state_.epoch; }
  const partition_replicas& state() const { return state_; }
  // The ISR the HW is computed over (committed plus a pending expansion).
  std::vector<node_id> maximal_isr() const;
  bool proposal_in_flight() const { return in_flight_.has_value(); }
  // Per follower: the log end its last fetch showed (-1 before any).
  std::map<node_id, offset> follower_ends() const;
  // What an operator asks of each follower (sluice inspect): how far behind the log end it
  // is and how long ago it was last caught up, which is what drives an ISR shrink.
  struct follower_progress {
    node_id id{0};
    offset end{-1};               // as its last fetch showed; -1: no fetch in this epoch
    int64_t lag_records = -1;     // log_end() - end; -1 while end is unknown
    int64_t caught_up_ms_ago = 0; // at most since this leader's epoch began here
    bool in_isr = false;          // in the committed ISR
  };
  std::vector<follower_progress> progress(int64_t now_ms) const;

private:
  struct follower {
    offset end{-1};             // log end shown by its last fetch
    int64_t caught_up_ms = 0;   // when it last was at the leader's log end
  };

  bool in_isr(node_id id) const;
  void maybe_advance_hw();
  void maybe_propose(int64_t now_ms, std::optional<node_id> fetching = std::nullopt);
  void complete_waits();

  node_id self_;
  partition_replicas state_;
  leader_config cfg_;
  offset log_end_;
  offset hw_;
  offset epoch_start_; // the log end when this epoch began: its first offset
  std::map<node_id, follower> followers_; // every replica but self
  std::optional<isr_proposal> in_flight_;  // sent, not yet answered by on_metadata
  std::optional<isr_proposal> due_;        // computed, not yet taken
  uint64_t next_seq_ = 1;
  int64_t expand_held_until_ms_ = 0; // see leader_config::isr_refusal_backoff_ms
  struct wait {
    uint64_t id;
    offset end;
    int64_t since_ms;
  };
  std::vector<wait> waits_; // acks=all produces, in append order (ends non-decreasing)
  std::vector<std::pair<uint64_t, repl_errc>> completed_;
};

} // namespace sluice::cluster
