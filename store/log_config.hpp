#pragma once

#include <cstdint>
#include <functional>

namespace sluice::store {

// When the log fdatasyncs. Kafka's default is `never`: durability comes from
// replication and the OS writes the page cache back on its own; `always` is for
// a single node that must survive power loss.
struct flush_policy {
  enum class kind { never, every_messages, every_ms, always };
  kind mode = kind::never;
  uint64_t messages = 0; // with every_messages: flush once this many records are unflushed
  int64_t interval_ms = 0; // with every_ms: flush when the oldest unflushed append is this old

  static flush_policy never() { return {}; }
  static flush_policy always() { return {kind::always, 0, 0}; }
  static flush_policy every_messages(uint64_t n) { return {kind::every_messages, n, 0}; }
  static flush_policy every_ms(int64_t ms) { return {kind::every_ms, 0, ms}; }
};

// Per-partition log settings, named after Kafka's topic configs.
struct log_config {
  uint64_t segment_bytes = uint64_t{1} << 30;  // segment.bytes: roll past this size
  int64_t segment_ms = 7LL * 24 * 3600 * 1000; // segment.ms: roll a segment this old
  int64_t retention_ms = 7LL * 24 * 3600 * 1000; // retention.ms; -1 keeps forever
  int64_t retention_bytes = -1;                  // retention.bytes; -1 keeps everything
  uint32_t max_batch_bytes = 1 << 20;            // max.message.bytes: largest batch accepted
  uint32_t index_interval_bytes = 4096;          // index.interval.bytes
  flush_policy flush;
  // How often tick() rewrites the recovery-point checkpoint after flushes moved
  // it (log.flush.offset.checkpoint.interval.ms); close() always writes it.
  int64_t checkpoint_interval_ms = 60'000;
  // producer.id.expiration.ms: tick() forgets an idempotent producer whose last batch's
  // timestamp is older than this (its next batch is then taken whatever its sequence).
  int64_t producer_id_expiration_ms = 86'400'000;
  // How many producer-state snapshots (one per roll, plus close) the log keeps, newest first.
  size_t producer_snapshots_kept = 3;
  // Log compaction (cleanup.policy contains compact; store/log_cleaner.hpp). A compacted log
  // refuses records without a key, and its batches may leave offset gaps (a follower copies
  // the leader's compacted log as it is).
  bool compacted = false;
  int64_t delete_retention_ms = 86'400'000; // delete.retention.ms: tombstones live this long
  double min_cleanable_dirty_ratio = 0.5;   // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;        // min.compaction.lag.ms: younger records stay
};

// The wall clock in ms, injected so tests control segment.ms, retention and flush.ms.
using clock_fn = std::function<int64_t()>;
int64_t system_clock_ms();

} // namespace sluice::store
