#pragma once

#include "client/delivery.hpp"
#include "store/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::client {

using steady_clock = std::chrono::steady_clock;

// A sealed record batch between the accumulator and the node: the bytes as
// store::batch_builder finished them (relative offsets; the leader assigns the base) and the
// callbacks of the records that have one. Owned by exactly one of: the accumulator's ready
// queue, the sender's queue, a request in flight.
struct producer_batch {
  std::string topic;
  partition_id partition{0};
  std::vector<std::byte> bytes;
  uint32_t record_count = 0;
  size_t reserved_bytes = 0; // buffer.memory held until the batch completes
  std::vector<std::pair<uint32_t, delivery_callback>> callbacks; // record index -> callback
  steady_clock::time_point created;                              // its first record's append
  int attempts = 0;                                              // requests sent so far
  client::error last_error; // why the latest attempt failed (reported if it expires waiting)
  // Idempotence: the producer id, epoch and first sequence the sender stamped into the bytes
  // when it first sent the batch; retries keep them (no_sequence: not sent yet, or plain).
  producer_id pid = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  int32_t base_sequence = no_sequence;
};

} // namespace sluice::client
