#pragma once

// Consumer settings, named after the Kafka consumer configs they mirror.

#include "client/retry_policy.hpp"
#include "schema/isolation_level.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::client {

// auto.offset.reset: where a partition without a valid position starts.
enum class offset_reset { earliest, latest, none };

struct consumer_config {
  offset_reset auto_offset_reset = offset_reset::latest;
  int32_t fetch_min_bytes = 1;                        // fetch.min.bytes
  std::chrono::milliseconds fetch_max_wait{500};      // fetch.max.wait.ms
  int32_t max_partition_fetch_bytes = 1 << 20;        // max.partition.fetch.bytes
  int32_t fetch_max_bytes = 50 << 20;                 // fetch.max.bytes
  // Fetched but not yet polled bytes above which no further fetch is sent (the prefetch bound).
  size_t prefetch_max_bytes = 16u << 20;
  std::chrono::milliseconds request_timeout{30000};   // request.timeout.ms
  std::chrono::milliseconds retry_backoff{100};       // retry.backoff.ms
  std::chrono::milliseconds metadata_max_age{300000}; // metadata.max.age.ms: refresh at least this often
  std::chrono::milliseconds reconnect_backoff_max{1000}; // reconnect.backoff.max.ms (from retry.backoff.ms)
  schema::isolation_level isolation = schema::isolation_level::read_uncommitted;
  // A filter expression (README "Message filtering"; grammar in filter/filter_expr.hpp): the
  // leader sends only matching records and the position still moves past the others, so
  // commits land after them. Empty: every record. A malformed one is refused by the consumer
  // (its first poll() and subscribe() return the parse error) before anything is sent.
  std::string filter;

  // -- consumer groups (subscribe) --
  std::string group_id;                               // group.id; required by subscribe()
  std::optional<std::string> group_instance_id;       // group.instance.id: static membership
  std::chrono::milliseconds session_timeout{10000};   // session.timeout.ms
  std::chrono::milliseconds heartbeat_interval{3000}; // heartbeat.interval.ms
  // max.poll.interval.ms: longer between two poll() calls and the member leaves the group
  // (its partitions go to others); also the rebalance timeout it asks for.
  std::chrono::milliseconds max_poll_interval{300000};
  bool enable_auto_commit = true;                     // enable.auto.commit
  std::chrono::milliseconds auto_commit_interval{5000}; // auto.commit.interval.ms
  // partition.assignment.strategy, most preferred first: range, roundrobin, cooperative-sticky.
  std::vector<std::string> assignors{"cooperative-sticky"};

  // -- retries and dead-letter topics (client/retry_policy.hpp; off by default) --
  // With max_attempts > 0, consumer::nack() sends a record to the group's retry topics and
  // finally its dead-letter topic, and subscribe() also reads the retry topics. Needs group_id.
  retry_policy retry;
};

} // namespace sluice::client
