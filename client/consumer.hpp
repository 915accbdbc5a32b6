#pragma once

// sluice::consumer, as Kafka's: either assign partitions yourself (assign, seek, poll) or
// subscribe to topics as a member of consumer group config.group_id, which then assigns the
// partitions (rebalances) and keeps committed offsets. The fetcher actor keeps the next fetch
// in flight while the application works through what poll() returned, and poll() hands out
// the fetched batches in place (consumer_records). One application thread at a time.
//
// Delivery with a group is at-least-once by default: offsets are committed after poll()
// returned the records (auto-commit every auto.commit.interval.ms, on revocation and on
// close, or commit_sync/commit_async), so a crash replays what was polled but not yet
// committed. For at-most-once, set enable_auto_commit = false and call commit_sync() right
// after poll(), before processing: a crash then skips the records being processed.
//
// Retries (consumer_config::retry, README "Retries and dead-letter topics"): nack() sends a
// record that failed to the group's next retry topic (subscribe() reads those too, and poll()
// returns their records only once due) or, after max_attempts deliveries, to the dead-letter
// topic. Commits never pass a nacked record before its re-produce is acknowledged; a crash
// in between redelivers it (at-least-once: it may then appear twice further down).

#include "client/connection.hpp"
#include "client/consumer_config.hpp"
#include "client/consumer_group.hpp"
#include "client/consumer_records.hpp"
#include "client/latency_histogram.hpp"
#include "client/result.hpp"
#include "client/retry_forwarder.hpp"
#include "client/topic_partition.hpp"
#include "store/batch.hpp"

#include <caf/actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace sluice::client {

struct consumer_shared;

// Kafka's ConsumerRebalanceListener, called from inside poll() on the application thread.
class rebalance_listener {
public:
  virtual ~rebalance_listener() = default;
  // Before the partitions go to another member: commit what was processed of them. With
  // auto-commit on, their positions are already committed when this runs.
  virtual void on_partitions_revoked(const std::vector<topic_partition>&) {}
  // After a rebalance gave these partitions (cooperative: only the new ones).
  virtual void on_partitions_assigned(const std::vector<topic_partition>&) {}
  // The membership was lost (session expired, max.poll.interval.ms passed): the partitions
  // may already belong to others, so committing them would be refused.
  virtual void on_partitions_lost(const std::vector<topic_partition>& tps) { on_partitions_revoked(tps); }
};

class consumer {
public:
  explicit consumer(std::shared_ptr<connection> conn, consumer_config config = {});
  ~consumer(); // close()
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Replaces the assignment. Partitions kept keep their positions; new ones start by
  // auto.offset.reset unless sought.
  void assign(const std::vector<topic_partition>& tps);
  std::vector<topic_partition> assignment() const;

  // Joins group config.group_id (required) reading `topics`; the group assigns partitions at
  // the next poll(). `listener` (optional) must outlive the consumer.
  status subscribe(const std::vector<std::string>& topics, rebalance_listener* listener = nullptr);
  std::vector<std::string> subscription() const;
  // The positions after what poll() returned, for every assigned partition (group mode).
  status commit_sync();
  status commit_sync(const offset_map& offsets);
  void commit_async(commit_callback cb = {});
  // The group's committed offset of `tp` (nullopt: none).
  result<std::optional<offset>> committed(const topic_partition& tp);
  // The member id and generation this consumer holds in its group ("" and -1 outside one).
  std::pair<std::string, generation_id> group_membership() const;

  // Retry policy on: hands record `r` of `tp` (as poll() returned it) on to its next retry
  // topic, or to the dead-letter topic once it had max_attempts deliveries, with headers
  // sluice.* recording where it came from, the attempts and `error_text`. Its offset counts
  // as consumed for commits only once that produce is acknowledged. An error when the policy
  // is off or the record was not accepted (the application still holds it).
  status nack(const topic_partition& tp, const store::record_view& r, std::string_view error_text);

  // Every partition of `topic`, for assigning a whole topic; unknown topic is an error.
  result<std::vector<topic_partition>> partitions_for(const std::string& topic);

  // The next poll() returns records from `off` on (an out-of-range offset is then handled
  // by auto.offset.reset). Errors for a partition that is not assigned.
  status seek(const topic_partition& tp, offset off);
  // To the log start / the high watermark, resolved when next fetched; empty: all assigned.
  status seek_to_beginning(const std::vector<topic_partition>& tps = {});
  status seek_to_end(const std::vector<topic_partition>& tps = {});

  // The offset of the next record poll() will return for `tp`, once known.
  std::optional<offset> position(const topic_partition& tp) const;

  // Waits up to `timeout` for fetched records and returns all that are buffered (empty when
  // none arrived). An error when the fetcher hit one: unknown topic, offset out of range under
  // auto.offset.reset=none, a corrupt batch, a lost connection.
  result<consumer_records> poll(std::chrono::milliseconds timeout);

  // Round trips of fetch requests so far, in microseconds.
  latency_histogram fetch_latency() const;

  // Commits (auto-commit on) and leaves the group, then stops fetching.
  void close();

private:
  status seek_to(const std::vector<topic_partition>& tps, offset_reset where);
  void wake_fetcher();
  offset_map consumed_positions(const std::vector<topic_partition>& only = {}) const;
  status rebalance();
  void apply_assignment(const assignment_change& change);
  void maybe_auto_commit();
  offset_map clamped(offset_map offsets) const;
  void hold_not_due(std::vector<fetched_chunk>& taken);

  std::shared_ptr<connection> conn_;
  consumer_config config_;
  std::shared_ptr<consumer_shared> shared_;
  caf::actor fetcher_;
  std::optional<error> config_error_; // a malformed consumer_config::filter: nothing is fetched
  std::unique_ptr<consumer_group> group_;
  rebalance_listener* listener_ = nullptr;
  std::chrono::steady_clock::time_point next_auto_commit_{};
  std::unique_ptr<retry_forwarder> retries_; // with consumer_config::retry enabled
};

} // namespace sluice::client

namespace sluice {
using client::consumer;
using client::consumer_config;
using client::consumer_records;
using client::rebalance_listener;
using client::topic_partition;
} // namespace sluice
