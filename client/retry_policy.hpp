#pragma once

// Non-blocking retries of a consumer group (issue 10; Spring Kafka's retry topics, Uber's
// "reliable reprocessing"): a record the application nacks is re-produced to the group's next
// retry topic of its source topic, one topic per backoff level,
//
//   <group>.<topic>.retry-1  ...  <group>.<topic>.retry-L       L = min(backoffs, max_attempts - 1)
//
// and, once it was delivered max_attempts times, to the dead-letter topic <group>.<topic>.dlq.
// Every record of one retry level waits the same backoff, so due times grow with offsets
// within a retry topic partition: a consumer holds a partition at its first record not yet
// due, never behind a later one. Attempts past L reuse level L (and its backoff).
//
// Pure: no clock (callers pass `now`), no I/O. The consumer (client/consumer.cpp) and the
// forwarder (client/retry_forwarder.hpp) apply it.
//
//   delivery 1 (source topic) --nack--> retry-1 --nack--> retry-2 ... --nack--> dlq
//   attempts:        1                     2                 3     max_attempts

#include "client/result.hpp"
#include "store/types.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::client {

struct retry_policy {
  // The wait before retry level n (1-based) is backoffs[n-1]; the last one serves the levels
  // beyond. Needed when max_attempts > 1.
  std::vector<std::chrono::milliseconds> backoffs;
  // Deliveries a record gets before it goes to the dead-letter topic; 0: retries off (nack
  // is refused), 1: a nack goes straight to the dead-letter topic.
  int32_t max_attempts = 0;

  bool enabled() const { return max_attempts > 0; }
};

// Bounds: enough for any sane schedule, small enough that a typo is caught.
inline constexpr int32_t retry_max_attempts_limit = 100;
inline constexpr size_t retry_levels_limit = 32;
inline constexpr std::chrono::milliseconds retry_backoff_limit{7 * 24 * 3600 * 1000LL};

// An error naming what is wrong with the policy (retries off is valid).
status validate(const retry_policy& p);

// How many retry topics a source topic gets under `p`.
int32_t retry_levels(const retry_policy& p);

std::string retry_topic_name(std::string_view group, std::string_view topic, int32_t level);
std::string dead_letter_topic_name(std::string_view group, std::string_view topic);

// The retry and dead-letter topic names of `group` and `topic` are legal topic names
// ([a-zA-Z0-9._-], at most 249 characters); an error naming the culprit otherwise.
status validate_retry_names(const retry_policy& p, std::string_view group, std::string_view topic);

// The source topic and level of one of `group`'s retry topics (nullopt: not one).
struct retry_topic_ref {
  std::string source_topic;
  int32_t level = 0;
};
std::optional<retry_topic_ref> parse_retry_topic(std::string_view group, std::string_view name);

// Where a nacked record goes.
struct retry_destination {
  std::string topic;
  bool dead_letter = false;
  int32_t level = 0;       // the retry level (0 for the dead-letter topic)
  int32_t attempts = 0;    // deliveries so far, the nacked one included
  timestamp_ms due{0};     // when it may be delivered again (now for the dead-letter topic)
};

// The destination of a record of `source_topic` nacked after `attempts` deliveries (1 for a
// record read from the source topic itself), at `now`. Needs an enabled, valid policy.
retry_destination next_destination(const retry_policy& p, std::string_view group, std::string_view source_topic,
                                   int32_t attempts, timestamp_ms now);

} // namespace sluice::client
