#pragma once

// The idempotent producer's state of one partition (Kafka's ProducerStateManager with
// ProducerAppendInfo; KIP-98, KIP-360): per producer id, its latest epoch and the sequence
// ranges and offsets of its last `batches_kept` batches. Pure: no CAF, no clock, no I/O; the
// partition log owns one, keeps it in step with every append and truncation, and writes it to
// snapshot files (producer_snapshot_format.hpp).
//
// The leader checks a producer's batch before appending it (check()); every replica records
// every appended batch (apply()), the leader's own appends, a follower's replicated ones and
// recovery's replay of the log alike, so all replicas build the same state from the same log.
//
// check(), for a batch of producer P with epoch E and sequences [first, last]:
//
//   no producer id (-1)              append (not idempotent)
//   epoch or first seq negative      invalid
//   P unknown                        append, whatever the sequence (KIP-360: its state may have
//                                    expired or been deleted with old segments; refusing would
//                                    leave the producer stuck)
//   E < P's epoch                    fenced (a zombie of an older incarnation)
//   E > P's epoch                    append if first == 0, else out_of_order (a new epoch
//                                    starts its sequences afresh)
//   E == P's epoch and [first, last] equals one of the kept batches
//                                    duplicate: answered with that batch's offsets, not
//                                    appended again
//   E == P's epoch and first == P's last seq + 1 (INT32_MAX wraps to 0)
//                                    append
//   E == P's epoch and the batch ends behind P's last seq (by less than 2^30)
//                                    old_duplicate: a retry of a batch older than the window.
//                                    Sequences are appended without gaps, so its original is
//                                    in the log; the log looks it up (else out of order)
//   otherwise                        out_of_order (a gap ahead)
//
// The window of 5 is Kafka's: a client with at most 5 batches of a partition in flight finds
// any retry of them among the last 5 appended, as long as every answer comes back before 5
// later batches land. One that does not (a request whose answer was lost without its link
// dropping, retried after its timeout while the partition's later batches went on) is an
// old_duplicate, which the log answers from its batch headers.
//
// Future transactions build on the entry: an ongoing transaction's first offset and the
// coordinator epoch belong in producer_entry, and apply() of a control batch ends it.

#include "store/batch.hpp"
#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace sluice::store {

// One appended batch as the window remembers it.
struct producer_batch_info {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  offset first_offset{0};
  offset last_offset{0};
  timestamp_ms max_timestamp{0};

  bool operator==(const producer_batch_info&) const = default;
};

struct producer_entry {
  producer_epoch epoch = no_producer_epoch;
  // Oldest first, 1..batches_kept of them, every one of `epoch`.
  std::deque<producer_batch_info> batches;

  int32_t last_seq() const { return batches.empty() ? no_sequence : batches.back().last_seq; }
  timestamp_ms last_timestamp() const {
    return batches.empty() ? no_timestamp : batches.back().max_timestamp;
  }
  bool operator==(const producer_entry&) const = default;
};

enum class producer_verdict : uint8_t {
  append,
  duplicate,
  old_duplicate,
  out_of_order,
  fenced,
  invalid,
};

const char* to_string(producer_verdict v) noexcept;

struct producer_check {
  producer_verdict verdict = producer_verdict::append;
  producer_batch_info original; // duplicate: the batch it repeats
  std::string reason;           // out_of_order, fenced, invalid: one line for the producer
};

// The last sequence of a batch starting at `first` and spanning `last_offset_delta` more
// offsets, wrapping past INT32_MAX to 0 as Kafka's DefaultRecordBatch.incrementSequence does.
int32_t last_sequence(int32_t first, uint32_t last_offset_delta);
// Whether `next` follows `last` (INT32_MAX is followed by 0).
bool in_sequence(int32_t last, int32_t next);

class producer_state {
public:
  static constexpr size_t batches_kept = 5;

  // The leader's check of a client's batch; changes nothing.
  producer_check check(const batch_header& h) const;

  // Records an appended batch (its offsets assigned). Never refuses: the log is the truth.
  // A batch without a producer id changes nothing; one of an epoch below the producer's is
  // ignored (the epoch fence stays); a higher epoch starts the producer's window afresh.
  void apply(const batch_header& h);

  // Forgets producers whose last batch's timestamp is older than now - max_age_ms
  // (producer.id.expiration.ms); returns how many.
  size_t expire(timestamp_ms now, int64_t max_age_ms);

  void clear() { producers_.clear(); }

  const producer_entry* find(producer_id id) const;
  const std::map<producer_id, producer_entry>& producers() const { return producers_; }
  size_t size() const { return producers_.size(); }

  // Restores an entry as a snapshot holds it (no checks beyond what decode did).
  void restore(producer_id id, producer_entry e) { producers_.insert_or_assign(id, std::move(e)); }

  bool operator==(const producer_state&) const = default;

private:
  std::map<producer_id, producer_entry> producers_;
};

} // namespace sluice::store
