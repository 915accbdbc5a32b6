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
//   E == P's epoch, no batch kept    append, whatever the sequence (only a marker was seen at E)
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
// Transactions (KIP-98): a transactional data batch (attr_transactional) opens the producer's
// transaction in this partition at its base offset unless one is open; a control batch
// (batch_format.hpp, written by the leader for the coordinator's marker) ends it. The state of
// one producer in one partition:
//
//            transactional data batch                 control batch (commit or abort)
//   no txn ----------------------------> open(first) ---------------------------------> no txn
//     ^  \__ data batch, marker without a txn: no txn   (abort: {id, first, marker offset}
//     |                                                  joins the aborted list)
//     +-- more transactional batches stay in open(first)
//
// A control batch is applied at an epoch equal to or above the producer's: a higher one (the
// coordinator fenced the producer and aborted for it) becomes the producer's epoch, as Kafka's
// appendEndTxnMarker does; below it, the marker is ignored (the leader refuses such a marker).
// The first unstable offset bounds what read_committed consumers see: the smallest first offset
// of an open transaction, or of an ended one whose marker is not yet below the high watermark
// (Kafka's unreplicatedTxns: a marker a failover could still lose does not yet end it for
// consumers). The aborted list tells them which batches to drop. Aborted entries whose marker
// falls below the log start are pruned (prune_aborted).

#include "store/batch.hpp"
#include "store/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>
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
  // Oldest first, at most batches_kept of them, every one of `epoch`; empty after a marker
  // started a new epoch (or for a producer seen only through markers).
  std::deque<producer_batch_info> batches;
  // The first offset of the producer's open transaction in this partition; -1: none.
  offset txn_first_offset{-1};
  // The coordinator epoch of the last marker applied; -1: none yet.
  int32_t coordinator_epoch = -1;
  // The timestamp of the last marker applied (it keeps the producer from expiring).
  timestamp_ms marker_timestamp = no_timestamp;

  int32_t last_seq() const { return batches.empty() ? no_sequence : batches.back().last_seq; }
  timestamp_ms last_timestamp() const {
    auto data = batches.empty() ? no_timestamp : batches.back().max_timestamp;
    return std::max(data, marker_timestamp);
  }
  bool in_transaction() const { return txn_first_offset.value >= 0; }
  bool operator==(const producer_entry&) const = default;
};

// A transaction that ended with an abort marker: the producer's batches in [first_offset,
// last_offset] are to be dropped by read_committed consumers (last_offset is the marker's).
struct aborted_txn {
  producer_id id = no_producer_id;
  offset first_offset{0};
  offset last_offset{0};

  bool operator==(const aborted_txn&) const = default;
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

  // The leader's check of a client's batch; changes nothing. A control batch is invalid (only
  // the leader writes markers, through check_marker), and so is a transactional batch without
  // a producer id.
  producer_check check(const batch_header& h) const;
  // The leader's check of a marker it is about to write: fenced when `epoch` is below the
  // producer's (a newer epoch already ended the transaction).
  producer_check check_marker(producer_id id, producer_epoch epoch) const;

  // Records an appended batch (its offsets assigned). Never refuses: the log is the truth.
  // A batch without a producer id changes nothing; one of an epoch below the producer's is
  // ignored (the epoch fence stays); a higher epoch starts the producer's window afresh.
  // A control batch needs its marker (`marker`, parsed from its record); one without is
  // ignored.
  void apply(const batch_header& h, const std::optional<control_record>& marker = std::nullopt);

  // Forgets producers whose last batch's or marker's timestamp is older than now - max_age_ms
  // (producer.id.expiration.ms), except those with an open transaction (Kafka keeps them: their
  // transaction bounds the last stable offset until the coordinator ends it); returns how many.
  size_t expire(timestamp_ms now, int64_t max_age_ms);

  // Drops aborted transactions whose marker lies below `log_start` (retention deleted them).
  size_t prune_aborted(offset log_start);

  void clear() {
    producers_.clear();
    open_.clear();
    aborted_.clear();
    unreplicated_.clear();
  }

  // The smallest first offset of a transaction that is open, or ended by a marker at or above
  // `hw`; nullopt when there is none.
  std::optional<offset> first_unstable_offset(offset hw) const;
  // Forgets ended transactions whose marker is below `hw` (they are stable for good).
  void on_high_watermark(offset hw);
  size_t open_transactions() const { return open_.size(); }
  // The aborted transactions with last_offset >= from and first_offset < upto, by marker offset.
  std::vector<aborted_txn> aborted_transactions(offset from, offset upto) const;
  // Every aborted transaction kept, ascending by last_offset (marker offset).
  const std::vector<aborted_txn>& aborted() const { return aborted_; }

  const producer_entry* find(producer_id id) const;
  const std::map<producer_id, producer_entry>& producers() const { return producers_; }
  size_t size() const { return producers_.size(); }

  // Restores an entry as a snapshot holds it (no checks beyond what decode did).
  void restore(producer_id id, producer_entry e);
  // Restores the aborted list as a snapshot holds it (ascending by last_offset).
  void restore_aborted(std::vector<aborted_txn> aborted) { aborted_ = std::move(aborted); }

  // The unreplicated markers are a view of replication, not of the log, and are not compared
  // (snapshots do not keep them: a restarted replica learns HW anew).
  bool operator==(const producer_state& o) const {
    return producers_ == o.producers_ && open_ == o.open_ && aborted_ == o.aborted_;
  }

private:
  void end_transaction(producer_id id, producer_entry& e, control_type type, offset marker);

  std::map<producer_id, producer_entry> producers_;
  // Open transactions by first offset (unique: each is a batch's base offset); mirrors the
  // entries' txn_first_offset.
  std::map<offset, producer_id> open_;
  // Ascending by last_offset: markers are applied in log order.
  std::vector<aborted_txn> aborted_;
  // Ended transactions whose marker may still be above HW: first offset -> marker offset.
  std::map<offset, offset> unreplicated_;
};

} // namespace sluice::store
