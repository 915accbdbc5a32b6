#pragma once

// Consumer settings, named after the Kafka consumer configs they mirror.

#include "schema/isolation_level.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

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
  schema::isolation_level isolation = schema::isolation_level::read_uncommitted;
};

} // namespace sluice::client
