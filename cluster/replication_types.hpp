#pragma once

// Partition replication (Kafka's model, design notes: leader, followers pulling from it, ISR,
// high watermark, acks): the values the pure cores in cluster/partition_leader.hpp and
// cluster/partition_follower.hpp exchange with their actor shells and with the metadata actor.
//
// Terms, as in Kafka:
//   log end (LEO)   the offset after a replica's last record.
//   high watermark  (HW) the offset below which every record is on every in-sync replica: what
//                   consumers may read and what acks=all waits for. HW <= LEO on every replica.
//   ISR             the in-sync replicas: the leader and the followers that caught up within
//                   replica.lag.time.max.ms. Only an ISR member may become leader (unclean
//                   election off), so a record below HW survives any leader change.
//   leader epoch    bumped by the metadata actor at every leader change; stamped on every batch
//                   the leader appends. A request carrying an older epoch is fenced; a newer one
//                   means this replica has not heard of the change yet.
//   partition epoch bumped at every change of leader or ISR: an ISR change proposed against an
//                   old one is refused (Kafka's AlterPartition), so two writers cannot both
//                   narrow or widen the ISR from stale views.

#include "store/types.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace sluice::cluster {

using partition_epoch = named_type<int32_t, struct partition_epoch_tag>;

enum class repl_errc : uint8_t {
  none,
  not_leader,                      // this replica does not lead (the metadata names who does)
  fenced_leader_epoch,             // the request's leader epoch is older than this replica's
  unknown_leader_epoch,            // newer than this replica's: it has not heard of it yet
  not_replica,                     // a fetch from a node that holds no replica of the partition
  offset_out_of_range,             // a fetch beyond the leader's log end (it skipped truncation)
  not_enough_replicas,             // acks=all with ISR < min.insync.replicas: refused, not appended
  not_enough_replicas_after_append, // appended, but the ISR shrank below min.insync before HW
  request_timed_out,               // acks=all: HW did not pass the records in time
};

const char* to_string(repl_errc e) noexcept;

// The replication part of a partition's metadata, as the metadata actor holds it.
struct partition_replicas {
  std::vector<node_id> replicas; // assignment; the first is the preferred leader
  std::optional<node_id> leader; // none: offline (no ISR member is alive)
  leader_epoch epoch{0};
  std::vector<node_id> isr;
  partition_epoch version{0};

  bool operator==(const partition_replicas&) const = default;
};

// An ISR change a leader asks the metadata actor to commit (at most one in flight). The metadata
// actor commits it only if `epoch` and `version` are current, every member is a live broker
// and `seq` is above every seq it processed for this leader epoch; it answers accepted or
// refused, and a refusal is final: a late duplicate of a refused proposal is refused too, so
// the leader may stop counting its members in the maximal ISR.
struct isr_proposal {
  leader_epoch epoch;        // of the proposing leader
  partition_epoch version;   // the state it was computed from
  std::vector<node_id> isr;  // the whole new ISR, leader included
  uint64_t seq = 0;          // increasing per leader (epoch)

  bool operator==(const isr_proposal&) const = default;
};

// KIP-279: a follower asks the leader where the follower's latest epoch ends in the leader's
// log; `epoch` is the largest epoch the leader has that is <= the one asked (-1: none), and the
// follower truncates to min(its log end, end_offset) before fetching.
struct epoch_end {
  leader_epoch epoch{-1};
  offset end_offset{-1};

  bool operator==(const epoch_end&) const = default;
};

} // namespace sluice::cluster
