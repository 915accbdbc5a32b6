#pragma once

// Producer settings, named after the Kafka producer configs they mirror.

#include "schema/produce.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::client {

struct producer_config {
  schema::acks acks = schema::acks::all;              // acks: 0, 1 or all (-1)
  // enable.idempotence (issue 9; on by default, as in Kafka 3): the producer gets a producer
  // id from the cluster and numbers each partition's batches; the partition leader drops a
  // retried batch it already holds (answering its original offsets) and refuses one that
  // would skip a sequence, so retries never duplicate or reorder records. It needs acks=all:
  // with acks 0 or 1 the producer sends plain batches (Kafka turns it off the same way when
  // acks is lowered; `idempotent()` says which applies).
  bool enable_idempotence = true;
  // With idempotence, at most this many batches of one partition in flight (Kafka's
  // max.in.flight.requests.per.connection <= 5): the leader keeps the last 5 batches of each
  // producer, so a retry always finds its original there.
  size_t max_in_flight_per_partition = 5;
  size_t batch_bytes = 64 * 1024;                      // batch.size
  std::chrono::milliseconds linger{5};                 // linger.ms
  size_t buffer_bytes = 32u << 20;                     // buffer.memory
  std::chrono::milliseconds max_block{60000};          // max.block.ms: send() waiting for memory
  // max.in.flight.requests.per.connection. 1 also keeps one batch per partition in flight
  // (Kafka's order guarantee without idempotence): with more, a batch that fails and is
  // retried can land after a later batch of its partition that went through.
  size_t max_in_flight = 16;
  size_t max_request_bytes = 1u << 20;                 // max.request.size: batches per request
  int32_t retries = INT32_MAX;                         // retries (bounded by delivery_timeout)
  std::chrono::milliseconds retry_backoff{100};        // retry.backoff.ms, doubled per attempt
  std::chrono::milliseconds retry_backoff_max{1000};   // retry.backoff.max.ms
  std::chrono::milliseconds request_timeout{30000};    // request.timeout.ms
  std::chrono::milliseconds delivery_timeout{120000};  // delivery.timeout.ms: send to outcome
  std::chrono::milliseconds metadata_max_age{300000};  // metadata.max.age.ms: refresh at least this often
  std::chrono::milliseconds reconnect_backoff_max{1000}; // reconnect.backoff.max.ms (from retry.backoff.ms)
  std::optional<uint64_t> partitioner_seed;            // fixed for reproducible sticky choices
  // transactional.id (issue 9): non-empty makes a transactional producer (producer.hpp,
  // "Transactions"). Needs idempotence, and so acks=all. Instances with the same id fence
  // each other: the newest one's init_transactions() wins.
  std::string transactional_id;
  // transaction.timeout.ms: the coordinator aborts a transaction left open this long (and
  // fences the producer that opened it).
  std::chrono::milliseconds transaction_timeout{60000};

  bool idempotent() const { return enable_idempotence && acks == schema::acks::all; }
  bool transactional() const { return !transactional_id.empty(); }
};

} // namespace sluice::client
