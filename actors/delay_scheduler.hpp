#pragma once

// The delivery scheduler of one `__delayed` partition (README "Delayed delivery"): the pure
// core behind the delay manager actor. No CAF, no clock, no network: it takes the partition's
// committed log records, ticks with the current time and the answers to what it asked for,
// and returns effects (control records to append, deliveries to send, a producer id to
// fetch). Its only I/O is its index (actors/delay_store.hpp), injected, where everything that
// must survive a crash or a failover is derived from the log.
//
// Exactly once without transactions: every delivery is an idempotent produce to the target
// partition under the partition's producer id (a `pid` record, epoch 0) with sequences the
// index derives from the log (per target: the records of earlier done slots). A slot's
// membership is fixed by its `slot` record, so whoever delivers it — this leader again after
// a crash, or the next one after a failover — sends the same records with the same
// sequences, and the target's producer state answers a repeat as a duplicate. A record is
// never sent before its slot closed, and a slot closes only at or after the deliver-at of
// every member (end = now).
//
//              tick, caught up, no pid                    pid record indexed
//   no_pid ----------------------------> asking ----------------------------> idle
//     (the node allocates; the core appends the pid record; the first in the log wins)
//
//              tick, caught up, a pending record due, last slot done
//   idle ------------------------------------------------------------> closing
//     (appends slot{last + 1, end = now, below = indexed through, count})
//
//   closing --slot record indexed--> delivering --every batch answered--> finishing
//     delivering: per target partition one batch in flight, in (deliver-at, offset) order,
//     retried after retry_backoff_ms; a batch refused (or retried max_attempts times) is
//     dropped and counted, so one bad target cannot wedge the partition
//   finishing --done record indexed--> idle
//
// A slot found open in the index (after a restart or failover) is delivered again from its
// first batch. An append the log does not show within control_timeout_ms is made again
// (a slot record appended twice is ignored by the index the second time).

#include "actors/delay_store.hpp"
#include "schema/errc.hpp"
#include "schema/result.hpp"
#include "store/delayed_format.hpp"
#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::actors {

struct delay_limits {
  int64_t max_slot_records = 10'000;
  size_t max_slot_bytes = size_t{16} << 20; // of payload; a slot's batches are in memory
  uint32_t max_batch_records = 500;
  size_t max_batch_bytes = size_t{256} << 10;
  int64_t retry_backoff_ms = 200;
  int64_t control_timeout_ms = 10'000;
  int32_t max_attempts = 300; // per batch, before it is dropped
};

// What an answer to a delivery means.
enum class delay_outcome : uint8_t {
  delivered, // written now, or before (duplicate)
  retry,     // not the leader, timed out, unreachable, ...
  refused,   // the target will never take it (a bad record, too large): dropped
};

// none is delivered (the node answers a duplicate with none and the original's offsets);
// invalid_request, corrupt_message, record_too_large and invalid_topic are refused; the rest
// retried (a target topic not yet known on that node included, up to max_attempts).
delay_outcome classify_delivery_error(schema::errc e);

struct delay_delivery {
  uint64_t id = 0;
  std::string topic;
  partition_id partition{0};
  int32_t base_sequence = 0;
  uint32_t records = 0;
  std::shared_ptr<const std::vector<std::byte>> batch; // the same bytes on every retry
};

struct delay_effects {
  std::vector<store::delayed::control_record> appends; // in order, as one append
  bool want_producer_id = false;
  std::vector<delay_delivery> deliveries;
  std::vector<std::string> errors; // one line each, for the node's log

  void append(delay_effects&& o);
};

// For inspect.
struct delay_scheduler_status {
  int32_t partition = 0;
  int64_t indexed_through = 0;
  int64_t high_watermark = -1;
  int64_t producer_id = -1;
  int64_t pending = 0;
  int64_t next_due_ms = -1;
  std::string open_slot; // "id=3 end=... members=12 delivering" / "none"
  int64_t delivered = 0;
  int64_t batches_in_flight = 0;
  int64_t retries = 0;
  int64_t dropped = 0;
  int64_t skipped = 0;
  int64_t max_lateness_ms = 0; // of a first send, behind deliver-at
};

class delay_scheduler {
public:
  delay_scheduler(delay_store& store, partition_id p, delay_limits limits = {});

  partition_id partition() const { return p_; }
  // Reads the index's state of the partition; call once before the rest.
  schema::status load();
  // Where the next read of the log starts.
  offset indexed_through() const { return state_.indexed_through; }

  // Committed records of the log read at `from` (whole batches), and its high watermark.
  schema::status on_log(offset from, std::span<const std::byte> batches, offset high_watermark);
  delay_effects tick(int64_t now_ms);
  // A fresh producer id from the node: appended as the pid record.
  delay_effects on_producer_id(producer_id id, int64_t now_ms);
  // The last effects' appends landed at offset `last` (their last record), or failed (-1).
  void on_appended(offset last);
  delay_effects on_delivery(uint64_t id, delay_outcome o, int64_t now_ms);

  delay_scheduler_status status() const;

private:
  struct batch {
    int32_t base_sequence = 0;
    uint32_t records = 0;
    std::shared_ptr<const std::vector<std::byte>> bytes;
  };
  struct target_queue {
    std::string topic;
    partition_id partition{0};
    std::vector<batch> batches;
    size_t next = 0; // first batch not answered yet
    uint64_t in_flight = 0; // delivery id; 0: none
    int64_t retry_at_ms = 0;
    int32_t attempts = 0;
  };
  struct slot_delivery {
    int64_t slot_id = 0;
    std::vector<target_queue> targets;
  };

  bool caught_up() const { return state_.indexed_through >= hw_; }
  schema::status start_delivery(int64_t now_ms, delay_effects& fx);
  void send_ready(int64_t now_ms, delay_effects& fx);
  bool delivery_complete() const;
  void control(store::delayed::control_record c, int64_t now_ms, delay_effects& fx);

  delay_store& store_;
  partition_id p_;
  delay_limits limits_;
  delay_partition_state state_;
  offset hw_{-1}; // unknown until the first read
  // The control append in flight: appended at `at` (-1 while unanswered) since `since_ms`.
  bool control_in_flight_ = false;
  offset control_at_{-1};
  int64_t control_since_ms_ = 0;
  int64_t pid_asked_ms_ = -1;
  std::optional<slot_delivery> delivery_;
  uint64_t next_delivery_id_ = 0;
  int64_t retries_ = 0;
  int64_t dropped_ = 0;
  int64_t max_lateness_ms_ = 0;
  std::optional<int64_t> next_due_ms_;
};

} // namespace sluice::actors
