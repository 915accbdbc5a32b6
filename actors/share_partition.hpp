#pragma once

// The share-partition of KIP-932 (queue-style "share" groups): the delivery state one share
// group keeps for one topic partition, so that many consumers read the same partition with
// per-record acknowledgement. A pure state machine: no CAF, no clock, no I/O; every input
// carries the current time in ms. The share manager (actors/share_manager.hpp) on the
// partition leader's node drives it and persists its snapshot() through the group's
// coordinator on __consumer_offsets before answering.
//
// Offsets below the share-partition start offset (SPSO, start()) are finished; offsets from
// the share-partition end offset (SPEO, end()) on were never acquired. In between, the
// in-flight records, kept as ranges of consecutive offsets in the same state:
//
//                 acquire (delivery_count + 1)
//   +-----------+ ------------------------------> +----------------------+
//   | available |                                 | acquired by M until  |
//   +-----------+ <------------------------------ |   deadline           |
//      ^    |      release, or the lock expires    +----------------------+
//      |    |      (count below the limit)            |  accept   |  reject, or release /
//      |    | acquire at the delivery limit            v           |  expiry at the limit
//      |    +-------------------------------+  +--------------+    v
//      |                                    +> |   archived   | <--+
//   (load after failover: acquired          |  +--------------+
//    reads back as available, count kept)   |  +--------------+
//                                           +- | acknowledged |
//                                              +--------------+
//
// Invariants (checked by tests/actors/share_partition_test.cpp after every step):
//   - ranges() cover [start(), end()) exactly, in order, without overlap;
//   - the first range (if any) is not finished (acknowledged or archived): SPSO moves past the
//     finished prefix at once;
//   - end() - start() <= max_in_flight when records were acquired (gaps archived past the window
//     are finished and never counted, see acquire);
//   - adjacent ranges differ (else they are merged), so memory is bounded by the number of
//     state changes in the window, not by its record count.
//
// Simplifications of KIP-932, stated where they are made: no share.auto.offset.reset (a new
// share-partition starts at the log start), one acquisition lock duration per share-partition,
// and an acknowledgement must name records the member holds (no "gap" acknowledgement type:
// offsets with no record are archived when first read instead).

#include "schema/result.hpp"
#include "schema/share.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::actors {

using share_record_state = schema::record_state;
using share_ack_type = schema::acknowledge_type;

struct share_config {
  int64_t lock_duration_ms = 30'000; // share.record.lock.duration.ms
  int32_t delivery_count_limit = 5;  // share.delivery.count.limit: then archived
  int32_t max_in_flight = 1000;      // offsets between SPSO and SPEO (share.partition.max.record.locks)
};

struct offset_range {
  offset first{0};
  offset last{0}; // inclusive

  bool operator==(const offset_range&) const = default;
};

struct share_range {
  offset first{0};
  offset last{0}; // inclusive
  share_record_state state = share_record_state::available;
  int16_t delivery_count = 0; // deliveries so far; 0 once finished (no longer needed)
  std::string member;         // acquired only
  int64_t deadline_ms = 0;    // acquired only: the lock's expiry

  bool operator==(const share_range&) const = default;
};

// What the coordinator stores, and a new leader loads: schema::share_state. Acquired records
// are stored as available with their delivery count: a lock does not survive its leader, a
// delivery does.
using share_snapshot = schema::share_state;

struct acquired_range {
  offset first{0};
  offset last{0};
  int16_t delivery_count = 0;

  bool operator==(const acquired_range&) const = default;
};

using share_ack = schema::acknowledgement; // first, last (inclusive), type

struct share_counts {
  int64_t available = 0;
  int64_t acquired = 0;
  int64_t acknowledged = 0;
  int64_t archived = 0;
};

class share_partition {
public:
  explicit share_partition(share_config cfg, offset start = offset{0});

  // A snapshot a previous leader persisted; invalid_request for one that breaks the invariants
  // above (ranges out of order, outside [start, end), acquired state, a window too wide).
  static schema::result<share_partition> load(share_config cfg, const share_snapshot& s);

  offset start() const { return start_; }
  offset end() const { return end_; }
  const std::vector<share_range>& ranges() const { return ranges_; }
  const share_config& config() const { return cfg_; }
  share_counts counts() const;

  // Where the next log read for an acquisition starts: the first available in-flight record,
  // else end() while the window has room; nullopt when there is nothing to acquire now.
  std::optional<offset> next_fetch_offset(int64_t now_ms);

  // Acquires for `member` up to `max_records` available records among what a log read from
  // `from` found: `present` (sorted, disjoint) holds the offsets of the data records read,
  // `scanned_end` is the offset past the last one read. New offsets in [end(), scanned_end)
  // without a record (control batches, compacted gaps) are archived on the way. Records at the
  // delivery limit are archived instead of acquired. Returns the acquired ranges, in order.
  std::vector<acquired_range> acquire(const std::string& member, offset from,
                                      std::span<const offset_range> present, offset scanned_end,
                                      int32_t max_records, int64_t now_ms);

  // Applies a member's acknowledgements, all or none: invalid_request for a range with
  // first > last or ranges out of order / overlapping; invalid_record_state for an offset this
  // member does not hold (its lock expired, another member's, finished, outside the window).
  schema::status acknowledge(const std::string& member, std::span<const share_ack> acks, int64_t now_ms);

  // The member left or its locks are void: what it holds becomes available (or archived at the
  // limit). Returns the number of records released.
  int64_t release_member(const std::string& member);

  // Locks past their deadline end as a release does. Returns the number of records released.
  int64_t expire(int64_t now_ms);

  // The log starts at `log_start` now (retention, or a share-partition created at 0): what lies
  // below it is gone and finished.
  void advance_to(offset log_start);

  share_snapshot snapshot() const;

private:
  // Sets [first, last] (inside [start_, end_)) to `r`'s state, splitting ranges at the edges.
  void assign(offset first, offset last, const share_range& r);
  void append(share_range r); // at end_
  void finish_prefix();       // SPSO past the finished prefix; merges equal neighbours
  void merge();
  void end_lock(share_range& r);

  share_config cfg_;
  offset start_{0};
  offset end_{0};
  std::vector<share_range> ranges_;
};

} // namespace sluice::actors
